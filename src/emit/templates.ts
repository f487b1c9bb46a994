import { readFileSync } from "node:fs";
import Handlebars from "handlebars";

const hb = Handlebars.create();
const cache = new Map<string, HandlebarsTemplateDelegate>();

/**
 * Renders a handlebars template next to the calling module (or in templates/). Templates only print
 * a view model that planners resolved: `strict` makes a missing field throw instead of printing
 * nothing, and `noEscape` because HCL is not HTML (escaping is done once, in hcl-literal.ts).
 */
export function render(templateUrl: URL, view: object): string {
  const key = templateUrl.href;
  let t = cache.get(key);
  if (!t) {
    t = hb.compile(readFileSync(templateUrl, "utf8"), { strict: true, noEscape: true });
    cache.set(key, t);
  }
  return t(view);
}

/** A shared template under the repository's templates/ folder. */
export function sharedTemplate(name: string): URL {
  return new URL(`../../templates/${name}`, import.meta.url);
}
