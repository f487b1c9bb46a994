import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import { assetPath, PACKAGE_ROOT } from "../assets.ts";

/**
 * Build stamps let a rebuild skip a pipeline whose inputs did not change: the spec text, the user
 * code it bundled, and pipegen itself (sources, templates, schema). A stamp also records each
 * written file's size and mtime, so a hand edit or deletion in the module folder is noticed and
 * the module is rebuilt. Stamps live in pipegen's cache folder, never in the module.
 */
const STAMP_DIR = assetPath("node_modules/.cache/pipegen/stamps");
let digest: string | undefined;
let stampDirMade = false;

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

// One stamp file per output folder, holding every module's stamp: a 50-pipeline build writes one
// file instead of fifty. Loaded once per process, written once at the end of a build (saveStamps).
const loaded = new Map<string, { path: string; modules: Record<string, Stamp>; dirty: boolean }>();

function stampsOf(moduleDir: string): { path: string; modules: Record<string, Stamp>; dirty: boolean } {
  const root = dirname(moduleDir);
  let entry = loaded.get(root);
  if (!entry) {
    const path = join(STAMP_DIR, `${createHash("sha256").update(root).digest("hex").slice(0, 32)}.json`);
    let modules: Record<string, Stamp> = {};
    try {
      modules = (JSON.parse(readFileSync(path, "utf8")) as { modules: Record<string, Stamp> }).modules ?? {};
    } catch {
      // Missing or unreadable: every module is rebuilt, which is always correct.
    }
    entry = { path, modules, dirty: false };
    loaded.set(root, entry);
  }
  return entry;
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
  const stamp = stampsOf(moduleDir).modules[basename(moduleDir)];
  if (!stamp?.files) return false;
  if (stamp.input !== inputHash(specPath, specText, outDir, stamp.userFiles, cwd)) return false;
  for (const [rel, [size, mtime]] of Object.entries(stamp.files)) {
    const st = statSync(join(moduleDir, rel), { throwIfNoEntry: false });
    if (!st || st.size !== size || st.mtimeMs !== mtime) return false;
  }
  // A file added by hand would make `--check` fail; notice it here too.
  const count = readdirSync(moduleDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && !d.parentPath.includes(".terraform") && !/\.tfstate|\.terraform\.lock\.hcl|^tfplan/.test(d.name)).length;
  return count === Object.keys(stamp.files).length;
}

/** Records the inputs and files of a module after a successful build; `written` has the stats of the files this build wrote. */
export function writeStamp(moduleDir: string, specPath: string, specText: string, outDir: string, cwd: string, userFiles: string[], files: string[], written: Map<string, [number, number]>): void {
  const stamp: Stamp = { input: inputHash(specPath, specText, outDir, userFiles, cwd), userFiles, files: {} };
  for (const rel of files) {
    const known = written.get(rel);
    if (known) stamp.files[rel] = known;
    else {
      const st = statSync(join(moduleDir, rel));
      stamp.files[rel] = [st.size, st.mtimeMs];
    }
  }
  const stamps = stampsOf(moduleDir);
  stamps.modules[basename(moduleDir)] = stamp;
  stamps.dirty = true;
}

/** Forgets stamps read earlier in this process, so a build sees what the last one saved. */
export function forgetStamps(): void {
  loaded.clear();
}

/** Writes the stamps recorded by writeStamp since the last save. */
export function saveStamps(): void {
  for (const [root, entry] of loaded) {
    if (!entry.dirty) continue;
    for (const name of Object.keys(entry.modules)) if (!existsSync(join(root, name))) delete entry.modules[name];
    try {
      if (!stampDirMade) mkdirSync(STAMP_DIR, { recursive: true });
      stampDirMade = true;
      // Written in place, not through a temp file and a rename: a torn or interleaved file fails to
      // parse or to match, and isUpToDate then just rebuilds the modules.
      writeFileSync(entry.path, JSON.stringify({ modules: entry.modules }));
      entry.dirty = false;
    } catch {
      // Stamps are an optimization only.
    }
  }
}
