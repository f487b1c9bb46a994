import type { Kind, Report } from "../../kind.ts";
import { loadSchema } from "../../load-schema.ts";
import { checkedExpression, compileChecked } from "../expression-checks.ts";

/** Filter: keeps records matching a boolean expression; compiled into the consuming handler. */
export const filter: Kind = {
  name: "filter",
  category: "transforms",
  schema: loadSchema("src/kinds/transforms/filter"),
  accepts: ["stream", "window"],
  produces: "same",
  check({ component: c, input, report }) {
    if (!input) return undefined;
    // Parse errors come without a hint; show what a condition looks like.
    const example = "write a condition over record fields, e.g. `temperature >= -50 and temperature <= 150`";
    const withHint: Report = (p, code, message, hint, at) => report(p, code, message, hint ?? (code === "PG3006" ? example : undefined), at);
    const r = checkedExpression(String(c.config.where), input, "/where", withHint);
    if (r && r.type !== "boolean") {
      report("/where", "PG3007", `\`where\` must be a boolean condition, but this expression is a ${r.type}`, "compare the value, e.g. `temperature > 0`");
    }
    return input;
  },
  step(c, ctx) {
    const input = ctx.graph.outputType.get(c.inputs[0]!)!;
    return { imports: [], expr: `(r: Rec): Rec | null => (${compileChecked(String(c.config.where), input)} ? r : null)` };
  },
};
