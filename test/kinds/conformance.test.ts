import { describe, expect, it } from "vitest";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { format } from "@cdktf/hcl-tools";
import { KINDS } from "../../src/kinds/index.ts";
import { kindReadme } from "../../src/cli/kind-docs.ts";
import { schemaText } from "../../src/validate/assemble-schema.ts";
import { main } from "../../src/cli/main.ts";
import { checkModule } from "../security/check-module.ts";

// Walks the registry like vector's per-component tests: every kind has its folder complete,
// its example builds, formats as terraform fmt would and passes every security rule.
const kindsDir = join(import.meta.dirname, "../../src/kinds");

describe("kind registry", () => {
  it("has unique names per category, sorted by category then name", () => {
    const keys = KINDS.map((k) => `${k.category}/${k.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    const order = ["sources", "transforms", "sinks", "serve"];
    const sorted = [...KINDS].sort((a, b) => order.indexOf(a.category) - order.indexOf(b.category) || (a.name < b.name ? -1 : 1));
    expect(KINDS.map((k) => k.name)).toEqual(sorted.map((k) => k.name));
  });

  it("schemas/pipeline.schema.json is the assembly of the kind fragments (npm run schema)", () => {
    expect(readFileSync(join(import.meta.dirname, "../../schemas/pipeline.schema.json"), "utf8")).toBe(schemaText());
  });

  for (const kind of KINDS) {
    describe(`${kind.category}/${kind.name}`, () => {
      const dir = join(kindsDir, kind.category, kind.name);

      it("lives in one folder: kind.ts, schema.json, README.md (fresh), example.yaml", () => {
        for (const f of ["kind.ts", "schema.json", "README.md", "example.yaml"]) expect(existsSync(join(dir, f)), f).toBe(true);
        expect(readFileSync(join(dir, "README.md"), "utf8")).toBe(kindReadme(kind));
      });

      it("documents every schema property with a description and examples", () => {
        const props = (kind.schema as any).properties as Record<string, any>;
        for (const [name, p] of Object.entries(props)) {
          if (p.$ref) continue;
          expect(p.description, name).toBeTruthy();
          if (name !== "type") expect(p.examples ?? p.oneOf ?? p.enum, name).toBeTruthy();
        }
        expect((kind.schema as any).additionalProperties).toBe(false);
      });

      it("example.yaml uses the kind, builds, is fmt-clean and passes the security rules", async () => {
        const spec = parseYaml(readFileSync(join(dir, "example.yaml"), "utf8"));
        expect(Object.values(spec[kind.category] ?? {}).some((c: any) => c.type === kind.name)).toBe(true);
        const cwd = mkdtempSync(join(tmpdir(), `pipegen-kind-${kind.name}-`));
        cpSync(join(dir, "example.yaml"), join(cwd, "pipelines", `${spec.pipeline}.yaml`));
        for (const d of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())) cpSync(join(dir, d.name), join(cwd, "pipelines", basename(d.name)), { recursive: true });
        let err = "";
        const code = await main(["build"], { cwd, out: () => {}, err: (s) => (err += s) });
        expect(err).toBe("");
        expect(code).toBe(0);
        const mod = join(cwd, "generated", spec.pipeline);
        for (const f of readdirSync(mod).filter((f) => f.endsWith(".tf"))) {
          const text = readFileSync(join(mod, f), "utf8");
          expect(await format(text), f).toBe(text);
        }
        const r = await checkModule(mod);
        expect(r.violations).toEqual([]);
      });
    });
  }
});
