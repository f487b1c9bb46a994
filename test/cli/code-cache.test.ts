import { describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

// bin/load-bundle.js runs the CLI bundle with a V8 code cache per command. A cache must speed a
// run up and never change what it does: a missing, corrupt or foreign cache is ignored and rebuilt.
const repo = join(import.meta.dirname, "../..");

/** A private copy of the package (its own dist/), sharing node_modules. */
function packageCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "pipegen-pkg-"));
  for (const p of ["bin", "src", "templates", "schemas", "pipelines", "package.json"]) cpSync(join(repo, p), join(dir, p), { recursive: true });
  symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

function build(pkg: string, out: string, nodeFlags: string[] = []): { status: number | null; cache: string; out: Map<string, string> } {
  const r = spawnSync(process.execPath, [...nodeFlags, join(pkg, "bin/pipegen.js"), "build", "pipelines/temperature.yaml", "--out", out], { cwd: pkg, encoding: "utf8", env: { ...process.env, PIPEGEN_DEBUG: "1" } });
  expect(r.stderr).not.toContain("running from sources");
  const cache = /pipegen: code cache build: (\w+)/.exec(r.stderr)?.[1] ?? "(no line)";
  const dir = join(pkg, out);
  const files = new Map(readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => [join(f.parentPath, f.name).slice(dir.length + 1), readFileSync(join(f.parentPath, f.name), "latin1")]));
  return { status: r.status, cache, out: files };
}

const caches = (pkg: string) => readdirSync(join(pkg, "dist/code-cache")).filter((f) => f.endsWith(".bin"));

describe("the CLI bundle's code cache", () => {
  it("is written by the first run of a command, used by the next, and changes no output", () => {
    const pkg = packageCopy();
    const first = build(pkg, "a");
    expect(first.status).toBe(0);
    expect(first.cache).toBe("none");
    expect(caches(pkg)).toEqual([expect.stringMatching(/^build-[0-9a-z]+-[0-9a-z]+\.bin$/)]);
    const second = build(pkg, "b");
    expect(second.status).toBe(0);
    expect(second.cache).toBe("used");
    expect([...second.out.keys()].sort()).toEqual([...first.out.keys()].sort());
    for (const [k, v] of first.out) expect(second.out.get(k) === v, k).toBe(true);
  }, 120_000);

  it("ignores a damaged cache and replaces it (V8 itself would crash on one)", () => {
    const pkg = packageCopy();
    expect(build(pkg, "a").status).toBe(0);
    const [name] = caches(pkg);
    const file = join(pkg, "dist/code-cache", name!);
    const good = readFileSync(file);
    // The digest and V8's header stay intact; the compiled code is garbage.
    writeFileSync(file, Buffer.concat([good.subarray(0, 96), Buffer.alloc(good.length - 96, 7)]));
    const r = build(pkg, "b");
    expect(r.status).toBe(0);
    expect(r.cache).toBe("corrupt");
    expect(build(pkg, "c").cache).toBe("used");
  }, 120_000);

  it("is rejected by V8 when the process runs with other V8 flags, and the run is unchanged", () => {
    const pkg = packageCopy();
    const first = build(pkg, "a");
    expect(first.status).toBe(0);
    const other = build(pkg, "b", ["--no-opt"]);
    expect(other.status).toBe(0);
    expect(other.cache).toBe("rejected");
    for (const [k, v] of first.out) expect(other.out.get(k) === v, k).toBe(true);
  }, 120_000);

  it("never meets a rebuilt bundle: a changed source rebuilds dist/ and starts a new cache", () => {
    const pkg = packageCopy();
    expect(build(pkg, "a").status).toBe(0);
    const before = caches(pkg);
    // A source newer than the bundle makes bin/pipegen.js rebuild it.
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(pkg, "src/cli/main.ts"), future, future);
    const r = build(pkg, "b");
    expect(r.status).toBe(0);
    expect(r.cache).toBe("none");
    expect(caches(pkg)).toHaveLength(1);
    expect(caches(pkg)[0]).not.toBe(before[0]);
  }, 120_000);

  it("is not needed: when dist/ cannot be written, the CLI runs from the TypeScript sources", () => {
    const pkg = packageCopy();
    writeFileSync(join(pkg, "dist"), "a file where the bundle folder would go");
    const r = spawnSync(process.execPath, [join(pkg, "bin/pipegen.js"), "validate", "pipelines/temperature.yaml"], { cwd: pkg, encoding: "utf8", env: { ...process.env, PIPEGEN_DEBUG: "1" } });
    expect(r.stderr).toContain("pipegen: running from sources");
    expect(r.stdout).toContain("1 pipeline file valid");
    expect(r.status).toBe(0);
  }, 120_000);

  it("is not written by a failed run", () => {
    const pkg = packageCopy();
    writeFileSync(join(pkg, "pipelines/broken.yaml"), readFileSync(join(pkg, "pipelines/temperature.yaml"), "utf8").replace("inputs: [plausible]", "inputs: [plausibel]"));
    const r = spawnSync(process.execPath, [join(pkg, "bin/pipegen.js"), "build", "pipelines/broken.yaml"], { cwd: pkg, encoding: "utf8", env: { ...process.env, PIPEGEN_DEBUG: "1" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("code cache build: none");
    expect(readdirSync(join(pkg, "dist"))).not.toContain("code-cache");
  }, 120_000);
});
