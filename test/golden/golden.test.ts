import { describe, expect, it } from "vitest";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../../src/cli/main.ts";

// Each case: cases/<name>/pipelines/ (specs and user code) and cases/<name>/expected/ (the whole
// generated/ tree). UPDATE_SNAPSHOTS=1 rewrites expected/ — review the diff before committing.
const casesDir = join(import.meta.dirname, "cases");
const update = process.env.UPDATE_SNAPSHOTS === "1";

function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) out.set(join(f.parentPath, f.name).slice(dir.length + 1), readFileSync(join(f.parentPath, f.name)));
  }
  return out;
}

async function buildCase(name: string): Promise<{ cwd: string; code: number; err: string }> {
  const cwd = mkdtempSync(join(tmpdir(), `pipegen-golden-${name}-`));
  cpSync(join(casesDir, name, "pipelines"), join(cwd, "pipelines"), { recursive: true });
  let err = "";
  const code = await main(["build"], { cwd, out: () => {}, err: (s) => (err += s) });
  return { cwd, code, err };
}

describe("golden modules", () => {
  for (const name of readdirSync(casesDir).sort()) {
    it(`${name} matches expected/ byte for byte`, async () => {
      const { cwd, code, err } = await buildCase(name);
      expect(err).toBe("");
      expect(code).toBe(0);
      const got = tree(join(cwd, "generated"));
      const expectedDir = join(casesDir, name, "expected");
      if (update) {
        rmSync(expectedDir, { recursive: true, force: true });
        for (const [p, data] of got) {
          mkdirSync(dirname(join(expectedDir, p)), { recursive: true });
          writeFileSync(join(expectedDir, p), data);
        }
      }
      const want = tree(expectedDir);
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [p, data] of want) expect(got.get(p)?.equals(data), `${p} differs from expected (UPDATE_SNAPSHOTS=1 to accept)`).toBe(true);
      rmSync(cwd, { recursive: true, force: true });
    });
  }

  it("the committed reference module is what build writes (pipegen build --check)", async () => {
    let err = "";
    let out = "";
    const code = await main(["build", "--check"], { cwd: join(import.meta.dirname, "../.."), out: (s) => (out += s), err: (s) => (err += s) });
    expect(err).toBe("");
    expect(out).toMatch(/up to date/);
    expect(code).toBe(0);
  });
});
