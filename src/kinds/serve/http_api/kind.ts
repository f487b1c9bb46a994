import type { Kind } from "../../kind.ts";
import { loadSchema } from "../../load-schema.ts";
import { render } from "../../../emit/templates.ts";
import { physicalName } from "../../../naming/names.ts";
import { hclString } from "../../../emit/hcl-literal.ts";
import { didYouMean } from "../../../diagnostics/suggest.ts";

export interface RouteCfg {
  route: string;
  average: string;
  weighted_by?: string;
  filters?: string[];
}

/** HTTP API (API Gateway v2) over a dynamodb sink (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/apigatewayv2_api). */
export const httpApi: Kind = {
  name: "http_api",
  category: "serve",
  schema: loadSchema(import.meta.url),
  accepts: [],
  check({ component: c, model, input, report }) {
    const from = model.byId.get(String(c.config.from));
    if (!from) {
      report("/from", "PG3001", `unknown component id \`${String(c.config.from)}\` in \`from\``, didYouMean(String(c.config.from), model.components.filter((x) => x.type === "dynamodb").map((x) => x.id), "dynamodb sinks"));
      return undefined;
    }
    if (from.type !== "dynamodb") {
      report("/from", "PG3003", `http_api \`${c.id}\` can only serve a dynamodb sink, not ${from.type} \`${from.id}\``, "name a sink of `type: dynamodb` in `from`");
      return undefined;
    }
    if (!input) return undefined;
    const fields = Object.keys(input);
    const seen = new Set<string>();
    (c.config.routes as RouteCfg[]).forEach((r, i) => {
      if (seen.has(r.route)) report(`/routes/${i}/route`, "PG3008", `route \`${r.route}\` is declared twice`, "remove the duplicate");
      seen.add(r.route);
      for (const prop of ["average", "weighted_by"] as const) {
        const f = r[prop];
        if (f === undefined) continue;
        if (!input[f]) report(`/routes/${i}/${prop}`, "PG3005", `\`${f}\` is not a field stored in \`${from.id}\``, didYouMean(f, fields, "stored fields"));
        else if (input[f] !== "number") report(`/routes/${i}/${prop}`, "PG3007", `\`${f}\` is a ${input[f]}; ${prop === "average" ? "an average" : "a weight"} needs a number`, "name a numeric field");
      }
      (r.filters ?? []).forEach((f, j) => {
        if (!input[f]) report(`/routes/${i}/filters/${j}`, "PG3005", `filter \`${f}\` is not a field stored in \`${from.id}\``, didYouMean(f, fields, "stored fields"));
      });
    });
    return undefined;
  },
  terraform(c) {
    const routes = (c.config.routes as RouteCfg[]).map((r, i) => ({
      index: i,
      key: hclString(r.route),
      name: `${c.id}_${i}`,
    }));
    return {
      hcl: render(new URL("./main.tf.hbs", import.meta.url), {
        id: c.id,
        name: physicalName(c.id),
        tag: hclString(c.id),
        routes,
      }),
      outputs: [{ name: `${c.id}_endpoint`, description: hclString(`Invoke URL of the HTTP API ${c.id} (requests must be SigV4-signed).`), value: `aws_apigatewayv2_stage.${c.id}.invoke_url` }],
    };
  },
};
