import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, posix, relative, resolve, sep } from "node:path";
import type { Plugin } from "esbuild";
import { RUNTIME_MODULE } from "../plan/handlers.ts";
import { PACKAGE_ROOT } from "../assets.ts";

/** The pipegen package root: esbuild runs relative to it so bundles never contain absolute paths. */
export { PACKAGE_ROOT };
const RUNTIME_DIR = join(PACKAGE_ROOT, "src/runtime");
const RUNTIME_ENTRY = join(RUNTIME_DIR, "index.ts");

/** Bump when bundle options change, so zips built by an older pipegen are rebuilt. */
const BUNDLE_FORMAT = 3;

let runtimeHash: string | undefined;

/** Hash of every runtime source file (plus the esbuild version), computed once per process. */
function runtimeDigest(esbuildVersion: string): string {
  if (!runtimeHash) {
    const h = createHash("sha256").update(`esbuild ${esbuildVersion} format ${BUNDLE_FORMAT}\n`);
    for (const f of readdirSync(RUNTIME_DIR, { recursive: true }).map(String).filter((f) => f.endsWith(".ts")).sort()) {
      h.update(f).update("\0").update(readFileSync(join(RUNTIME_DIR, f))).update("\0");
    }
    runtimeHash = h.digest("hex");
  }
  return runtimeHash;
}

export interface BundleInput {
  id: string;
  source: string;
  /** Folder the handler source will live in, to resolve its relative imports of user code. */
  resolveDir: string;
  /** Absolute paths of user code it imports, hashed as inputs. */
  userFiles: string[];
}

/** The hash that names a bundle's inputs; equal hashes mean an identical bundle. */
export function bundleKey(input: BundleInput, esbuildVersion: string, cwd: string): string {
  // The leading comment lines name the spec and pipeline; esbuild drops them, so they must not split the cache.
  const h = createHash("sha256").update(runtimeDigest(esbuildVersion)).update(input.source.replace(/^(\/\/[^\n]*\n)+/, ""));
  for (const f of [...input.userFiles].sort()) h.update("\0").update(relative(cwd, f).split(sep).join("/")).update("\0").update(readFileSync(f));
  return h.digest("hex");
}

/**
 * Bundles handlers with esbuild in one call. Entry points, the runtime and user code are loaded
 * through plugin namespaces with stable names (`pipegen-runtime:stream-handler.ts`,
 * `pipegen-user:pipelines/orders/enrich.ts`), because esbuild writes each module's path into the
 * bundle as a comment: real paths would make the zip depend on where pipegen or the project lives.
 */
export async function bundle(inputs: BundleInput[], cwd: string): Promise<Map<string, Buffer>> {
  const esbuild = await import("esbuild");
  const byId = new Map(inputs.map((i) => [i.id, i]));
  const userPath = (abs: string) => relative(cwd, abs).split(sep).join("/");
  const plugin: Plugin = {
    name: "pipegen-handlers",
    setup(b) {
      b.onResolve({ filter: /^pipegen-handler:/ }, (a) => ({ path: a.path.slice("pipegen-handler:".length), namespace: "pipegen-handler" }));
      b.onLoad({ filter: /.*/, namespace: "pipegen-handler" }, (a) => {
        const i = byId.get(a.path)!;
        return { contents: i.source, loader: "ts", resolveDir: i.resolveDir };
      });
      // The runtime has no module-level side effects a handler relies on: marking it so lets esbuild
      // drop every runtime module (and the SDK clients it imports) that a handler does not use.
      b.onResolve({ filter: new RegExp(`^${RUNTIME_MODULE.replace("/", "\\/")}$`) }, () => ({ path: "index.ts", namespace: "pipegen-runtime", sideEffects: false }));
      b.onResolve({ filter: /^\.\.?\//, namespace: "pipegen-runtime" }, (a) => ({ path: posix.normalize(posix.join(posix.dirname(a.importer), a.path)), namespace: "pipegen-runtime", sideEffects: false }));
      b.onLoad({ filter: /.*/, namespace: "pipegen-runtime" }, (a) => ({ contents: readFileSync(join(RUNTIME_DIR, a.path)), loader: "ts", resolveDir: join(RUNTIME_DIR, posix.dirname(a.path)) }));
      // The module folder may not exist yet on a first build, so user-code paths are resolved here.
      b.onResolve({ filter: /^\.\.?\//, namespace: "pipegen-handler" }, (a) => ({ path: userPath(resolve(a.resolveDir, a.path)), namespace: "pipegen-user" }));
      b.onResolve({ filter: /^\.\.?\//, namespace: "pipegen-user" }, (a) => ({ path: userPath(resolve(cwd, posix.dirname(a.importer), a.path)), namespace: "pipegen-user" }));
      b.onLoad({ filter: /.*/, namespace: "pipegen-user" }, (a) => ({ contents: readFileSync(join(cwd, a.path)), loader: a.path.endsWith(".js") ? "js" : "ts", resolveDir: dirname(join(cwd, a.path)) }));
    },
  };
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(inputs.map((i) => [i.id, `pipegen-handler:${i.id}`])),
    bundle: true,
    write: false,
    outdir: "out",
    outExtension: { ".js": ".mjs" },
    format: "esm",
    platform: "node",
    target: "node22",
    // The Lambda Node.js runtime ships AWS SDK v3; bundling it would add megabytes per function.
    external: ["@aws-sdk/*"],
    legalComments: "none",
    charset: "utf8",
    // Packages user code imports are printed relative to the project, which is stable for it.
    absWorkingDir: cwd,
    logLevel: "silent",
    plugins: [plugin],
  });
  const out = new Map<string, Buffer>();
  for (const f of result.outputFiles) {
    const id = f.path.split(/[\\/]/).pop()!.replace(/\.mjs$/, "");
    out.set(id, Buffer.from(f.contents));
  }
  return out;
}

/** The esbuild version, part of every bundle key (a new esbuild may emit different bytes). */
export async function esbuildVersion(): Promise<string> {
  // Read from package.json: importing esbuild itself costs ~40 ms when nothing needs bundling.
  return (createRequire(import.meta.url)("esbuild/package.json") as { version: string }).version;
}
