import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { format } from "@cdktf/hcl-tools";
import { formatHcl, formatHclUncached, formatMemoSize } from "../../src/emit/format-hcl.ts";
import { compile } from "../../src/compile/compile.ts";

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
  {
    name: "blank lines between top-level blocks collapse to one",
    given: '# header\n\n\nr "a" {\nx = 1\n}\n\n\n\nr "b" {\ny = 2\n}\n',
    want: '# header\n\nr "a" {\n  x = 1\n}\n\nr "b" {\n  y = 2\n}\n',
  },
  {
    name: "a blank line after a comment that ends with a bracket is dropped",
    given: '# opens {\n\nr "a" {\nx = 1\n}\n',
    want: '# opens {\nr "a" {\n  x = 1\n}\n',
  },
  {
    name: "a closing bracket at column 0 inside a block does not end it",
    given: 'r "a" {\nx = {\na = 1\n}\n\nlonger = 2\ny = 3\n}\n',
    want: 'r "a" {\n  x = {\n    a = 1\n  }\n\n  longer = 2\n  y      = 3\n}\n',
  },
];

/** Deterministic edits that move block boundaries, blank lines, comments and brackets around. */
function mutations(text: string, count: number): string[] {
  const pieces = ["\n}\n", "\n\n", "\n# c {\n", "{\n", "\n  \n", "}", "\n#x\n\n", "\r\n", " = ", "\"", "\n]\n"];
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  return Array.from({ length: count }, () => {
    let t = text;
    for (let k = 0; k < 3; k++) {
      const at = rnd(t.length + 1);
      t = t.slice(0, at) + pieces[rnd(pieces.length)] + t.slice(at);
    }
    return t;
  });
}

describe("formatHcl", () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(formatHcl(c.given)).toBe(c.want);
    });
  }

  it("formats block by block exactly as the whole text formats, from the memo too", () => {
    // The unformatted Terraform files of the reference pipeline, then edited copies of them.
    const repo = join(import.meta.dirname, "../..");
    const spec = "pipelines/temperature.yaml";
    const c = compile(spec, readFileSync(join(repo, spec), "utf8"), { cwd: repo, outDir: "generated" });
    const texts = [...c.plan!.files].filter(([f]) => /\.tf(vars)?$/.test(f)).map(([, t]) => t);
    expect(texts.length).toBeGreaterThan(10);
    const inputs = [...cases.map((x) => x.given), ...texts, ...texts.flatMap((t) => mutations(t, 60))];
    for (const [i, text] of inputs.entries()) {
      const want = formatHclUncached(text);
      expect(formatHcl(text), `input ${i}`).toBe(want);
      // Second time every block comes from the memo.
      expect(formatHcl(text), `input ${i}, again`).toBe(want);
    }
  });

  it("remembers blocks with the pipeline's name masked, and formats exactly as without", () => {
    // The reference pipeline's files under other names, then edited copies where the name also
    // stands in keys, next to the stand-in letters, inside words and brackets; some blocks hold
    // every stand-in letter, so they are not masked at all.
    const repo = join(import.meta.dirname, "../..");
    const spec = "pipelines/temperature.yaml";
    const c = compile(spec, readFileSync(join(repo, spec), "utf8"), { cwd: repo, outDir: "generated" });
    const texts = [...c.plan!.files].filter(([f]) => /\.tf(vars)?$/.test(f)).map(([, t]) => t);
    const names = ["temperature", "ab", "a1", "q-2", "name", "x-y-z", "aws", "t0001"];
    let seed = 11;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    for (const name of names) {
      const pieces = [`\n${name} = 1\n`, `\n  ${name}_key = "v"\n`, `Q${name}Q`, `QQ${name}`, `\n"${name}" = {\n`, `${name}-${name}`, `\n# ${name} QZJXVYW\n`, ` = ${name}`, `{\n${name}.x = [\n`, `\n}\n`];
      const renamed = texts.map((t) => t.replaceAll("temperature", name));
      const edited = renamed.flatMap((t) =>
        Array.from({ length: 12 }, () => {
          let e = t;
          for (let k = 0; k < 4; k++) {
            const at = rnd(e.length + 1);
            e = e.slice(0, at) + pieces[rnd(pieces.length)] + e.slice(at);
          }
          return e;
        }),
      );
      for (const [i, text] of [...renamed, ...edited].entries()) {
        const want = formatHclUncached(text);
        expect(formatHcl(text, name), `${name}: input ${i}`).toBe(want);
        expect(formatHcl(text, name), `${name}: input ${i}, again`).toBe(want);
      }
    }
  });

  it("formats a module renamed, as a pipeline of the same shape, entirely from the memo", () => {
    const repo = join(import.meta.dirname, "../..");
    const spec = "pipelines/temperature.yaml";
    const c = compile(spec, readFileSync(join(repo, spec), "utf8"), { cwd: repo, outDir: "generated" });
    const texts = [...c.plan!.files].filter(([f]) => /\.tf(vars)?$/.test(f)).map(([, t]) => t);
    const named = (name: string) => texts.map((t) => t.replaceAll("temperature", name));
    for (const t of named("first-shape")) formatHcl(t, "first-shape");
    const size = formatMemoSize();
    for (const t of named("second-one")) formatHcl(t, "second-one");
    expect(formatMemoSize()).toBe(size);
    // Without the name every block that carries it is a new entry.
    for (const t of named("third-one")) formatHcl(t);
    expect(formatMemoSize()).toBeGreaterThan(size + 10);
  });

  it("does not mask a name outside the pipeline-name pattern", () => {
    const text = 'resource "a" "b" {\n  Q = "x y"\n  long_key = "x y"\n}\n';
    expect(formatHcl(text, "x y")).toBe(formatHclUncached(text));
    expect(formatHcl(text, "Q")).toBe(formatHclUncached(text));
  });

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
