import type { Kind, Report } from "../../kind.ts";
import type { FieldType, RecordType } from "../../../expr/index.ts";
import { loadSchema } from "../../load-schema.ts";
import { checkedExpression, compileChecked } from "../expression-checks.ts";
import { didYouMean } from "../../../diagnostics/suggest.ts";
import { sortedRecord } from "../../../normalize/normalize.ts";

type Cfg = { compute?: Record<string, string>; rename?: Record<string, string>; drop?: string[] };

/** Map: computes, renames and drops fields (in that order), compiled into the consuming handler. */
export const map: Kind = {
  name: "map",
  category: "transforms",
  schema: loadSchema("src/kinds/transforms/map"),
  accepts: ["stream", "window"],
  produces: "same",
  check({ component: c, input, report }) {
    if (!input) return undefined;
    const cfg = c.config as Cfg;
    const out: Record<string, FieldType> = { ...input };
    for (const [name, src] of Object.entries(cfg.compute ?? {})) {
      const withHint: Report = (p, code, message, hint, at) => report(p, code, message, hint ?? (code === "PG3006" ? "write an expression over record fields, e.g. `temperature * 9 / 5 + 32`" : undefined), at);
      const r = checkedExpression(src, input, `/compute/${name}`, withHint);
      if (r) {
        if (r.type === "null") report(`/compute/${name}`, "PG3007", `computed field \`${name}\` is always null`, "compute a value or drop the field instead");
        else out[name] = r.type;
      }
    }
    for (const [from, to] of Object.entries(cfg.rename ?? {})) {
      if (!(from in out)) {
        report(`/rename/${from}`, "PG3005", `cannot rename \`${from}\`: no such field`, didYouMean(from, Object.keys(out), "fields"));
        continue;
      }
      out[to] = out[from]!;
      delete out[from];
    }
    for (const [i, f] of (cfg.drop ?? []).entries()) {
      if (!(f in out)) report(`/drop/${i}`, "PG3005", `cannot drop \`${f}\`: no such field`, didYouMean(f, Object.keys(out), "fields"));
      delete out[f];
    }
    return sortedRecord(out) as RecordType;
  },
  step(c, ctx) {
    const cfg = c.config as Cfg;
    const input = ctx.graph.outputType.get(c.inputs[0]!)!;
    const lines = ["(r: Rec): Rec => {", "  const o: Rec = { ...r };"];
    for (const [name, src] of Object.entries(cfg.compute ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      lines.push(`  o[${JSON.stringify(name)}] = ${compileChecked(src, input)};`);
    }
    for (const [from, to] of Object.entries(cfg.rename ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      lines.push(`  o[${JSON.stringify(to)}] = o[${JSON.stringify(from)}];`, `  delete o[${JSON.stringify(from)}];`);
    }
    for (const f of [...(cfg.drop ?? [])].sort()) lines.push(`  delete o[${JSON.stringify(f)}];`);
    lines.push("  return o;", "}");
    return { imports: [], expr: lines.join("\n") };
  },
};
