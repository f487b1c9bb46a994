import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ResourcePlan } from "../plan/module.ts";
import { formatHcl } from "./format-hcl.ts";
import { bundle, bundleKey, esbuildVersion } from "./bundle.ts";
import type { BundleInput } from "./bundle.ts";
import { reproducibleZip, zipComment } from "./zip.ts";

/** A file ready to write: path relative to the module folder. */
export interface RenderedFile {
  path: string;
  data: Buffer;
}

const memo = new Map<string, Buffer>();

/**
 * Formats the plan's files and bundles its handlers into zips. A handler whose inputs hash equals
 * the comment of the zip already in the module (or one bundled earlier in this process) is not
 * bundled again: that is what keeps unchanged rebuilds fast.
 */
export async function emitModule(plan: ResourcePlan, moduleDir: string, userFiles: (handlerId: string) => string[], cwd: string): Promise<RenderedFile[]> {
  const files: RenderedFile[] = [];
  for (const [path, text] of plan.files) {
    const content = path.endsWith(".tf") || path.endsWith(".tfvars") ? formatHcl(text) : text.endsWith("\n") ? text : text + "\n";
    files.push({ path, data: Buffer.from(content, "utf8") });
  }
  const version = await esbuildVersion();
  const pending: Array<BundleInput & { key: string }> = [];
  for (const h of plan.handlers) {
    const input: BundleInput = { id: h.id, source: plan.files.get(h.entry)!, resolveDir: resolve(moduleDir, "handlers"), userFiles: userFiles(h.id) };
    const key = bundleKey(input, version, cwd);
    const zipPath = `dist/${h.id}.zip`;
    const cached = memo.get(key) ?? existingZip(join(moduleDir, zipPath), key);
    if (cached) files.push({ path: zipPath, data: cached });
    else pending.push({ ...input, key });
  }
  if (pending.length) {
    const bundles = await bundle(pending, cwd);
    for (const p of pending) {
      const zip = await reproducibleZip([{ name: "index.mjs", data: bundles.get(p.id)! }], `pipegen:${p.key}`);
      memo.set(p.key, zip);
      files.push({ path: `dist/${p.id}.zip`, data: zip });
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

function existingZip(path: string, key: string): Buffer | undefined {
  if (!existsSync(path)) return undefined;
  const data = readFileSync(path);
  return zipComment(data) === `pipegen:${key}` ? data : undefined;
}
