import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "pipegen") return dir;
    if (dirname(dir) === dir) throw new Error(`pipegen: cannot find the pipegen package above ${start}`);
  }
}

/**
 * The pipegen package root. Found by walking up from this module, so asset paths (templates,
 * schemas, the handler runtime) resolve the same from src/ under tsx and from the dist bundle,
 * where every module shares one import.meta.url.
 */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** Absolute path of a file shipped with pipegen, from its path relative to the package root. */
export function assetPath(rel: string): string {
  return join(PACKAGE_ROOT, rel);
}
