#!/usr/bin/env node
// Runs the CLI from a bundle built on first use (and whenever a source changed); falls back to
// running the TypeScript sources through tsx when the bundle cannot be built (read-only install).
import { ASSETS, BUNDLE, buildBundle, isFresh } from "./cli-bundle.js";
import { pathToFileURL } from "node:url";
import v8 from "node:v8";

// A build allocates mostly short-lived strings (rendered templates, formatted HCL). V8 starts the
// young generation small and only doubles it when it fills, so a 50-pipeline build ran ~27
// scavenges; growing it eight-fold makes that ~16 and halves the time spent in them. It only
// changes how fast the young generation reaches its usual maximum.
v8.setFlagsFromString("--semi-space-growth-factor=8");

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
