import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

// `build` of many pipelines compiles them on worker threads (src/cli/compile-pool.ts). Scheduling
// must never show in the output: the same project built on one thread and on several gives the
// same files byte for byte and the same diagnostics in the same order.
const repo = join(import.meta.dirname, "../..");
const reference = readFileSync(join(repo, "pipelines/temperature.yaml"), "utf8");

function project(n: number, broken: number[] = []): string {
  const cwd = mkdtempSync(join(tmpdir(), "pipegen-parallel-"));
  mkdirSync(join(cwd, "pipelines"));
  for (let i = 1; i <= n; i++) {
    const name = `p${String(i).padStart(2, "0")}`;
    let text = reference.replace(/^pipeline: temperature$/m, `pipeline: ${name}`).replace(/records_per_run: \d+/, `records_per_run: ${i}`);
    if (broken.includes(i)) text = text.replace("inputs: [plausible]", "inputs: [plausibel]");
    writeFileSync(join(cwd, "pipelines", `${name}.yaml`), text);
  }
  return cwd;
}

function build(cwd: string, out: string, workers: number) {
  const r = spawnSync(process.execPath, [join(repo, "bin/pipegen.js"), "build", "--out", out], { cwd, encoding: "utf8", env: { ...process.env, PIPEGEN_WORKERS: String(workers), PIPEGEN_DEBUG: "1" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function tree(dir: string): Map<string, Buffer> {
  return new Map(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => [join(f.parentPath, f.name).slice(dir.length + 1), readFileSync(join(f.parentPath, f.name))]),
  );
}

describe("parallel compile", () => {
  it("writes byte-identical modules on 1 and on 3 threads", () => {
    const cwd = project(12);
    const one = build(cwd, "one", 0);
    const three = build(cwd, "three", 2);
    expect(one.err).toContain("compiling 12 spec(s) on 1 thread(s)");
    expect(three.err).toContain("compiling 12 spec(s) on 3 thread(s)");
    expect(one.code).toBe(0);
    expect(three.code).toBe(0);
    const a = tree(join(cwd, "one"));
    const b = tree(join(cwd, "three"));
    expect(a.size).toBe(12 * 26);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [path, data] of a) expect(b.get(path)!.equals(data), path).toBe(true);
  }, 120_000);

  it("reports the same diagnostics in the same order and writes nothing when a spec is invalid", () => {
    const cwd = project(10, [3, 8]);
    const one = build(cwd, "one", 0);
    const three = build(cwd, "three", 2);
    expect(one.code).toBe(1);
    expect(three.code).toBe(1);
    const diags = (s: string) => s.split("\n").filter((l) => l.startsWith("pipelines/"));
    expect(diags(one.err).length).toBe(4);
    expect(diags(one.err).filter((l) => l.startsWith("pipelines/p08.yaml")).length).toBe(2);
    expect(diags(three.err)).toEqual(diags(one.err));
    expect(diags(one.err)[0]).toMatch(/^pipelines\/p03\.yaml:\d+:\d+: /);
    expect(readdirSync(cwd).sort()).toEqual(["pipelines"]);
  }, 120_000);
});
