import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { assetPath } from "../assets.ts";
import { templateFunctionSource, templateRuntime, type TemplateRuntime } from "./template-codegen.ts";

/** A template compiled to a plain function by template-codegen.ts. */
export type CompiledTemplate = (rt: TemplateRuntime, context: object) => string;

const cache = new Map<string, CompiledTemplate>();
let precompiled: Record<string, CompiledTemplate> = {};

/** Templates compiled when the CLI bundle was built, keyed by path from the package root (saves parsing them in every process). */
export function registerPrecompiledTemplates(templates: Record<string, CompiledTemplate>): void {
  precompiled = templates;
}

/**
 * Compiles a template file at run time (running from the TypeScript sources, or a template the
 * bundle does not carry): handlebars parses it, template-codegen.ts turns it into a function.
 */
function compileTemplate(templatePath: string): CompiledTemplate {
  const handlebars = createRequire(import.meta.url)("handlebars") as { parse(src: string): Parameters<typeof templateFunctionSource>[0] };
  const source = templateFunctionSource(handlebars.parse(readFileSync(assetPath(templatePath), "utf8")), templatePath);
  // The source is generated from pipegen's own template files, never from spec text.
  return new Function(`return ${source}`)() as CompiledTemplate;
}

/**
 * Renders a handlebars template (path relative to the package root). Templates only print a view
 * model that planners resolved: a printed field that is missing throws instead of printing
 * nothing (handlebars' strict mode), and nothing is HTML-escaped, because HCL is not HTML
 * (escaping is done once, in hcl-literal.ts).
 */
export function render(templatePath: string, view: object): string {
  let t = cache.get(templatePath);
  if (!t) {
    t = precompiled[templatePath] ?? compileTemplate(templatePath);
    cache.set(templatePath, t);
  }
  return t(templateRuntime, view);
}

/** A shared template under the repository's templates/ folder. */
export function sharedTemplate(name: string): string {
  return `templates/${name}`;
}
