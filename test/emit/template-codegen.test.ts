import { describe, expect, it, vi } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import Handlebars from "handlebars";
import { templateFunctionSource, templateRuntime } from "../../src/emit/template-codegen.ts";

// Every render during this file is recorded, so the real templates can be compared with
// handlebars on the views that real pipelines give them.
const seen = vi.hoisted(() => [] as Array<{ path: string; view: object; output: string }>);
vi.mock("../../src/emit/templates.ts", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/emit/templates.ts")>();
  return {
    ...actual,
    render(path: string, view: object): string {
      const output = actual.render(path, view);
      seen.push({ path, view: structuredClone(view), output });
      return output;
    },
  };
});
const { compile } = await import("../../src/compile/compile.ts");
const { renderBootstrap } = await import("../../src/delivery/bootstrap/bootstrap.ts");

const repo = join(import.meta.dirname, "../..");
/** The options pipegen's templates were compiled with by handlebars itself. */
const HANDLEBARS_OPTIONS = { strict: true, noEscape: true, knownHelpersOnly: true };

const ours = (source: string) => new Function(`return ${templateFunctionSource(Handlebars.parse(source), "case.hbs")}`)() as (rt: typeof templateRuntime, c: object) => string;
const both = (source: string, view: object) => ({ ours: ours(source)(templateRuntime, view), handlebars: Handlebars.compile(source, HANDLEBARS_OPTIONS)(view) });

const cases: Array<{ name: string; source: string; view: object }> = [
  { name: "fields, nested paths, numbers, booleans and null", source: "a={{a}} b={{b.c}} n={{n}} t={{t}} f={{f}} z={{z}}", view: { a: "x", b: { c: 1 }, n: 0, t: true, f: false, z: null } },
  { name: "triple mustaches print the same as double ones (noEscape)", source: '{{{html}}} {{html}}', view: { html: '<a href="x">&</a>' } },
  {
    name: "each over an array with @index, @first, @last and ../",
    source: "{{#each items}}{{@index}}:{{name}}/{{../title}}{{#if @first}}(first){{/if}}{{#unless @last}}, {{/unless}}{{/each}}",
    view: { title: "T", items: [{ name: "a" }, { name: "b" }, { name: "c" }] },
  },
  { name: "each over an object with @key", source: "{{#each m}}{{@key}}={{this}};{{/each}}", view: { m: { b: 2, a: 1 } } },
  { name: "each over an empty list takes the else branch", source: "{{#each items}}x{{else}}none {{title}}{{/each}}", view: { items: [], title: "T" } },
  { name: "nested each: ../ reaches the outer item", source: "{{#each outer}}{{#each inner}}{{../name}}.{{this}} {{/each}}{{/each}}", view: { outer: [{ name: "o1", inner: [1, 2] }, { name: "o2", inner: [3] }] } },
  {
    name: "if and unless: 0, '', [] and missing fields are false; else branches",
    source: "{{#if zero}}Z{{else}}z{{/if}}{{#if empty}}E{{else}}e{{/if}}{{#if list}}L{{else}}l{{/if}}{{#if missing}}M{{else}}m{{/if}}{{#unless one}}u{{else}}U{{/unless}}{{#if obj}}O{{/if}}",
    view: { zero: 0, empty: "", list: [], one: 1, obj: {} },
  },
  { name: "if inside each keeps ../ pointing at the parent context", source: "{{#each xs}}{{#if ok}}{{../p}}{{/if}}{{/each}}", view: { p: "P", xs: [{ ok: true }, { ok: false }, { ok: 1 }] } },
  { name: "else if chains", source: "{{#if a}}A{{else if b}}B{{else}}C{{/if}}", view: { a: false, b: true } },
  { name: "standalone block lines and comments leave no blank lines", source: "x {\n  {{#each xs}}\n  y = {{this}}\n  {{/each}}\n  {{!-- note --}}\n}\n", view: { xs: [1, 2] } },
  { name: "functions in the view are called with the context", source: "{{f}} {{#if g}}yes{{/if}}", view: { v: 3, f(this: { v: number }) { return this.v * 2; }, g: () => false } },
];

/** Every .hbs file pipegen ships, relative to the repository. */
function templateFiles(): string[] {
  return ["templates", "src/kinds"].flatMap((dir) =>
    readdirSync(join(repo, dir), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".hbs"))
      .map((f) => relative(repo, join(repo, dir, f))),
  );
}

/** Valid pipeline files of the repository: the shipped ones and the golden cases'. */
function pipelineFiles(): string[] {
  const golden = join(repo, "test/golden/cases");
  return [
    ...readdirSync(join(repo, "pipelines")).filter((f) => f.endsWith(".yaml")).map((f) => `pipelines/${f}`),
    ...readdirSync(golden).flatMap((c) => readdirSync(join(golden, c, "pipelines")).filter((f) => f.endsWith(".yaml")).map((f) => `test/golden/cases/${c}/pipelines/${f}`)),
  ];
}

describe("template codegen", () => {
  for (const c of cases) {
    it(`matches handlebars: ${c.name}`, () => {
      const r = both(c.source, c.view);
      expect(r.ours).toBe(r.handlebars);
    });
  }

  it("throws like handlebars' strict mode when a printed field is missing", () => {
    expect(() => Handlebars.compile("{{nope}}", HANDLEBARS_OPTIONS)({})).toThrow(/"nope" not defined/);
    expect(() => ours("{{nope}}")(templateRuntime, {})).toThrow(/"nope" not defined in .* - case\.hbs:1:/);
    expect(() => ours("{{a.nope}}")(templateRuntime, { a: {} })).toThrow(/"nope" not defined/);
  });

  it("rejects what it does not implement, naming the template and line", () => {
    for (const source of ["x\n{{> partial}}", "x\n{{lookup a b}}", "x\n{{#with a}}{{/with}}", "x\n{{#each a as |b|}}{{/each}}", "x\n{{@root.a}}", "x\n{{#if a includeZero=true}}{{/if}}"]) {
      expect(() => templateFunctionSource(Handlebars.parse(source), "case.hbs"), source).toThrow(/^case\.hbs:2: .* is not supported/);
    }
  });

  it("renders every template of the repository exactly as handlebars does, on real pipelines' views", async () => {
    const files = templateFiles();
    expect(files.length).toBeGreaterThan(20);
    seen.length = 0;
    for (const spec of pipelineFiles()) {
      const c = compile(spec, readFileSync(join(repo, spec), "utf8"), { cwd: repo, outDir: "generated" });
      expect(c.plan, `${spec} compiles`).toBeDefined();
    }
    await renderBootstrap({ repo: "octo/pipes", region: "eu-west-1", generatedDir: "generated", cwd: repo });
    const used = new Set(seen.map((s) => s.path));
    // The golden cases exist to cover every kind: every shipped template is rendered at least once.
    expect(files.filter((f) => !used.has(f))).toEqual([]);
    const compiled = new Map(files.map((f) => [f, Handlebars.compile(readFileSync(join(repo, f), "utf8"), HANDLEBARS_OPTIONS)]));
    for (const s of seen) expect(s.output, `${s.path}`).toBe(compiled.get(s.path)!(s.view));
    expect(seen.length).toBeGreaterThan(100);
  });
});
