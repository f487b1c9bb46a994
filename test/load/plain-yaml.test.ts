import { describe, expect, it } from "vitest";
import { deepStrictEqual } from "node:assert";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseDocument } from "yaml";
import { readPlainYaml } from "../../src/load/plain-yaml.ts";

const ROOT = join(import.meta.dirname, "..", "..");

/** What the full parser makes of text: its value, or undefined when it reports anything at all. */
function full(text: string): { value: unknown } | undefined {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length || doc.warnings.length) return undefined;
  return { value: doc.toJS({ maxAliasCount: 0 }) ?? null };
}

/** The contract: the fast reader gives up, or agrees exactly with the full parser (Object.is on every leaf, so -0 ≠ 0). */
function agrees(text: string): "fast" | "fallback" {
  const fast = readPlainYaml(text);
  if (!fast) return "fallback";
  const ref = full(text);
  if (!ref) throw new Error(`fast reader accepted text the full parser rejects:\n${text}`);
  deepStrictEqual(fast.value, ref.value, `values differ for:\n${text}`);
  return "fast";
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === "node_modules" || name === ".git" || name === "dist" || name === "generated") return [];
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

describe("readPlainYaml", () => {
  const files = yamlFiles(ROOT);

  it("agrees with the full parser on every YAML file in the repository", () => {
    expect(files.length).toBeGreaterThan(100);
    const outcome = files.map((f) => [relative(ROOT, f), agrees(readFileSync(f, "utf8"))] as const);
    // Invalid files whose expected errors come from the YAML stage (PG100x) must reach the full parser.
    const yamlErrors = outcome.filter(([f]) => f.startsWith("test/diagnostics/cases/") && /\bPG100\d\b/.test(readFileSync(join(ROOT, f.replace(/\.yaml$/, ".snap")), "utf8")));
    expect(yamlErrors.length).toBeGreaterThan(3);
    for (const [f, o] of yamlErrors) expect([f, o]).toEqual([f, "fallback"]);
  });

  it("reads the reference pipelines, the golden pipelines and every kind example on the fast path", () => {
    const everyday = files.filter((f) => /^(pipelines|test\/golden\/cases\/[^/]+\/pipelines|src\/kinds)\//.test(relative(ROOT, f)));
    expect(everyday.length).toBeGreaterThan(20);
    for (const f of everyday) expect([relative(ROOT, f), agrees(readFileSync(f, "utf8"))]).toEqual([relative(ROOT, f), "fast"]);
  });

  const cases: Array<[string, "fast" | "fallback"]> = [
    ["a: 1\nb: -2\nc: +3\nd: 1.50\ne: .5\nf: 1e3\ng: -0\nh: 08\n", "fast"],
    ["a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: true\ng: False\nh: yes\ni: no\nj: on\n", "fast"],
    ["a: 0x1F\n", "fallback"],
    ["a: 0o17\n", "fallback"],
    ["a: .inf\n", "fallback"],
    ["a: .NaN\n", "fallback"],
    ["a: 1_000\nb: 12:30\nc: 2024-05-01\nd: 2024-05-01T12:00:00Z\n", "fast"],
    ["a: b: c\n", "fallback"],
    ["a: b:\n", "fallback"],
    ["a: b:c\nd: http://x/y\n", "fast"],
    ["a: 'it''s'\nb: \"say \\\"hi\\\" \\u00e9\\n\"\nc: '#not a comment'\n", "fast"],
    ["a: \"\\x41\"\n", "fallback"],
    ["a: \"\\N\"\n", "fallback"],
    ["a: b #c\nd: e#f\ng: 'h' # i\n", "fast"],
    ["a: 'h'# i\n", "fallback"],
    ["a: 'x' y\n", "fallback"],
    ["a: [b, c] d\n", "fallback"],
    ["a: [b, [c, d], {e: f, g: [1, 2]}, 'h', \"i\", -1, 2.5, ~, true]\n", "fast"],
    ["a: {}\nb: []\nc: { }\nd: [ ]\n", "fast"],
    ["a: [b, c, ]\n", "fallback"],
    ["a: [b: c]\n", "fallback"],
    ["a: {b}\n", "fallback"],
    ["a: {b: }\n", "fallback"],
    ["a: {b: 1, b: 2}\n", "fallback"],
    ["a: [b,\n  c]\n", "fallback"],
    ["a: [-, b]\n", "fallback"],
    ["a: [-1, -x, a-b, 'c: d']\n", "fast"],
    ["a: {x: y:z}\n", "fast"],
    ["a: 1\na: 2\n", "fallback"],
    ["a: &x 1\nb: *x\n", "fallback"],
    ["a: !!str 1\n", "fallback"],
    ["a: |\n  text\n  # not a comment\n\n    indented\n\nb: 1\n", "fast"],
    ["a: |-\n  text\n  more\n\n\nb: |  # comment\n\n  after a blank line\n", "fast"],
    ["- |\n  x\n- k: |\n    y\n  j: 1\n", "fast"],
    ["a: |\n  text", "fallback"],
    ["a: |+\n  text\n\n", "fallback"],
    ["a: |2\n   text\n", "fallback"],
    ["a: |\n      \n  text\n", "fallback"],
    ["a: |\n  text\n     \nb: 1\n", "fallback"],
    ["a: |\n  text\n # less indented\n  more\n", "fallback"],
    ["a: |\nb: 1\n", "fallback"],
    ["a:\n  b: |\n  c\n", "fallback"],
    ["a: >\n  text\n", "fallback"],
    ["a: multi\n  line\n", "fallback"],
    ["---\na: 1\n", "fallback"],
    ["%YAML 1.2\n---\na: 1\n", "fallback"],
    ["a:\n\tb: 1\n", "fallback"],
    ["a: 1\r\nb: 2\r\n", "fallback"],
    ["? a\n: b\n", "fallback"],
    ["a:\n- x\n- y\nb: 1\n", "fast"],
    ["a:\n  - x\n  -\n  - - y\n", "fallback"],
    ["a:\n  -\n    b: 1\n  - c: 2\n    d: [3]\n  - e:\n      f: 4\n  - e:\n    - 5\n", "fast"],
    ["- a\n- b\n", "fast"],
    ["- a\nb: 1\n", "fallback"],
    ["a:\n    b: 1\n  c: 2\n", "fallback"],
    ["a:\n  b: 1\n c: 2\n", "fallback"],
    ["a:\n  - b: 1\n   c: 2\n", "fallback"],
    ["\"a b\": 1\n'c': 2\nd-e.f/g_h$: 3\n", "fast"],
    ["a b: 1\n", "fallback"],
    ["1: a\n", "fallback"],
    ["true: a\n", "fallback"],
    ["__proto__: a\n", "fallback"],
    ["a: {__proto__: 1}\n", "fallback"],
    ["a : 1\n", "fallback"],
    ["a:1\n", "fallback"],
    ["# only a comment\n", "fallback"],
    ["", "fallback"],
    ["  a: 1\n  b:\n    c: 2\n", "fast"],
    ["a: -\n", "fallback"],
    ["a: - b\n", "fallback"],
    ["a: @b\n", "fallback"],
    ["a: `b`\n", "fallback"],
    ["a: %b\n", "fallback"],
    ["a: ?b\nc: :d\ne: -f\n", "fast"],
    ["a: \"unterminated\n", "fallback"],
    ["a: 'é ü ✓'\nb: ✓\n", "fast"],
    ["a: 😀\n", "fallback"],
    ["\ufeffa: 1\n", "fallback"],
    ["a:\n\u00a0 b: 1\n", "fallback"],
    ["a: b\u3000\n", "fallback"],
    ["a: 1\n# trailing\n  # indented comment\n\nb: 2", "fast"],
    ["a:\n  # comment inside\n  b: 1\n", "fast"],
    ["a: [\"x\\\\y\", 'p''q']\n", "fast"],
    ["a: {\"k\": v}\nb: {'k': v}\n", "fast"],
    ["a: {\"k\":v}\n", "fallback"],
    ["a: [a #b]\n", "fallback"],
  ];
  it.each(cases)("%j → %s", (text, expected) => {
    expect(agrees(text)).toBe(expected);
  });

  it("never disagrees with the full parser on thousands of mutated pipeline files", () => {
    // A seeded generator, so a failure reproduces; the mutations favour YAML's own punctuation.
    let seed = 0x2f6b3a1;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const alphabet = [":", " ", "-", "#", "'", '"', "[", "]", "{", "}", ",", "\n", "  ", "&", "*", "!", "|", ">", "?", "\\", "a", "1", ".", "0x", "~", "\t"];
    const seeds = ["pipelines/temperature.yaml", "pipelines/sales-batch.yaml", "test/golden/cases/orders/pipelines/orders.yaml", "test/golden/cases/parquet-lake/pipelines/clickstream.yaml"].map((p) => readFileSync(join(ROOT, p), "utf8"));
    let fast = 0;
    let total = 0;
    for (const base of seeds) {
      for (let i = 0; i < 700; i++) {
        let text = base;
        for (let m = 1 + rand(3); m > 0; m--) {
          const at = rand(text.length);
          const op = rand(4);
          if (op === 0) text = text.slice(0, at) + text.slice(at + 1);
          else if (op === 1) text = text.slice(0, at) + alphabet[rand(alphabet.length)] + text.slice(at);
          else if (op === 2) text = text.slice(0, at) + alphabet[rand(alphabet.length)] + text.slice(at + 1);
          else {
            // Move a line's indentation by one or two spaces.
            const start = text.lastIndexOf("\n", at) + 1;
            text = rand(2) ? text.slice(0, start) + " ".repeat(1 + rand(2)) + text.slice(start) : text.slice(0, start) + text.slice(start).replace(/^ {1,2}/, "");
          }
        }
        total++;
        if (agrees(text) === "fast") fast++;
      }
    }
    // The check has teeth only if the fast reader takes a good share of the mutants.
    expect(fast / total).toBeGreaterThan(0.1);
  }, 60_000);
});
