/**
 * Proves every required rule of SECURITY-RULES.md on every Terraform module pipegen
 * generated into `generated/` (and on `bootstrap/` when it exists). Fails when there is
 * nothing to check, so it can never pass vacuously.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkModule, formatViolations } from "./check-module.ts";
import { loadModule } from "./load-module.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const SKIP = new Set([".terraform", "node_modules", ".git"]);

/** Directories under `dir` (itself included) that directly contain a `.tf` file. */
function moduleDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const entries = readdirSync(dir, { withFileTypes: true });
  const here = entries.some((e) => e.isFile() && e.name.endsWith(".tf")) ? [dir] : [];
  const below = entries
    .filter((e) => e.isDirectory() && !SKIP.has(e.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => moduleDirs(path.join(dir, e.name)));
  return [...here, ...below];
}

const generatedRoot = path.join(ROOT, "generated");
const generated = moduleDirs(generatedRoot).filter((d) => d !== generatedRoot);
const bootstrap = moduleDirs(path.join(ROOT, "bootstrap"));
const modules = [...generated, ...bootstrap].map((d) => path.relative(ROOT, d));

describe("generated Terraform modules satisfy SECURITY-RULES.md", () => {
  it("there are generated modules to check", () => {
    if (generated.length === 0) throw new Error("no generated modules found under generated/");
  });

  it.each(modules)("%s has no violations", async (rel) => {
    const dir = path.join(ROOT, rel);
    const model = await loadModule(dir);
    // Local child modules are checked as modules of their own; anything else is not analysed.
    const unanalysed = Object.entries(model.modules)
      .filter(([, body]) => {
        const source = typeof body.source === "string" ? body.source : "";
        return !/^\.\.?\//.test(source) || !modules.includes(path.relative(ROOT, path.resolve(dir, source)));
      })
      .map(([name]) => name);
    expect(unanalysed, `${rel} calls modules whose resources are not analysed`).toEqual([]);
    const result = await checkModule(dir);
    console.log(`${rel}: ${result.applied.length} rules applied: ${result.applied.join(" ")}`);
    for (const i of result.ignored) console.log(`${rel}: ignored ${i.id} on ${i.resource}: ${i.reason}`);
    expect(result.violations, `${rel}:\n${formatViolations(result.violations)}`).toEqual([]);
  });
});
