import type { ValidateFunction } from "ajv";
import type { TemplateSpecification } from "../emit/templates.ts";
import { main } from "./main.ts";
import { registerPrecompiledTemplates } from "../emit/templates.ts";
import { registerPrecompiledValidator } from "../validate/validate.ts";
import { registerDigest } from "./stamps.ts";
import { registerCompileWorker } from "./compile-pool.ts";

/** Assets the CLI bundle build precompiled (see bin/cli-bundle.js). */
export interface PrecompiledAssets {
  templates: Record<string, TemplateSpecification>;
  validate: ValidateFunction;
  digest: string;
  /** URLs of the bundled compile worker and of this assets module (workers load both). */
  compileWorkerUrl?: string;
  assetsUrl?: string;
}

/** Process entry used by bin/pipegen.js: wires precompiled assets, then runs the CLI on the real stdio. */
export async function run(argv: string[], assets?: PrecompiledAssets): Promise<number> {
  if (assets) {
    registerPrecompiledTemplates(assets.templates);
    registerPrecompiledValidator(assets.validate);
    registerDigest(assets.digest);
    if (assets.compileWorkerUrl && assets.assetsUrl) registerCompileWorker(assets.compileWorkerUrl, assets.assetsUrl);
  }
  return main(argv, { cwd: process.cwd(), out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
}
