import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ResourcePlan } from "../plan/module.ts";
import { formatHcl } from "./format-hcl.ts";
import { bundle, bundleKey, esbuildVersion } from "./bundle.ts";
import type { BundleInput } from "./bundle.ts";
import { reproducibleZip, zipComment } from "./zip.ts";
import { assetPath } from "../assets.ts";

/** A file ready to write: path relative to the module folder. */
export interface RenderedFile {
  path: string;
  data: Buffer;
}

/** A handler zip a module needs, identified by the hash of everything that goes into it. */
export interface ZipRequest {
  path: string;
  key: string;
  input: BundleInput;
  /** The zip already in the module folder, if any (reused when its comment carries the same key). */
  existing: string;
}

const memo = new Map<string, Buffer>();
const CACHE_DIR = assetPath("node_modules/.cache/pipegen/bundles");

/** Formats a plan's text files (HCL through the in-process formatter). */
export function renderModule(plan: ResourcePlan): RenderedFile[] {
  const files: RenderedFile[] = [];
  for (const [path, text] of plan.files) {
    const content = path.endsWith(".tf") || path.endsWith(".tfvars") ? formatHcl(text, plan.pipeline) : text.endsWith("\n") ? text : text + "\n";
    files.push({ path, data: Buffer.from(content, "utf8") });
  }
  return files;
}

/** The zips a module needs, keyed by content hash of their inputs. */
export async function zipRequests(plan: ResourcePlan, moduleDir: string, userFiles: (handlerId: string) => string[], cwd: string): Promise<ZipRequest[]> {
  const version = await esbuildVersion();
  return plan.handlers.map((h) => {
    const input: BundleInput = { id: h.id, source: plan.files.get(h.entry)!, resolveDir: resolve(moduleDir, "handlers"), userFiles: userFiles(h.id) };
    const path = `dist/${h.id}.zip`;
    return { path, key: bundleKey(input, version, cwd), input, existing: join(moduleDir, path) };
  });
}

/**
 * Resolves every requested zip: from this process's memo, the zip already in the module, the
 * on-disk cache (node_modules/.cache/pipegen) or, for whatever is left, one esbuild call for all
 * of them together, deduplicated by key (a thousand variants of a pipeline share most handlers).
 */
export async function resolveZips(requests: ZipRequest[], cwd: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const pending = new Map<string, ZipRequest>();
  for (const r of requests) {
    if (out.has(r.key) || pending.has(r.key)) continue;
    const hit = memo.get(r.key) ?? existingZip(r.existing, r.key) ?? cachedZip(r.key);
    if (hit) {
      memo.set(r.key, hit);
      out.set(r.key, hit);
    } else pending.set(r.key, r);
  }
  if (pending.size) {
    // Entry ids must be unique across pipelines: name each bundle by its key.
    const inputs = [...pending.values()].map((r) => ({ ...r.input, id: r.key }));
    const bundles = await bundle(inputs, cwd);
    for (const r of pending.values()) {
      const zip = await reproducibleZip([{ name: "index.mjs", data: bundles.get(r.key)! }], `pipegen:${r.key}`);
      memo.set(r.key, zip);
      out.set(r.key, zip);
      storeCached(r.key, zip);
    }
  }
  return out;
}

function existingZip(path: string, key: string): Buffer | undefined {
  if (!existsSync(path)) return undefined;
  const data = readFileSync(path);
  return zipComment(data) === `pipegen:${key}` ? data : undefined;
}

function cachedZip(key: string): Buffer | undefined {
  const path = join(CACHE_DIR, `${key}.zip`);
  if (!existsSync(path)) return undefined;
  const data = readFileSync(path);
  // A truncated or foreign file is a miss, never a wrong bundle.
  return zipComment(data) === `pipegen:${key}` ? data : undefined;
}

function storeCached(key: string, zip: Buffer): void {
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = join(CACHE_DIR, `${key}.${process.pid}.tmp`);
    writeFileSync(tmp, zip);
    renameSync(tmp, join(CACHE_DIR, `${key}.zip`));
  } catch {
    // The cache is an optimization; a read-only install simply bundles again next time.
  }
}
