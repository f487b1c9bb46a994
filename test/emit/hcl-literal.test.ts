import { describe, expect, it } from "vitest";
import { parse } from "@cdktf/hcl2json";
import { hclString, hclTemplate, hclValue, raw } from "../../src/emit/hcl-literal.ts";

describe("hclString", () => {
  const table: Array<[string, string]> = [
    ["plain", '"plain"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["back\\slash", '"back\\\\slash"'],
    ["line\nbreak", '"line\\nbreak"'],
    ['${file("/etc/passwd")}', '"$${file(\\"/etc/passwd\\")}"'],
    ["%{ if true }x%{ endif }", '"%%{ if true }x%%{ endif }"'],
    ["$ and % alone", '"$ and % alone"'],
    ["tab\there", '"tab\\there"'],
    ["\u0001", '"\\u0001"'],
  ];
  for (const [given, want] of table) {
    it(`escapes ${JSON.stringify(given)}`, () => expect(hclString(given)).toBe(want));
  }

  it("round-trips through a real HCL parser as the same literal", async () => {
    for (const [given] of table) {
      const json = (await parse("t.tf", `locals {\n  v = ${hclString(given)}\n}\n`)) as { locals: Array<{ v: string }> };
      // hcl2json keeps template escapes as written: `$${` stays doubled, which is what makes it inert.
      const v = json.locals[0]!.v.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
      expect(v).toBe(given);
    }
  });
});

describe("hclValue and hclTemplate", () => {
  it("renders nested values with sorted keys and raw references", () => {
    expect(hclValue({ b: [1, "x"], a: raw("aws_s3_bucket.x.arn") })).toBe('{\na = aws_s3_bucket.x.arn\nb = [1, "x"]\n}');
  });
  it("refuses literal parts that would need escaping inside a template", () => {
    expect(hclTemplate(raw("local.name_prefix"), "-lake")).toBe('"${local.name_prefix}-lake"');
    expect(() => hclTemplate('x"y')).toThrow(/unsafe literal/);
    expect(() => hclTemplate("${x}")).toThrow(/unsafe literal/);
  });
});
