import type { Kind } from "../../kind.ts";
import type { FieldType } from "../../../expr/index.ts";
import { loadSchema } from "../../../kinds/load-schema.ts";
import { render } from "../../../emit/templates.ts";
import { physicalName } from "../../../naming/names.ts";
import { hclString } from "../../../emit/hcl-literal.ts";
import { didYouMean } from "../../../diagnostics/suggest.ts";

/** Which field types each generator can produce. */
function generatorType(g: unknown): FieldType[] {
  if (g === "now") return ["timestamp"];
  const o = g as Record<string, unknown>;
  if ("uniform" in o || "sequence" in o) return ["number"];
  if ("one_of" in o) {
    const vals = o.one_of as unknown[];
    return vals.every((v) => typeof v === "number") ? ["number"] : vals.every((v) => typeof v === "string") ? ["string"] : [];
  }
  if ("constant" in o) {
    const v = o.constant;
    return typeof v === "number" ? ["number"] : typeof v === "boolean" ? ["boolean"] : ["string", "timestamp"];
  }
  return [];
}

/** Scheduled generator of simulated records (EventBridge rule → Lambda → Kinesis PutRecords). */
export const generator: Kind = {
  name: "generator",
  category: "sources",
  schema: loadSchema("src/kinds/sources/generator"),
  accepts: [],
  check({ component: c, model, report }) {
    const into = model.byId.get(String(c.config.into));
    if (!into) {
      report("/into", "PG3001", `unknown component id \`${String(c.config.into)}\` in \`into\` of generator \`${c.id}\`: no kinesis source has this id, so the records would have nowhere to go`, didYouMean(String(c.config.into), model.components.filter((x) => x.type === "kinesis").map((x) => x.id), "kinesis sources"));
    } else if (into.type !== "kinesis") {
      report("/into", "PG3003", `generator \`${c.id}\` can only write into a kinesis source, not ${into.type} \`${into.id}\``, "name a source of `type: kinesis` in `into`");
    }
    const fields = c.config.fields as Record<string, unknown>;
    const known = Object.keys(model.record);
    for (const [name, g] of Object.entries(fields)) {
      const want = model.record[name];
      if (!want) {
        const typo = didYouMean(name, known, "contract fields");
        report(`/fields/${name}`, "PG3005", `generated field \`${name}\` is not in the record contract, so every generated record would fail it`, typo.startsWith("did you mean") ? typo : `add \`${name}\` to \`record:\` or remove this generator; ${typo}`);
        continue;
      }
      const can = generatorType(g);
      if (!can.includes(want)) {
        report(`/fields/${name}`, "PG3007", `field \`${name}\` is a ${want} in the record contract, but this generator produces ${can.length ? `${can.join(" or ")} values` : "mixed values"} that would fail it`, want === "timestamp" ? "use `now` for timestamps" : want === "number" ? "use `uniform`, `sequence` or numeric `one_of` values" : "use `one_of` with strings or `constant`");
      }
    }
    const missing = known.filter((k) => !(k in fields));
    if (missing.length) {
      report("/fields", "PG3005", `no generator for contract field${missing.length > 1 ? "s" : ""} ${missing.map((m) => `\`${m}\``).join(", ")}: every generated record would fail the contract`, `add ${missing.map((m) => `\`${m}: ${model.record[m] === "timestamp" ? "now" : model.record[m] === "number" ? "{ uniform: [0, 100] }" : model.record[m] === "boolean" ? "{ constant: true }" : "{ one_of: [a, b] }"}\``).join(", ")} under \`fields:\``);
    }
    return undefined;
  },
  terraform(c) {
    return {
      hcl: render("src/kinds/sources/generator/main.tf.hbs", {
        id: c.id,
        name: physicalName(c.id),
        schedule: hclString(String(c.config.schedule)),
        tag: hclString(c.id),
      }),
    };
  },
};
