#!/usr/bin/env node
// Runs the CLI from a bundle built on first use (and whenever a source changed); falls back to
// running the TypeScript sources through tsx when the bundle cannot be built (read-only install).
// CommonJS (bin/package.json), like the bundle: a process that loads no ES module never starts
// Node's ES module loader (~10 ms).
"use strict";
const v8 = require("node:v8");

// A build allocates mostly short-lived strings (rendered templates, formatted HCL). V8 starts the
// young generation small and only doubles it when it fills, so a 50-pipeline build ran ~27
// scavenges; growing it eight-fold makes that ~16 and halves the time spent in them. It only
// changes how fast the young generation reaches its usual maximum. Set before the bundle is
// compiled: V8 checks its flags when it accepts a code cache.
v8.setFlagsFromString("--semi-space-growth-factor=8");

const { join } = require("node:path");
const { pathToFileURL } = require("node:url");
const { BUNDLE, buildBundle, isFresh } = require("./cli-bundle.js");
const { loadBundle } = require("./load-bundle.js");

async function main() {
  const argv = process.argv.slice(2);
  // Each command compiles different functions, so each keeps its own code cache.
  const command = argv.find((a) => !a.startsWith("-"));
  const cacheName = command && /^[a-z][a-z-]{0,30}$/.test(command) ? command : "other";
  let cli;
  try {
    if (!isFresh()) await buildBundle();
    cli = loadBundle(BUNDLE, cacheName);
    cli.registerHostImport((url) => import(url));
  } catch (e) {
    if (process.env.PIPEGEN_DEBUG) console.error(`pipegen: running from sources (${e.message})`);
    const { register } = await import("tsx/esm/api");
    register();
    const { run } = await import("../src/cli/entry.ts");
    cli = { run: (args) => run(args) };
  }
  process.exitCode = await cli.run(argv, pathToFileURL(join(__dirname, "compile-worker.js")).href);
}

main();
