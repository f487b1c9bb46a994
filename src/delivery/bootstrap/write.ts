import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { RenderedFile } from "../../emit/emit.ts";
import { staleFiles } from "../../cli/write.ts";

/** Terraform override files a platform engineer may add (e.g. backend_override.tf): never stale, never removed. */
const KEEP = /(^|\/)(override|[^/]*_override)\.tf(\.json)?$/;

/** Stale paths (relative to the output folder) of every folder: changed, missing, and files bootstrap does not generate. */
export function staleBootstrap(outDir: string, folders: Map<string, RenderedFile[]>): { changed: string[]; missing: string[]; extra: string[] } {
  const changed: string[] = [];
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [folder, files] of folders) {
    const at = (p: string): string => (folder ? `${folder}/${p}` : p);
    if (folder === "") {
      // The top folder holds the README; the module folders below it are compared on their own.
      for (const f of files) {
        const full = join(outDir, f.path);
        if (!existsSync(full)) missing.push(f.path);
        else if (!readFileSync(full).equals(f.data)) changed.push(f.path);
      }
      continue;
    }
    const s = staleFiles(join(outDir, folder), files);
    changed.push(...s.changed.map(at));
    missing.push(...s.missing.map(at));
    extra.push(...s.extra.filter((p) => !KEEP.test(p)).map(at));
  }
  return { changed: changed.sort(), missing: missing.sort(), extra: extra.sort() };
}

/** Writes changed and missing files (temp file + rename) and removes files bootstrap no longer generates. */
export function writeBootstrap(outDir: string, folders: Map<string, RenderedFile[]>): { written: string[]; removed: string[] } {
  const { changed, missing, extra } = staleBootstrap(outDir, folders);
  const data = new Map<string, Buffer>();
  for (const [folder, files] of folders) for (const f of files) data.set(folder ? `${folder}/${f.path}` : f.path, f.data);
  const written = [...changed, ...missing].sort();
  for (const p of written) {
    const full = join(outDir, p);
    mkdirSync(dirname(full), { recursive: true });
    const tmp = `${full}.pipegen-tmp`;
    writeFileSync(tmp, data.get(p)!);
    renameSync(tmp, full);
  }
  for (const p of extra) rmSync(join(outDir, p));
  return { written, removed: extra };
}
