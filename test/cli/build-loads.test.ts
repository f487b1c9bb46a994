import { describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

// A build runs once per CI job and once per edit: what it loads is start-up time. The heavy or
// optional parts (AWS SDK, HCL parser, esbuild, the full YAML parser, ajv's compiler, worker
// threads, zlib for new zips, child processes) must load only when a command needs them.
const repo = join(import.meta.dirname, "../..");

/** Records, at exit, the Node.js built-ins and the CommonJS files the process loaded. */
const HOOK = `import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
const cache = createRequire(import.meta.url).cache;
process.on("exit", () => writeFileSync(process.env.PIPEGEN_LOADS_OUT, JSON.stringify({ builtins: process.moduleLoadList, files: Object.keys(cache) })));
`;

function loads(cwd: string, ...argv: string[]): { builtins: string[]; packages: string[]; files: string[]; status: number | null; stderr: string } {
  const hook = join(cwd, "loads-hook.mjs");
  const out = join(cwd, `loads-${Date.now()}.json`);
  writeFileSync(hook, HOOK);
  const r = spawnSync(process.execPath, ["--import", hook, join(repo, "bin/pipegen.js"), ...argv], { cwd, encoding: "utf8", env: { ...process.env, PIPEGEN_LOADS_OUT: out } });
  const seen = JSON.parse(readFileSync(out, "utf8")) as { builtins: string[]; files: string[] };
  // Code only: reading a package.json (esbuild's version, for bundle cache keys) loads no code.
  const code = seen.files.filter((f) => /\.[cm]?js$/.test(f));
  const packages = [...new Set(code.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter((p): p is string => p !== undefined))];
  return { builtins: seen.builtins.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13)), packages, files: code, status: r.status, stderr: r.stderr };
}

describe("what a build process loads", () => {
  it("a build whose handler zips are cached loads no heavy or optional module", () => {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-loads-"));
    cpSync(join(repo, "pipelines"), join(cwd, "pipelines"), { recursive: true });
    // The first build bundles the handlers (or finds them cached); the second, into a new folder, finds them cached.
    const first = spawnSync(process.execPath, [join(repo, "bin/pipegen.js"), "build", "pipelines/temperature.yaml", "--out", "first"], { cwd, encoding: "utf8" });
    expect(first.status, first.stderr).toBe(0);
    const r = loads(cwd, "build", "pipelines/temperature.yaml", "--out", "second");
    expect(r.status, r.stderr).toBe(0);
    // The recording works: a build hashes its inputs, so crypto is there.
    expect(r.builtins).toContain("crypto");
    for (const m of ["worker_threads", "zlib", "http", "https", "http2", "child_process"]) expect(r.builtins, m).not.toContain(m);
    for (const p of r.packages) expect(["esbuild", "yaml", "handlebars", "@cdktf/hcl2json", "@cdktf/hcl-tools", "tsx"], p).not.toContain(p);
    // The precompiled schema validator needs two of ajv's runtime helpers, not its compiler.
    const ajvFiles = r.files.filter((f) => f.includes("/node_modules/ajv/"));
    expect(ajvFiles.filter((f) => !f.includes("/node_modules/ajv/dist/runtime/"))).toEqual([]);
    expect(r.packages.filter((p) => p.startsWith("@aws-sdk/") || p.startsWith("@smithy/"))).toEqual([]);
  });

  it("the recording sees a package that is loaded: a YAML anchor needs the full parser", () => {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-loads-"));
    const spec = readFileSync(join(repo, "pipelines/temperature.yaml"), "utf8").replace(/^pipeline: temperature$/m, "pipeline: &name temperature");
    expect(spec).toContain("&name");
    writeFileSync(join(cwd, "anchored.yaml"), spec);
    const r = loads(cwd, "validate", "anchored.yaml");
    expect(r.status, r.stderr).toBe(0);
    expect(r.packages).toContain("yaml");
  });
});
