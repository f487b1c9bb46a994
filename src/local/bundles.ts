/** Loading a handler bundle (index.mjs, export `handler`) into this process, as Lambda's Node.js runtime would. */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PACKAGE_ROOT } from "../assets.ts";
import { importEsm } from "./esm-import.ts";

/** A loaded Lambda handler. */
export type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

/** Reads the entries of a stored (uncompressed) zip, as pipegen writes them, via its central directory. */
export function readStoredZip(zip: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error("not a zip file");
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error("bad central directory");
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString("utf8");
    if (method !== 0) throw new Error(`${name}: expected a stored entry, got compression method ${method}`);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    out.set(name, zip.subarray(dataStart, dataStart + size));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** The index.mjs inside a function zip. */
export function zipEntryCode(zip: Buffer, what: string): Buffer {
  const code = readStoredZip(zip).get("index.mjs");
  if (!code) throw new Error(`${what} has no index.mjs`);
  return code;
}

/**
 * Imports a bundle's `handler`. Bundles keep `@aws-sdk/*` external (Lambda's runtime provides it),
 * so the file is written below pipegen's own package folder, where Node resolves the SDK from
 * pipegen's dependencies. Files are named by content hash. `instance` names a fresh module instance:
 * the runtime creates its SDK clients once per instance (as once per Lambda container), reading the
 * endpoint from the environment, so each session against another endpoint needs its own instance.
 */
export async function loadHandler(code: Buffer, instance = "default"): Promise<Handler> {
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 24);
  const dir = join(PACKAGE_ROOT, "node_modules", ".cache", "pipegen-local", hash);
  const file = join(dir, "index.mjs");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  const mod = (await importEsm(`${pathToFileURL(file).href}?instance=${encodeURIComponent(instance)}`)) as { handler?: unknown };
  if (typeof mod.handler !== "function") throw new Error(`bundle ${hash} does not export a handler function`);
  return mod.handler as Handler;
}
