import { describe, expect, it } from "vitest";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { main } from "../../src/cli/main.ts";

const repo = join(import.meta.dirname, "../..");

function workspace(): string {
  const cwd = mkdtempSync(join(tmpdir(), "pipegen-cli-"));
  cpSync(join(repo, "pipelines"), join(cwd, "pipelines"), { recursive: true });
  return cwd;
}

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { cwd, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function files(dir: string): Map<string, Buffer> {
  return new Map(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => [join(f.parentPath, f.name).slice(dir.length + 1), readFileSync(join(f.parentPath, f.name))]),
  );
}

describe("pipegen --version", () => {
  it("prints the version from package.json and exits 0", async () => {
    const r = await run(repo, "--version");
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version}\n`);
  });
});

describe("pipegen build", () => {
  it("is deterministic: two builds in different folders are byte-identical, zips included", async () => {
    const a = workspace();
    const b = workspace();
    expect((await run(a, "build")).code).toBe(0);
    // A separate process, so no in-process bundle memo can hide a non-deterministic bundle.
    const child = spawnSync(process.execPath, [join(repo, "bin/pipegen.js"), "build"], { cwd: b, encoding: "utf8" });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const fa = files(join(a, "generated"));
    const fb = files(join(b, "generated"));
    expect([...fa.keys()].sort()).toEqual([...fb.keys()].sort());
    expect([...fa.keys()].some((k) => k.endsWith(".zip"))).toBe(true);
    for (const [k, v] of fa) expect(fb.get(k)!.equals(v), k).toBe(true);
    for (const [k, v] of fa) expect(v.toString("latin1"), k).not.toContain(a);
  });

  it("writes to --out and a rebuild with no change rewrites nothing", async () => {
    const cwd = workspace();
    const first = await run(cwd, "build", "--out", "build/tf");
    expect(first.code).toBe(0);
    expect(existsSync(join(cwd, "build/tf/temperature/main.tf"))).toBe(true);
    const again = await run(cwd, "build", "--out", "build/tf");
    expect(again.out).toMatch(/0 files changed/);
  });

  it("skips pipelines whose spec and output are unchanged, and rebuilds one whose output was edited by hand", async () => {
    const cwd = workspace();
    expect((await run(cwd, "build")).code).toBe(0);
    const pipelines = readdirSync(join(cwd, "pipelines")).filter((f) => f.endsWith(".yaml")).length;
    expect(pipelines).toBeGreaterThan(1);
    expect((await run(cwd, "build")).out).toContain(`(${pipelines} unchanged since the last build, skipped)`);
    const mainTf = join(cwd, "generated/temperature/main.tf");
    const original = readFileSync(mainTf);
    appendFileSync(mainTf, "# hand edit\n");
    const repaired = await run(cwd, "build");
    expect(repaired.out).toContain(`(${pipelines - 1} unchanged since the last build, skipped)`);
    expect(repaired.out).toMatch(/: 1 files? changed/);
    expect(readFileSync(mainTf).equals(original)).toBe(true);
    // A changed spec is rebuilt too, even though its output folder is untouched.
    const spec = join(cwd, "pipelines/temperature.yaml");
    writeFileSync(spec, readFileSync(spec, "utf8").replace("records_per_run: 25", "records_per_run: 26"));
    expect((await run(cwd, "build")).out).toContain(`(${pipelines - 1} unchanged since the last build, skipped)`);
  });

  it("--check passes on fresh output and lists changed, missing and extra files otherwise, writing nothing", async () => {
    const cwd = workspace();
    await run(cwd, "build");
    expect((await run(cwd, "build", "--check")).code).toBe(0);
    const mod = join(cwd, "generated/temperature");
    appendFileSync(join(mod, "main.tf"), "# hand edit\n");
    rmSync(join(mod, "outputs.tf"));
    writeFileSync(join(mod, "stray.tf"), "");
    const before = files(mod);
    const r = await run(cwd, "build", "--check");
    expect(r.code).toBe(1);
    expect(r.err).toContain("generated/temperature/main.tf (differs)");
    expect(r.err).toContain("generated/temperature/outputs.tf (missing)");
    expect(r.err).toContain("generated/temperature/stray.tf (not generated)");
    expect(files(mod)).toEqual(before);
    // A real build repairs all three.
    await run(cwd, "build");
    expect((await run(cwd, "build", "--check")).code).toBe(0);
    expect(existsSync(join(mod, "stray.tf"))).toBe(false);
  });

  it("keeps Terraform's working files in the module folder", async () => {
    const cwd = workspace();
    await run(cwd, "build");
    writeFileSync(join(cwd, "generated/temperature/.terraform.lock.hcl"), "lock");
    writeFileSync(join(cwd, "generated/temperature/terraform.tfstate"), "{}");
    await run(cwd, "build");
    expect(existsSync(join(cwd, "generated/temperature/.terraform.lock.hcl"))).toBe(true);
    expect((await run(cwd, "build", "--check")).code).toBe(0);
  });

  it("writes nothing at all when any of several files is invalid", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, "pipelines/broken.yaml"), "pipeline: broken\nrecord: { a: string }\nsources: { s: { type: kinesis, capacity: lots } }\n");
    const r = await run(cwd, "build");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pipelines\/broken\.yaml:3:\d+/);
    expect(r.err).toContain("nothing was written");
    expect(existsSync(join(cwd, "generated"))).toBe(false);
  });

  it("writes a function transform's stub once and never overwrites the user's edits", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-cli-"));
    cpSync(join(repo, "test/golden/cases/orders/pipelines/orders.yaml"), join(cwd, "pipelines/orders.yaml"));
    const first = await run(cwd, "build");
    expect(first.code).toBe(0);
    const stub = join(cwd, "pipelines/orders/enrich.ts");
    expect(first.out).toContain("created pipelines/orders/enrich.ts");
    expect(readFileSync(stub, "utf8")).toContain("export function transform(");
    writeFileSync(stub, readFileSync(stub, "utf8").replace("return { ...r }", "return { ...r, shop: 'edited' }"));
    const zipBefore = readFileSync(join(cwd, "generated/orders/dist/archive.zip"));
    const second = await run(cwd, "build");
    expect(second.out).not.toContain("created");
    expect(readFileSync(stub, "utf8")).toContain("shop: 'edited'");
    // Editing user code changes the bundle: it is an input of the content hash.
    expect(readFileSync(join(cwd, "generated/orders/dist/archive.zip")).equals(zipBefore)).toBe(false);
    expect(second.out).toContain("generated/orders/dist/archive.zip");
  });

  it("reports a syntax error in user code as a located diagnostic", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-cli-"));
    cpSync(join(repo, "test/golden/cases/orders/pipelines"), join(cwd, "pipelines"), { recursive: true });
    writeFileSync(join(cwd, "pipelines/orders/enrich.ts"), "export function transform(r) {\n  return r +;\n}\n");
    const r = await run(cwd, "build");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pipelines\/orders\/enrich\.ts:2:\d+: .*PG5002/);
    expect(existsSync(join(cwd, "generated"))).toBe(false);
  });
});

describe("pipegen init, validate, graph", () => {
  it("init writes a starter that validates and builds as written", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-cli-"));
    expect((await run(cwd, "init", "clicks")).code).toBe(0);
    expect((await run(cwd, "validate")).out).toMatch(/1 pipeline file valid/);
    expect((await run(cwd, "build")).code).toBe(0);
    expect(existsSync(join(cwd, "generated/clicks/main.tf"))).toBe(true);
    const again = await run(cwd, "init", "clicks");
    expect(again.code).toBe(2);
    expect(again.err).toContain("already exists");
    expect((await run(cwd, "init", "Bad_Name")).code).toBe(2);
  });

  it("graph prints the DAG as Mermaid", async () => {
    const r = await run(repo, "graph", "pipelines/temperature.yaml");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^flowchart LR/);
    expect(r.out).toContain("readings --> plausible");
    expect(r.out).toContain("plausible --> per_device");
    expect(r.out).toContain("simulator -- writes --> readings");
    expect(r.out).toContain("averages -. serves .-> temperature_api");
    expect(readFileSync(join(repo, "generated/temperature/README.md"), "utf8")).toContain(r.out.trim());
  });

  it("uses exit code 2 for usage errors and 1 for invalid input", async () => {
    expect((await run(repo, "build", "--bogus")).code).toBe(2);
    expect((await run(repo, "nope")).code).toBe(2);
    expect((await run(repo, "graph")).code).toBe(2);
    expect((await run(repo, "validate", "pipelines/missing.yaml")).code).toBe(1);
    for (const cmd of ["validate", "build", "graph", "init"]) {
      const h = await run(repo, cmd, "--help");
      expect(h.code, cmd).toBe(0);
      expect(h.out, cmd).toContain(`Usage: pipegen ${cmd}`);
    }
  });
});
