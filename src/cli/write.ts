import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { RenderedFile } from "../emit/emit.ts";

/** Files in a module folder that belong to Terraform runs, not to pipegen, and must survive a rebuild. */
const FOREIGN = [/^\.terraform(\/|$)/, /^\.terraform\.lock\.hcl$/, /\.tfstate(\.backup)?$/, /^tfplan/];

/** Lists a module folder's files (relative, posix), without Terraform's working files. */
export function listModuleFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1).split("\\").join("/"))
    .filter((p) => !FOREIGN.some((r) => r.test(p)))
    .sort();
}

/** What differs between the files build would write and the module folder: changed, missing and extra paths. */
export function staleFiles(dir: string, files: RenderedFile[]): { changed: string[]; missing: string[]; extra: string[] } {
  const want = new Map(files.map((f) => [f.path, f.data]));
  const have = listModuleFiles(dir);
  const changed: string[] = [];
  const missing: string[] = [];
  for (const [p, data] of want) {
    const full = join(dir, p);
    if (!existsSync(full)) missing.push(p);
    else if (!readFileSync(full).equals(data)) changed.push(p);
  }
  const extra = have.filter((p) => !want.has(p));
  return { changed: changed.sort(), missing: missing.sort(), extra };
}

/**
 * Writes a module folder: unchanged files are left alone (by content), changed ones are replaced
 * atomically (temp file + rename, so a reader never sees half a file), new ones are written
 * directly, and files pipegen no longer generates are removed. Each folder is created once.
 * Returns the size and mtime of each file written, which the build stamp records.
 */
export function writeModule(dir: string, files: RenderedFile[]): { written: string[]; removed: string[]; stats: Map<string, [number, number]> } {
  const fresh = !existsSync(dir);
  const { changed, missing, extra } = fresh ? { changed: [], missing: files.map((f) => f.path).sort(), extra: [] } : staleFiles(dir, files);
  const byPath = new Map(files.map((f) => [f.path, f.data]));
  const made = new Set<string>();
  const ensureDir = (d: string) => {
    if (!made.has(d)) {
      mkdirSync(d, { recursive: true });
      made.add(d);
    }
  };
  const stats = new Map<string, [number, number]>();
  for (const p of missing) {
    const full = join(dir, p);
    ensureDir(dirname(full));
    stats.set(p, writeAndStat(full, byPath.get(p)!));
  }
  for (const p of changed) {
    const full = join(dir, p);
    const tmp = `${full}.pipegen-tmp`;
    stats.set(p, writeAndStat(tmp, byPath.get(p)!));
    renameSync(tmp, full);
  }
  for (const p of extra) rmSync(join(dir, p));
  return { written: [...changed, ...missing].sort(), removed: extra, stats };
}

/** Writes a file and returns its size and mtime from the open descriptor (no second path lookup). */
function writeAndStat(path: string, data: Buffer): [number, number] {
  const fd = openSync(path, "w");
  try {
    writeFileSync(fd, data);
    const st = fstatSync(fd);
    return [st.size, st.mtimeMs];
  } finally {
    closeSync(fd);
  }
}

/** Writes a file only if it does not exist yet (user code stubs). */
export function writeIfMissing(path: string, content: string): boolean {
  if (existsSync(path)) return false;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { flag: "wx" });
  return true;
}
