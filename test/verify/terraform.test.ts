import { afterAll, describe, expect, it } from "vitest";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmtCheck, init, validate } from "../support/terraform.ts";
import { findPluginDir, findTerraform } from "../support/tools.ts";

// Every generated module — the committed ones and the golden cases — must be fmt-clean and
// validate against the real AWS provider schema (from the local mirror; no network).
const repo = join(import.meta.dirname, "../..");
const modules = [
  ...readdirSync(join(repo, "generated")).map((m) => join(repo, "generated", m)),
  ...readdirSync(join(repo, "test/golden/cases")).flatMap((c) => {
    const exp = join(repo, "test/golden/cases", c, "expected");
    return existsSync(exp) ? readdirSync(exp).map((m) => join(exp, m)) : [];
  }),
];
const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

describe("generated modules against real Terraform", () => {
  it("finds terraform and the provider mirror (fails loudly when missing)", () => {
    expect(findTerraform()).toBeTruthy();
    expect(findPluginDir()).toBeTruthy();
    expect(modules.length).toBeGreaterThanOrEqual(2);
  });

  for (const dir of modules) {
    const name = dir.slice(repo.length + 1);
    it(`${name}: terraform fmt -check, init -plugin-dir, validate with zero diagnostics`, async () => {
      await fmtCheck(dir);
      const work = mkdtempSync(join(tmpdir(), "pipegen-validate-"));
      temps.push(work);
      cpSync(dir, work, { recursive: true });
      await init(work, { backend: false });
      const v = await validate(work);
      expect(v.valid).toBe(true);
      // Warnings count too: deprecated arguments would break on the next provider major.
      expect(v.diagnostics.map((d) => `${d.severity}: ${d.summary}`)).toEqual([]);
    });
  }
});
