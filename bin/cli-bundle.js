// Builds and caches the CLI as one CommonJS file (dist/pipegen.cjs) with its templates and schema
// validator precompiled in it. Loading ~70 TypeScript modules through a transpiling loader,
// compiling the 40 KB schema with ajv and compiling every template cost over a second per
// process; the bundle starts in a fraction of that. CommonJS, not ESM, because only a script can
// be given a V8 code cache in Node 20 (bin/load-bundle.js). It is rebuilt whenever a source is newer.
"use strict";
const { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const dist = join(root, "dist");
const BUNDLE = join(dist, "pipegen.cjs");

const INPUTS = ["src", "templates", "schemas", "bin/cli-bundle.js", "package-lock.json"];

function newestMtime(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.name === "runtime" && path.endsWith("src")) continue; // bundled into handlers, not into the CLI
    newest = Math.max(newest, newestMtime(join(path, e.name)));
  }
  return newest;
}

function listFiles(dir, suffix) {
  return readdirSync(join(root, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(suffix))
    .map((f) => `${dir}/${f.split("\\").join("/")}`)
    .sort();
}

/** True when dist/ exists and is newer than every input. */
function isFresh() {
  const built = statSync(BUNDLE, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (!built) return false;
  return INPUTS.every((p) => newestMtime(join(root, p)) <= built);
}

function writeAtomic(path, text) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Same digest as src/cli/stamps.ts computes from the sources, embedded so a build never re-reads them. */
function sourceDigest() {
  const h = require("node:crypto").createHash("sha256");
  for (const dir of ["src", "templates", "schemas"]) {
    for (const f of readdirSync(join(root, dir), { recursive: true }).map(String).sort()) {
      const full = join(root, dir, f);
      if (statSync(full).isFile()) h.update(`${dir}/${f}\0`).update(readFileSync(full)).update("\0");
    }
  }
  h.update(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version);
  return h.digest("hex");
}

/** Loads one self-contained TypeScript module (no imports) of the sources, transpiled by esbuild. */
function loadTypeScript(esbuild, path) {
  const { code } = esbuild.transformSync(readFileSync(join(root, path), "utf8"), { loader: "ts", format: "cjs", sourcefile: path });
  const module = { exports: {} };
  new Function("module", "exports", code)(module, module.exports);
  return module.exports;
}

/** Builds dist/pipegen.cjs and drops the code caches of the previous bundle. */
async function buildBundle() {
  const esbuild = require("esbuild");
  const Handlebars = require("handlebars");
  const Ajv = require("ajv").default;
  const standaloneCode = require("ajv/dist/standalone").default;
  mkdirSync(dist, { recursive: true });

  const templates = [...listFiles("templates", ".hbs"), ...listFiles("src/kinds", ".hbs")];
  const { templateFunctionSource } = loadTypeScript(esbuild, "src/emit/template-codegen.ts");
  const specs = templates.map((t) => `  ${JSON.stringify(t)}: ${templateFunctionSource(Handlebars.parse(readFileSync(join(root, t), "utf8")), t)},`);
  const schema = JSON.parse(readFileSync(join(root, "schemas/pipeline.schema.json"), "utf8"));
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true, code: { source: true, esm: true } });
  // Virtual modules: the entry binds the precompiled assets to the CLI's two entry functions.
  const modules = {
    "pipegen:cli": `import { run as runCli, compileWorker as runWorker } from ${JSON.stringify(join(root, "src/cli/entry.ts"))};
import * as assets from "pipegen:assets";
export const run = (argv, compileWorkerUrl) => runCli(argv, assets, compileWorkerUrl);
export const compileWorker = () => runWorker(assets);
export { registerHostImport } from ${JSON.stringify(join(root, "src/local/esm-import.ts"))};`,
    "pipegen:assets": `export { default as validate } from "pipegen:schema-validator";
export const digest = ${JSON.stringify(sourceDigest())};
export const templates = {\n${specs.join("\n")}\n};`,
    // ajv's standalone output requires two small runtime helpers from ajv, loaded at run time.
    "pipegen:schema-validator": standaloneCode(ajv, ajv.compile(schema)),
  };
  const result = await esbuild.build({
    entryPoints: ["pipegen:cli"],
    plugins: [
      {
        name: "pipegen-virtual",
        setup(b) {
          b.onResolve({ filter: /^pipegen:/ }, (a) => ({ path: a.path, namespace: "pipegen" }));
          b.onLoad({ filter: /.*/, namespace: "pipegen" }, (a) => ({ contents: modules[a.path], loader: "js", resolveDir: root }));
          // commander requires child_process when it loads, for subcommands that are separate
          // executables, which pipegen has none of. Loading it pulls in net, dgram and streams:
          // ~2 ms of every run. commander gets a stand-in that requires it on first use.
          b.onResolve({ filter: /^node:child_process$/ }, (a) => (/[\\/]commander[\\/]/.test(a.importer) ? { path: "child_process", namespace: "pipegen-lazy" } : undefined));
          b.onLoad({ filter: /.*/, namespace: "pipegen-lazy" }, () => ({ contents: 'module.exports = new Proxy({}, { get: (_, key) => require("node:child_process")[key] });', loader: "js" }));
        },
      },
    ],
    bundle: true,
    write: false,
    format: "cjs",
    platform: "node",
    target: "node20",
    outfile: BUNDLE,
    // commander is bundled (one script to cache); `yaml` is required only
    // when a file needs the full parser (src/load/source-doc.ts); heavy or optional packages stay
    // external and load only when a command needs them.
    external: ["esbuild", "yaml", "ajv", "@aws-sdk/*", "@smithy/*", "@cdktf/*", "tsx", "tsx/*"],
    // The sources locate the package through import.meta.url; in a script it comes from __filename.
    define: { "import.meta.url": "__pipegenImportMetaUrl" },
    banner: { js: 'var __pipegenImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    // A script has no import() (see src/local/esm-import.ts): packages and built-ins loaded on
    // demand are required instead.
    supported: { "dynamic-import": false },
    logLevel: "silent",
    legalComments: "none",
    minifyWhitespace: true,
    minifySyntax: true,
  });
  // Caches of the previous bundle would only be rejected; the next run of each command writes its
  // own. The files of the ES module bundle that came before are removed too.
  for (const old of ["code-cache", "chunks", "pipegen.mjs", "assets.mjs", "schema-validator.mjs", "compile-worker.mjs"]) rmSync(join(dist, old), { recursive: true, force: true });
  writeAtomic(BUNDLE, result.outputFiles[0].text);
}

module.exports = { BUNDLE, isFresh, buildBundle };
