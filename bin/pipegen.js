#!/usr/bin/env node
// Runs the CLI from a bundle built on first use (and whenever a source changed); falls back to
// running the TypeScript sources through tsx when the bundle cannot be built (read-only install).
import { ASSETS, BUNDLE, buildBundle, isFresh } from "./cli-bundle.js";
import { pathToFileURL } from "node:url";

let run;
let assets;
try {
  if (!isFresh()) await buildBundle();
  ({ run } = await import(pathToFileURL(BUNDLE).href));
  assets = await import(pathToFileURL(ASSETS).href);
} catch (e) {
  if (process.env.PIPEGEN_DEBUG) console.error(`pipegen: running from sources (${e.message})`);
  const { register } = await import("tsx/esm/api");
  register();
  ({ run } = await import("../src/cli/entry.ts"));
}
process.exitCode = await run(process.argv.slice(2), assets);
