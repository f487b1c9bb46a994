import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { assetPath, PACKAGE_ROOT } from "../assets.ts";

/**
 * Build stamps let a rebuild skip a pipeline whose inputs did not change: the spec text, the user
 * code it bundled, and pipegen itself (sources, templates, schema). A stamp also records each
 * written file's size and mtime, so a hand edit or deletion in the module folder is noticed and
 * the module is rebuilt. Stamps live in pipegen's cache folder, never in the module.
 */
const STAMP_DIR = assetPath("node_modules/.cache/pipegen/stamps");
let digest: string | undefined;

/** The digest the CLI bundle embedded at build time (see bin/cli-bundle.js). */
export function registerDigest(d: string): void {
  digest = d;
}

/** Hash of everything in pipegen that shapes its output, computed once per process. */
export function pipegenDigest(): string {
  if (!digest) {
    const h = createHash("sha256");
    for (const dir of ["src", "templates", "schemas"]) {
      const root = join(PACKAGE_ROOT, dir);
      if (!existsSync(root)) continue;
      for (const f of readdirSync(root, { recursive: true }).map(String).sort()) {
        const full = join(root, f);
        if (statSync(full).isFile()) h.update(`${dir}/${f}\0`).update(readFileSync(full)).update("\0");
      }
    }
    h.update((JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version);
    digest = h.digest("hex");
  }
  return digest;
}

interface Stamp {
  input: string;
  userFiles: string[];
  files: Record<string, [number, number]>;
}

function stampPath(moduleDir: string): string {
  return join(STAMP_DIR, `${createHash("sha256").update(moduleDir).digest("hex").slice(0, 32)}.json`);
}

function inputHash(specPath: string, specText: string, outDir: string, userFiles: string[], cwd: string): string {
  const h = createHash("sha256").update(pipegenDigest()).update(`\0${specPath}\0${outDir}\0`).update(specText);
  for (const f of [...userFiles].sort()) {
    h.update(`\0${relative(cwd, f).split(sep).join("/")}\0`);
    h.update(existsSync(f) ? readFileSync(f) : "(missing)");
  }
  return h.digest("hex");
}

/** True when the module was built from exactly these inputs and its files are untouched since. */
export function isUpToDate(moduleDir: string, specPath: string, specText: string, outDir: string, cwd: string): boolean {
  const path = stampPath(moduleDir);
  if (!existsSync(path)) return false;
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(path, "utf8")) as Stamp;
  } catch {
    return false;
  }
  if (stamp.input !== inputHash(specPath, specText, outDir, stamp.userFiles, cwd)) return false;
  for (const [rel, [size, mtime]] of Object.entries(stamp.files)) {
    const st = statSync(join(moduleDir, rel), { throwIfNoEntry: false });
    if (!st || st.size !== size || st.mtimeMs !== mtime) return false;
  }
  // A file added by hand would make `--check` fail; notice it here too.
  const count = readdirSync(moduleDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && !d.parentPath.includes(".terraform") && !/\.tfstate|\.terraform\.lock\.hcl|^tfplan/.test(d.name)).length;
  return count === Object.keys(stamp.files).length;
}

/** Records the inputs and written files of a module after a successful build. */
export function writeStamp(moduleDir: string, specPath: string, specText: string, outDir: string, cwd: string, userFiles: string[], files: string[]): void {
  const stamp: Stamp = { input: inputHash(specPath, specText, outDir, userFiles, cwd), userFiles, files: {} };
  for (const rel of files) {
    const st = statSync(join(moduleDir, rel));
    stamp.files[rel] = [st.size, st.mtimeMs];
  }
  try {
    mkdirSync(STAMP_DIR, { recursive: true });
    const tmp = `${stampPath(moduleDir)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(stamp));
    renameSync(tmp, stampPath(moduleDir));
  } catch {
    // Stamps are an optimization only.
  }
}
