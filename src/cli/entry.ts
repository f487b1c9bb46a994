import type { ValidateFunction } from "ajv";
import type { CompiledTemplate } from "../emit/templates.ts";
import { main } from "./main.ts";
import { registerPrecompiledTemplates } from "../emit/templates.ts";
import { registerPrecompiledValidator } from "../validate/validate.ts";
import { registerDigest } from "./stamps.ts";
import { registerCompileWorker } from "./compile-pool.ts";
import { runCompileWorker } from "./compile-worker.ts";

/** Assets the CLI bundle build precompiled (see bin/cli-bundle.js). */
export interface PrecompiledAssets {
  templates: Record<string, CompiledTemplate>;
  validate: ValidateFunction;
  digest: string;
}

function register(assets: PrecompiledAssets): void {
  registerPrecompiledTemplates(assets.templates);
  registerPrecompiledValidator(assets.validate);
  registerDigest(assets.digest);
}

/**
 * Process entry used by bin/pipegen.js: wires the precompiled assets (and the compile worker's
 * entry script, when running from the bundle), then runs the CLI on the real stdio.
 */
export async function run(argv: string[], assets?: PrecompiledAssets, compileWorkerUrl?: string): Promise<number> {
  if (assets) register(assets);
  if (compileWorkerUrl) registerCompileWorker(compileWorkerUrl);
  return main(argv, { cwd: process.cwd(), out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
}

/** Entry of a compile worker thread (bin/compile-worker.js). */
export async function compileWorker(assets: PrecompiledAssets): Promise<void> {
  register(assets);
  await runCompileWorker();
}
