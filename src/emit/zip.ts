/**
 * A reproducible zip: fixed entry date (local 1980-01-01, the DOS epoch, so the time zone cannot
 * change the bytes), fixed mode, sorted entries, stored without compression so the bytes do not
 * depend on the zlib version of the Node.js that built them. The comment carries the input hash,
 * which lets a rebuild skip bundling when nothing changed.
 */
export async function reproducibleZip(entries: Array<{ name: string; data: Buffer }>, comment: string): Promise<Buffer> {
  // Loaded on first use: yazl brings Node's stream and zlib modules, which a build whose handler
  // zips all come from the cache never needs.
  const { default: yazl } = await import("yazl");
  const zip = new yazl.ZipFile();
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    zip.addBuffer(e.data, e.name, { mtime: new Date(1980, 0, 1, 0, 0, 0), mode: 0o100644, compress: false, forceDosTimestamp: true });
  }
  zip.end({ comment, forceZip64Format: false });
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on("data", (c: Buffer) => chunks.push(c));
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on("error", reject);
  });
}

/** Reads the comment at the end of a zip (the end-of-central-directory record), or undefined. */
export function zipComment(zip: Buffer): string | undefined {
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      const len = zip.readUInt16LE(i + 20);
      return zip.subarray(i + 22, i + 22 + len).toString("utf8");
    }
  }
  return undefined;
}
