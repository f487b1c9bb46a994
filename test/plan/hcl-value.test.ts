import { describe, expect, it } from "vitest";
import { printHcl } from "../../src/plan/hcl-value.ts";
import { raw } from "../../src/emit/hcl-literal.ts";
import { formatHcl, formatHclUncached } from "../../src/emit/format-hcl.ts";

describe("printHcl", () => {
  const value = { widgets: [{ type: "metric", x: 0, properties: { title: 'a "b"', region: raw("var.region"), metrics: [["AWS/Lambda", "Errors", { label: "f" }]] } }], empty: {}, list: [1, 2] };

  it("prints scalars, references, flat lists inline and the rest one entry per line, indented", () => {
    expect(printHcl(value)).toBe(
      [
        "{",
        "  widgets = [",
        "    {",
        '      type = "metric"',
        "      x = 0",
        "      properties = {",
        '        title = "a \\"b\\""',
        "        region = var.region",
        "        metrics = [",
        '          ["AWS/Lambda", "Errors", { label = "f" }],',
        "        ]",
        "      }",
        "    },",
        "  ]",
        "  empty = {",
        "",
        "  }",
        "  list = [1, 2]",
        "}",
      ].join("\n"),
    );
  });

  it("leaves no closing bracket at column 0 inside a value, so a module file splits into whole blocks", () => {
    const tf = `resource "aws_cloudwatch_dashboard" "this" {\n  dashboard_body = jsonencode(${printHcl(value)})\n}\n`;
    expect(tf.split("\n").slice(1, -2).filter((l) => /^[}\])]/.test(l))).toEqual(["})"]);
    expect(formatHcl(tf)).toBe(formatHclUncached(tf));
  });
});
