import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { TemplateDelegate } from "handlebars";
import HandlebarsRuntime from "handlebars/runtime";

/** A template precompiled by handlebars.precompile (its runtime form). */
export type TemplateSpecification = object;
import { assetPath } from "../assets.ts";

type Hb = { template(spec: TemplateSpecification): TemplateDelegate; compile(src: string, o: object): TemplateDelegate; create(): Hb };
// The runtime is imported statically so the CLI bundle carries it as one module: required from
// node_modules it was 20 CommonJS files and ~18 ms of every process start.
let runtime: Hb | undefined;
let fullCompiler: Hb | undefined;

/** Precompiled templates only need handlebars' small runtime; the compiler loads only for a template without a spec. */
function hb(full: boolean): Hb {
  if (full) {
    if (!fullCompiler) {
      const mod = createRequire(import.meta.url)("handlebars") as Hb & { default?: Hb };
      fullCompiler = (mod.default ?? mod).create();
    }
    return fullCompiler;
  }
  return (runtime ??= ((HandlebarsRuntime as Hb & { default?: Hb }).default ?? (HandlebarsRuntime as Hb)).create());
}
const cache = new Map<string, TemplateDelegate>();
let precompiled: Record<string, TemplateSpecification> = {};

/** Templates precompiled when the CLI bundle was built, keyed by path from the package root (saves ~100 ms per process). */
export function registerPrecompiledTemplates(specs: Record<string, TemplateSpecification>): void {
  precompiled = specs;
}

/** Options every template is compiled with; the bundle build precompiles with the same. */
export const TEMPLATE_OPTIONS = { strict: true, noEscape: true, knownHelpersOnly: true } as const;

/**
 * Renders a handlebars template (path relative to the package root). Templates only print a view
 * model that planners resolved: `strict` makes a missing field throw instead of printing nothing,
 * and `noEscape` because HCL is not HTML (escaping is done once, in hcl-literal.ts).
 */
export function render(templatePath: string, view: object): string {
  let t = cache.get(templatePath);
  if (!t) {
    const spec = precompiled[templatePath];
    t = spec ? hb(false).template(spec) : hb(true).compile(readFileSync(assetPath(templatePath), "utf8"), TEMPLATE_OPTIONS);
    cache.set(templatePath, t);
  }
  return t(view);
}

/** A shared template under the repository's templates/ folder. */
export function sharedTemplate(name: string): string {
  return `templates/${name}`;
}
