import type { Kind } from "../../kind.ts";
import type { RecordType } from "../../../expr/index.ts";
import { loadSchema } from "../../load-schema.ts";
import { sortedRecord } from "../../../normalize/normalize.ts";

/** Where the user's code lives, relative to the pipeline file. */
export function userCodePath(pipeline: string, id: string, code: unknown): string {
  return typeof code === "string" ? code : `${pipeline}/${id}.ts`;
}

/** Function: user TypeScript run inside the consuming handler; pipegen writes a typed stub once and never overwrites it. */
export const fn: Kind = {
  name: "function",
  category: "transforms",
  schema: loadSchema("src/kinds/transforms/function"),
  accepts: ["stream", "window"],
  produces: "same",
  check({ component: c, input }) {
    if (!input) return undefined;
    const output = c.config.output as RecordType | undefined;
    return output ? (sortedRecord(output) as RecordType) : input;
  },
  step(c, ctx) {
    const local = `user_${c.id}`;
    // User types are often interfaces, which TypeScript does not treat as index-signature records.
    return {
      imports: [`import { transform as ${local} } from ${JSON.stringify(ctx.userCodeImport(c.id))};`],
      expr: `(r: Rec) => ${local}(r) as unknown as Rec | null | Promise<Rec | null>`,
    };
  },
};
