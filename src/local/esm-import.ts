/**
 * Imports an ES module (a bundled handler) by URL. The CLI bundle runs as a script with a V8 code
 * cache (bin/load-bundle.js), and in Node 20 a script's `import()` needs an experimental vm
 * option that a code cache also drops; so the bundle's loader hands in `import` from a real module.
 */
let hostImport: ((url: string) => Promise<unknown>) | undefined;

export function registerHostImport(importer: (url: string) => Promise<unknown>): void {
  hostImport = importer;
}

export function importEsm(url: string): Promise<unknown> {
  return hostImport ? hostImport(url) : import(url);
}
