import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { format } from "@cdktf/hcl-tools";
import { formatHcl } from "../../src/emit/format-hcl.ts";

const cases: Array<{ name: string; given: string; want: string }> = [
  {
    name: "aligns consecutive single-line attributes",
    given: 'resource "a" "b" {\nx = 1\nlonger = "y"\n}\n',
    want: 'resource "a" "b" {\n  x      = 1\n  longer = "y"\n}\n',
  },
  {
    name: "a multi-line value ends the alignment run and is not padded",
    given: 'r "a" {\nname = "a"\npolicy = jsonencode({\nA = 1\n})\nx = 1\nlonger = 2\n}\n',
    want: 'r "a" {\n  name = "a"\n  policy = jsonencode({\n    A = 1\n  })\n  x      = 1\n  longer = 2\n}\n',
  },
  {
    name: "two brackets opened on one line indent one level",
    given: 'x = jsonencode({\nStatement = [{\nA = 1\n}]\n})\n',
    want: 'x = jsonencode({\n  Statement = [{\n    A = 1\n  }]\n})\n',
  },
  {
    name: "brackets inside strings and escaped template sequences do not count",
    given: 'r "a" {\nx = "{[("\ny = "$${x}"\n}\n',
    want: 'r "a" {\n  x = "{[("\n  y = "$${x}"\n}\n',
  },
  {
    name: "blank lines are collapsed and trimmed at block edges",
    given: 'r "a" {\n\n\nx = 1\n\n\ny = 2\n\n}\n\n\n',
    want: 'r "a" {\n  x = 1\n\n  y = 2\n}\n',
  },
  {
    name: "comment lines end an alignment run",
    given: 'r "a" {\nx = 1\n# why\nlonger = 2\n}\n',
    want: 'r "a" {\n  x = 1\n  # why\n  longer = 2\n}\n',
  },
];

describe("formatHcl", () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(formatHcl(c.given)).toBe(c.want);
    });
  }

  it("agrees with hclwrite (the formatter inside terraform fmt) on the cases", async () => {
    for (const c of cases) expect(await format(c.want), c.name).toBe(c.want);
  });

  it("agrees with hclwrite on every committed generated .tf and .tfvars file", async () => {
    const root = join(import.meta.dirname, "../../generated");
    const files = readdirSync(root, { recursive: true }).map(String).filter((f) => /\.tf(vars)?$/.test(f));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = readFileSync(join(root, f), "utf8");
      expect(await format(text), f).toBe(text);
    }
  });
});
