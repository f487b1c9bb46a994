import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, existsSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Generated handler sources (and the user code they import) must compile under strict TypeScript
// against the real runtime, as openapi-typescript and graphql-code-generator check their output.
const repo = join(import.meta.dirname, "../..");

function handlerFiles(): string[] {
  const roots = [
    ...readdirSync(join(repo, "generated")).map((m) => join(repo, "generated", m)),
    ...readdirSync(join(repo, "test/golden/cases")).flatMap((c) => {
      const exp = join(repo, "test/golden/cases", c, "expected");
      return existsSync(exp) ? readdirSync(exp).map((m) => join(exp, m)) : [];
    }),
  ];
  return roots.flatMap((r) => (existsSync(join(r, "handlers")) ? readdirSync(join(r, "handlers")).filter((f) => f.endsWith(".ts")).map((f) => join(r, "handlers", f)) : []));
}

describe("generated handlers", () => {
  it("type-check with tsc --noEmit in strict mode", () => {
    const files = handlerFiles();
    expect(files.length).toBeGreaterThanOrEqual(6);
    const dir = mkdtempSync(join(tmpdir(), "pipegen-tsc-"));
    const config = {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        skipLibCheck: true,
        types: ["node"],
        typeRoots: [join(repo, "node_modules/@types")],
        baseUrl: repo,
        paths: { "pipegen/runtime": ["src/runtime/index.ts"] },
      },
      files,
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config));
    const r = spawnSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], { encoding: "utf8", cwd: repo });
    rmSync(dir, { recursive: true, force: true });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
