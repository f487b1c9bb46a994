import type { Kind } from "../../kind.ts";
import type { FieldType, RecordType } from "../../../expr/index.ts";
import { loadSchema } from "../../load-schema.ts";
import { parseAggregate } from "../../../expr/index.ts";
import { didYouMean } from "../../../diagnostics/suggest.ts";
import { sortedRecord } from "../../../normalize/normalize.ts";

/** Lambda tumbling windows are limited to 15 minutes (TumblingWindowInSeconds ≤ 900). */
export const MAX_WINDOW_SECONDS = 900;

/** Window length in seconds from `30s` / `5m`. */
export function windowSeconds(window: string): number {
  const n = Number.parseInt(window, 10);
  return window.endsWith("m") ? n * 60 : n;
}

/** The type an aggregate entry was meant to have, for an entry that failed its checks. */
function guessType(src: string, input: Record<string, FieldType>): FieldType {
  const m = /^\s*(min|max)\s*\(\s*([a-z_][a-z0-9_]*)\s*\)\s*$/.exec(src);
  const t = m ? input[m[2]!] : undefined;
  return t === "timestamp" ? t : "number";
}

/** Aggregate: per group and tumbling window, using the Kinesis event source mapping's window state. */
export const aggregate: Kind = {
  name: "aggregate",
  category: "transforms",
  schema: loadSchema("src/kinds/transforms/aggregate"),
  accepts: ["stream"],
  produces: "window",
  check({ component: c, input, report }) {
    const seconds = windowSeconds(String(c.config.window));
    if (seconds > MAX_WINDOW_SECONDS) {
      report("/window", "PG3010", `window ${String(c.config.window)} is ${seconds} s, but Lambda tumbling windows are at most ${MAX_WINDOW_SECONDS} s (15 minutes)`, "use a window of at most `15m`");
    }
    if (!input) return undefined;
    const out: Record<string, FieldType> = { window_start: "timestamp", window_end: "timestamp" };
    const groupBy = (c.config.group_by as string[] | undefined) ?? [];
    groupBy.forEach((f, i) => {
      const t = input[f];
      if (!t) report(`/group_by/${i}`, "PG3005", `group-by field \`${f}\` is not in the records arriving from \`${c.inputs[0]}\``, didYouMean(f, Object.keys(input), "fields"));
      else out[f] = t;
    });
    for (const [name, src] of Object.entries(c.config.compute as Record<string, string>)) {
      if (name in out) {
        report(`/compute/${name}`, "PG3008", `output field \`${name}\` is already a group-by or window field`, "choose another name");
        continue;
      }
      const r = parseAggregate(src, input);
      for (const e of r.errors) {
        const code = /unknown field/.test(e.message) ? "PG3005" : /needs a .* field/.test(e.message) ? "PG3007" : "PG3006";
        const numeric = Object.keys(input).filter((f) => input[f] === "number");
        const hint = e.hint ?? (code === "PG3007" ? `aggregate a number field${numeric.length ? ` (${numeric.map((f) => `\`${f}\``).join(", ")})` : ""}, or use \`count()\`` : undefined);
        report(`/compute/${name}`, code, e.message, hint, { offset: e.offset, length: e.length });
      }
      // A broken entry still declares its field: downstream checks should not also report it as missing.
      out[name] = r.resultType ?? guessType(src, input);
    }
    return sortedRecord(out) as RecordType;
  },
};
