import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

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

/**
 * Imports the handler from a generated function zip exactly as Lambda would load it (index.mjs,
 * export `handler`). It is unpacked under node_modules/.cache so `@aws-sdk/*`, which Lambda's
 * runtime provides, resolves from the repository's dependencies.
 */
export async function loadBundledHandler<T = (event: unknown) => Promise<unknown>>(zipPath: string): Promise<T> {
  const entries = readStoredZip(readFileSync(zipPath));
  const code = entries.get("index.mjs");
  if (!code) throw new Error(`${zipPath} has no index.mjs`);
  const root = join(import.meta.dirname, "../../node_modules/.cache/pipegen-test");
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, "fn-"));
  writeFileSync(join(dir, "index.mjs"), code);
  const mod = (await import(pathToFileURL(join(dir, "index.mjs")).href)) as { handler: T };
  return mod.handler;
}
