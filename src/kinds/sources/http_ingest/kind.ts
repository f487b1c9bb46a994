import type { Kind } from "../../kind.ts";
import type { PipelineModel } from "../../../model/types.ts";
import { loadSchema } from "../../load-schema.ts";
import { render, sharedTemplate } from "../../../emit/templates.ts";
import { physicalName } from "../../../naming/names.ts";
import { hclString, hclTemplate, raw } from "../../../emit/hcl-literal.ts";
import { didYouMean } from "../../../diagnostics/suggest.ts";
import { pascal } from "../../sinks/s3/kind.ts";

/** Environment variable the ingest handler reads the stream name from. */
export const STREAM_ENV = "PIPEGEN_STREAM";

/** PutRecords takes at most 500 records, so a request does too. */
export const MAX_RECORDS = 500;

/** The route path: the spec's, or `/ingest/v1/<id>`. */
export function ingestPath(c: { id: string; config: Record<string, unknown> }): string {
  return typeof c.config.path === "string" ? c.config.path : `/ingest/v1/${c.id.replace(/_/g, "-")}`;
}

/**
 * The record field used as Kinesis partition key, as for generators: the first aggregate group-by
 * field, so one group's records stay ordered on one shard, else the first string field.
 */
export function partitionKeyField(model: PipelineModel): string {
  const fields = Object.keys(model.record);
  const groupBy = model.components.filter((c) => c.type === "aggregate").flatMap((c) => (c.config.group_by as string[] | undefined) ?? []);
  return groupBy.find((f) => fields.includes(f)) ?? fields.find((f) => model.record[f] === "string") ?? fields[0]!;
}

/**
 * HTTP ingest endpoint: an API Gateway HTTP API whose `POST <path>` route (IAM or JWT authorized)
 * invokes a function that validates records against the contract and puts them into a kinesis
 * source (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/apigatewayv2_route).
 * Like a generator it writes into the stream rather than emitting records: other components read
 * the kinesis source named in `into`.
 */
export const httpIngest: Kind = {
  name: "http_ingest",
  category: "sources",
  schema: loadSchema("src/kinds/sources/http_ingest"),
  accepts: [],
  check({ component: c, model, report }) {
    const intoId = String(c.config.into);
    const into = model.byId.get(intoId);
    if (!into) {
      report("/into", "PG3001", `unknown component id \`${intoId}\` in \`into\` of http_ingest \`${c.id}\`: no kinesis source has this id, so received records would have nowhere to go`, didYouMean(intoId, model.components.filter((x) => x.type === "kinesis").map((x) => x.id), "kinesis sources"));
    } else if (into.type !== "kinesis") {
      report("/into", "PG3003", `http_ingest \`${c.id}\` can only write into a kinesis source, not ${into.type} \`${into.id}\``, "name a source of `type: kinesis` in `into`");
    }
    const auth = c.config.authorization ?? "iam";
    if (auth === "jwt" && c.config.jwt === undefined) {
      report("/authorization", "PG2002", `\`authorization: jwt\` of http_ingest \`${c.id}\` needs \`jwt\`: API Gateway can only check tokens against a known issuer and audience`, "add `jwt: { issuer: https://<identity provider>, audience: [<client id>] }`, or use `authorization: iam`");
    } else if (auth !== "jwt" && c.config.jwt !== undefined) {
      report("/jwt", "PG2008", `\`jwt\` of http_ingest \`${c.id}\` has no effect: \`authorization\` is \`${String(auth)}\`, so callers sign requests with IAM and no token is checked`, "set `authorization: jwt` to accept tokens from this issuer, or remove `jwt`");
    }
    return undefined;
  },
  terraform(c) {
    const path = ingestPath(c);
    const jwt = c.config.authorization === "jwt" ? (c.config.jwt as { issuer: string; audience: string[] } | undefined) : undefined;
    const routeArn = hclTemplate(raw(`aws_apigatewayv2_api.${c.id}.execution_arn`), `/*/POST${path}`);
    return {
      hcl: render(sharedTemplate("http-api.tf.hbs"), {
        id: c.id,
        name: physicalName(c.id),
        tag: hclString(c.id),
        routes: [{ name: c.id, key: hclString(`POST ${path}`) }],
        jwt: jwt ? { name: physicalName(c.id, "-jwt"), issuer: hclString(jwt.issuer), audience: jwt.audience.map(hclString).join(", ") } : false,
        // Only the ingest route may invoke the function.
        sourceArn: routeArn,
      }),
      outputs: [
        { name: `${c.id}_endpoint`, description: hclString(`URL records are POSTed to (${jwt ? "with a bearer token" : "SigV4-signed"}).`), value: hclTemplate(raw(`aws_apigatewayv2_stage.${c.id}.invoke_url`), path.slice(1)) },
        { name: `${c.id}_route_arn`, description: hclString(`Route ARN to allow \`execute-api:Invoke\` on for callers of ${c.id}.`), value: routeArn },
      ],
    };
  },
  ownFunction(c, ctx) {
    const into = String(c.config.into);
    const options = {
      contract: { fields: ctx.model.record },
      streamEnv: STREAM_ENV,
      partitionKeyField: partitionKeyField(ctx.model),
      maxRecords: (c.config.max_records as number | undefined) ?? MAX_RECORDS,
    };
    return {
      trigger: "http",
      summary: `puts records POSTed to ${ingestPath(c)} into ${into}`,
      env: { [STREAM_ENV]: `aws_kinesis_stream.${into}.name` },
      statements: [{ sid: `WriteStream${pascal(into)}`, actions: ["kinesis:PutRecord", "kinesis:PutRecords"], resources: [`aws_kinesis_stream.${into}.arn`] }],
      handler: { imports: ["httpIngestHandler"], body: `export const handler = httpIngestHandler(${JSON.stringify(options, null, 2)});` },
    };
  },
};
