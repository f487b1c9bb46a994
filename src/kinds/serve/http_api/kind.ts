import type { Kind } from "../../kind.ts";
import { loadSchema } from "../../load-schema.ts";
import { render, sharedTemplate } from "../../../emit/templates.ts";
import { physicalName } from "../../../naming/names.ts";
import { hclString, hclTemplate, raw } from "../../../emit/hcl-literal.ts";
import { didYouMean, droppedBy } from "../../../diagnostics/suggest.ts";

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
  schema: loadSchema("src/kinds/serve/http_api"),
  accepts: [],
  check({ component: c, model, input, report }) {
    const from = model.byId.get(String(c.config.from));
    if (!from) {
      report("/from", "PG3001", `unknown component id \`${String(c.config.from)}\` in \`from\` of API \`${c.id}\`: no dynamodb sink has this id, so the API would have no table to read`, didYouMean(String(c.config.from), model.components.filter((x) => x.type === "dynamodb").map((x) => x.id), "dynamodb sinks"));
      return undefined;
    }
    if (from.type !== "dynamodb") {
      report("/from", "PG3003", `http_api \`${c.id}\` can only serve a dynamodb sink, not ${from.type} \`${from.id}\``, "name a sink of `type: dynamodb` in `from`");
      return undefined;
    }
    if (!input) return undefined;
    const fields = Object.keys(input);
    const first = new Map<string, number>();
    // A field the table does not store: say which upstream component dropped it when it is a contract field.
    const missing = (f: string, what: string, consequence: string): [string, string] => {
      const lost = droppedBy(model, from.inputs[0] ?? "", f);
      return lost
        ? [`${what} \`${f}\` is not stored in \`${from.id}\`: ${lost.reason}`, `${lost.hint}; stored fields: ${[...fields].sort().join(", ")}`]
        : [`${what} \`${f}\` is not a field stored in \`${from.id}\`, so ${consequence}`, didYouMean(f, fields, "stored fields")];
    };
    (c.config.routes as RouteCfg[]).forEach((r, i) => {
      const prev = first.get(r.route);
      if (prev !== undefined) report(`/routes/${i}/route`, "PG3008", `route \`${r.route}\` is declared twice (first in \`routes[${prev}]\`); API Gateway cannot route one path to two definitions`, "remove one of them or give it another path");
      else first.set(r.route, i);
      for (const prop of ["average", "weighted_by"] as const) {
        const f = r[prop];
        if (f === undefined) continue;
        if (!input[f]) report(`/routes/${i}/${prop}`, "PG3005", ...missing(f, `\`${prop}\` field`, "the route would have nothing to compute"));
        else if (input[f] !== "number") report(`/routes/${i}/${prop}`, "PG3007", `\`${f}\` is a ${input[f]}; ${prop === "average" ? "an average" : "a weight"} needs a number`, `name a numeric field: ${fields.filter((x) => input[x] === "number").sort().join(", ") || "none stored"}`);
      }
      (r.filters ?? []).forEach((f, j) => {
        if (!input[f]) report(`/routes/${i}/filters/${j}`, "PG3005", ...missing(f, "filter", `\`?${f}=\` could never match an item`));
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
      // The API, its access logs, stage, integration and permission are shared with http_ingest.
      hcl: render(sharedTemplate("http-api.tf.hbs"), {
        id: c.id,
        name: physicalName(c.id),
        tag: hclString(c.id),
        routes,
        jwt: false,
        sourceArn: hclTemplate(raw(`aws_apigatewayv2_api.${c.id}.execution_arn`), "/*/*"),
      }),
      outputs: [{ name: `${c.id}_endpoint`, description: hclString(`Invoke URL of the HTTP API ${c.id} (requests must be SigV4-signed).`), value: `aws_apigatewayv2_stage.${c.id}.invoke_url` }],
    };
  },
};
