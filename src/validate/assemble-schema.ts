import { readFileSync } from "node:fs";
import { KINDS } from "../kinds/index.ts";
import { assetPath } from "../assets.ts";
import type { Category } from "../model/types.ts";

const SINGULAR: Record<Category, string> = { sources: "source", transforms: "transform", sinks: "sink", serve: "serve" };

/**
 * Builds the pipeline schema from the root fragment and every kind's fragment. Each category
 * selects the kind's fragment with if/then on `type`, so ajv reports errors only for the kind the
 * user meant instead of one error per alternative (which is what oneOf would produce).
 */
export function assembleSchema(): Record<string, unknown> {
  const root = JSON.parse(readFileSync(assetPath("src/validate/root.schema.json"), "utf8")) as Record<string, any>;
  const shared = JSON.parse(readFileSync(assetPath("src/kinds/shared/schema.json"), "utf8")) as Record<string, any>;
  const definitions: Record<string, unknown> = { ...shared.definitions };
  for (const category of ["sources", "transforms", "sinks", "serve"] as const) {
    const kinds = KINDS.filter((k) => k.category === category).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const k of kinds) definitions[`${SINGULAR[category]}_${k.name}`] = k.schema;
    definitions[SINGULAR[category]] = {
      type: "object",
      description: `A ${SINGULAR[category]} component; \`type\` selects the kind: ${kinds.map((k) => k.name).join(", ")}.`,
      required: ["type"],
      properties: { type: { enum: kinds.map((k) => k.name), description: "Component kind." } },
      allOf: kinds.map((k) => ({
        if: { properties: { type: { const: k.name } }, required: ["type"] },
        then: { $ref: `#/definitions/${SINGULAR[category]}_${k.name}` },
      })),
    };
  }
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(definitions).sort()) sorted[k] = definitions[k];
  return { ...root, definitions: sorted };
}

/** The schema file as committed for editors: stable key order, two-space indent, final newline. */
export function schemaText(): string {
  return JSON.stringify(assembleSchema(), null, 2) + "\n";
}
