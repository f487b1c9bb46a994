import type { Kind } from "../../kind.ts";
import type { Component } from "../../../model/types.ts";
import type { PlanContext } from "../../../plan/context.ts";
import { loadSchema } from "../../load-schema.ts";
import { render } from "../../../emit/templates.ts";
import { hclString, hclTemplate, raw } from "../../../emit/hcl-literal.ts";
import { kebab, maxPhysicalLength, physicalName } from "../../../naming/names.ts";
import { didYouMean, droppedBy } from "../../../diagnostics/suggest.ts";
import { planFunctionUnits } from "../../../plan/functions.ts";
import { pascal } from "../s3/kind.ts";

/**
 * Name limits: domain names are 3–28 characters, collection and security/access policy names
 * 3–32 (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createupdatedomains.html,
 * https://docs.aws.amazon.com/opensearch-service/latest/ServerlessAPIReference/API_CreateCollection.html).
 */
export const OPENSEARCH_LIMITS = { domainName: 28, collectionName: 32 } as const;

/** Defaults of the domain settings (resolved here, printed by the template). */
export const DOMAIN_DEFAULTS = { engineVersion: "OpenSearch_2.19", instanceType: "t3.medium.search", instanceCount: 1, volumeGb: 10 } as const;

/** Keys that only a domain (or only a collection) has; the other mode reports them. */
const DOMAIN_ONLY = ["engine_version", "instance_type", "instance_count", "volume_gb"] as const;
const SERVERLESS_ONLY = ["collection_type"] as const;

/** The log types a domain publishes, each to a log group of its own. */
const LOG_TYPES = [
  { type: "AUDIT_LOGS", suffix: "audit" },
  { type: "ES_APPLICATION_LOGS", suffix: "application" },
  { type: "INDEX_SLOW_LOGS", suffix: "index-slow" },
] as const;

/** Environment variable the writing handler reads the domain or collection endpoint from. */
export function endpointEnv(id: string): string {
  return `PIPEGEN_OPENSEARCH_${id.toUpperCase()}`;
}

type Mode = "domain" | "serverless";
const modeOf = (c: Component): Mode => (c.config.mode as Mode | undefined) ?? "domain";

/** True for an opensearch sink that is a managed domain (`aws_opensearch_domain.<id>`), false for a serverless collection. */
export function isOpenSearchDomain(c: Pick<Component, "type" | "config">): boolean {
  return c.type === "opensearch" && modeOf(c as Component) === "domain";
}

/** Availability zones for a data node count: none for one node, 3 for multiples of 3, else 2 (AWS needs an even count then). */
export function zoneCount(instances: number): 0 | 2 | 3 {
  if (instances < 2) return 0;
  return instances % 3 === 0 ? 3 : 2;
}

/**
 * The function that writes the sink: its role is the domain's master user and the only principal
 * of the access policies. Units are named as plan/functions.ts names them (the sink's own id when a
 * stream feeds it through stateless transforms, the aggregate's id under an aggregate).
 */
export function writerUnit(c: Component, ctx: PlanContext): string {
  const unit = planFunctionUnits(ctx).find((u) => u.sinks.some((s) => s.id === c.id));
  if (!unit) throw new Error(`opensearch sink ${c.id}: no function writes it`);
  return unit.id;
}

/**
 * OpenSearch sink: a managed domain
 * (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/opensearch_domain) or a
 * serverless collection (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/opensearchserverless_collection)
 * the consuming function writes with the `_bulk` API, SigV4-signed, under deterministic document ids.
 */
export const opensearch: Kind = {
  name: "opensearch",
  category: "sinks",
  schema: loadSchema("src/kinds/sinks/opensearch"),
  accepts: ["stream", "window"],
  check({ component: c, model, input, report }) {
    const mode = modeOf(c);
    const limit = mode === "domain" ? OPENSEARCH_LIMITS.domainName : OPENSEARCH_LIMITS.collectionName;
    const what = mode === "domain" ? "domain names" : "collection and policy names";
    const len = maxPhysicalLength(model.name, c.id);
    if (len > limit) {
      report(
        "",
        "PG3009",
        `OpenSearch ${what} for sink \`${c.id}\` can reach ${len} characters (\`${model.name}-<environment>-${kebab(c.id)}\`, environment up to 10), over the limit of ${limit}; creating the ${mode} would fail at plan time`,
        `shorten the sink id or the pipeline name by at least ${len - limit} characters${mode === "domain" && len <= OPENSEARCH_LIMITS.collectionName ? ", or use `mode: serverless` (collection names allow 32)" : ""}`,
      );
    }
    const other = mode === "domain" ? SERVERLESS_ONLY : DOMAIN_ONLY;
    for (const key of other) {
      if (c.config[key] === undefined) continue;
      report(`/${key}`, "PG2008", `\`${key}\` applies to \`mode: ${mode === "domain" ? "serverless" : "domain"}\` only; sink \`${c.id}\` is a ${mode === "domain" ? "domain" : "serverless collection"}, so it would be ignored`, `remove \`${key}\`, or set \`mode: ${mode === "domain" ? "serverless" : "domain"}\``);
    }
    const count = (c.config.instance_count as number | undefined) ?? DOMAIN_DEFAULTS.instanceCount;
    if (mode === "domain" && count > 1 && count % 2 !== 0 && count % 3 !== 0) {
      report("/instance_count", "PG2006", `${count} data nodes cannot be spread evenly over availability zones: zone awareness needs an even count (2 zones) or a multiple of 3 (3 zones)`, `use ${count - 1} or ${count + 1}`);
    }
    const idField = c.config.id_field as string | undefined;
    if (idField && c.config.collection_type === "timeseries") {
      report("/id_field", "PG2008", `\`id_field\` cannot be used with \`collection_type: timeseries\`: OpenSearch Serverless rejects caller-chosen document ids in time-series collections`, "remove `id_field`, or use `collection_type: search`");
    }
    if (idField && input) {
      const from = c.inputs[0]!;
      const t = input[idField];
      const lost = t ? undefined : droppedBy(model, from, idField);
      if (lost) report("/id_field", "PG3005", `id field \`${idField}\` is not in the records arriving from \`${from}\`: ${lost.reason}`, lost.hint);
      else if (!t) report("/id_field", "PG3005", `id field \`${idField}\` is not a field of the records arriving from \`${from}\`; every document needs its id`, didYouMean(idField, Object.keys(input), "fields"));
      else if (t === "boolean") report("/id_field", "PG3007", `id field \`${idField}\` is a boolean, so the index could hold at most two documents`, "name a string, number or timestamp field, or remove `id_field` to keep every record");
    }
    return undefined;
  },
  terraform(c, ctx) {
    const writer = writerUnit(c, ctx);
    const index = c.config.index as string;
    const k = kebab(c.id);
    const base = { id: c.id, kebab: k, tag: hclString(c.id), name: physicalName(c.id), writerRole: `aws_iam_role.${writer}.arn` };
    if (modeOf(c) === "serverless") {
      return {
        hcl: render("src/kinds/sinks/opensearch/serverless.tf.hbs", {
          ...base,
          collectionResource: hclTemplate("collection/", raw("local.name_prefix"), `-${k}`),
          indexResource: hclTemplate("index/", raw("local.name_prefix"), `-${k}/${index}`),
          collectionType: hclString(((c.config.collection_type as string | undefined) ?? "search").toUpperCase()),
          description: hclString(`pipegen ${ctx.model.name}: sink ${c.id}, written by function ${kebab(writer)}`),
        }),
        outputs: [
          { name: `${c.id}_endpoint`, description: hclString(`HTTPS endpoint of the OpenSearch Serverless collection ${c.id} (index ${index}).`), value: `aws_opensearchserverless_collection.${c.id}.collection_endpoint` },
          { name: `${c.id}_dashboards_url`, description: hclString(`OpenSearch Dashboards of the collection ${c.id}.`), value: `aws_opensearchserverless_collection.${c.id}.dashboard_endpoint` },
        ],
      };
    }
    const cfg = c.config;
    const count = (cfg.instance_count as number | undefined) ?? DOMAIN_DEFAULTS.instanceCount;
    const volumeGb = (cfg.volume_gb as number | undefined) ?? DOMAIN_DEFAULTS.volumeGb;
    // Built from names rather than attributes: the domain cannot refer to its own ARN, and the
    // log resource policy must exist before the domain that publishes to it.
    const domainArn = (suffix = "") => hclTemplate("arn:", raw("local.partition"), ":es:", raw("var.region"), ":", raw("local.account_id"), ":domain/", raw("local.name_prefix"), `-${k}${suffix}`);
    return {
      hcl: render("src/kinds/sinks/opensearch/main.tf.hbs", {
        ...base,
        engineVersion: hclString((cfg.engine_version as string | undefined) ?? DOMAIN_DEFAULTS.engineVersion),
        instanceType: hclString((cfg.instance_type as string | undefined) ?? DOMAIN_DEFAULTS.instanceType),
        instanceCount: count,
        zones: zoneCount(count) || false,
        volumeGb,
        // AWS recommends alarming when a node has less than 25% of its storage left (value in MiB).
        freeStorageMiB: Math.floor((volumeGb * 1024) / 4),
        bulkResource: domainArn(`/${index}/_bulk`),
        domainArn: domainArn(),
        logs: LOG_TYPES.map((l) => ({ type: l.type, name: `${c.id}_${l.suffix.replace(/-/g, "_")}`, groupName: hclTemplate("/aws/opensearch/", raw("local.name_prefix"), `-${k}/${l.suffix}`) })),
        logPolicyName: physicalName(c.id, "-opensearch-logs"),
        alarms: {
          red: physicalName(c.id, "-cluster-red"),
          storage: physicalName(c.id, "-free-storage"),
          writesBlocked: physicalName(c.id, "-writes-blocked"),
        },
      }),
      outputs: [
        { name: `${c.id}_endpoint`, description: hclString(`HTTPS endpoint of the OpenSearch domain ${c.id} (index ${index}).`), value: `"https://\${aws_opensearch_domain.${c.id}.endpoint}"` },
        { name: `${c.id}_dashboards_url`, description: hclString(`OpenSearch Dashboards of the domain ${c.id}.`), value: `"https://\${aws_opensearch_domain.${c.id}.dashboard_endpoint}"` },
        { name: `${c.id}_domain_arn`, description: hclString(`ARN of the OpenSearch domain ${c.id}.`), value: `aws_opensearch_domain.${c.id}.arn` },
      ],
    };
  },
  sink(c) {
    const serverless = modeOf(c) === "serverless";
    const index = c.config.index as string;
    const idField = c.config.id_field as string | undefined;
    const opts = {
      name: c.id,
      endpointEnv: endpointEnv(c.id),
      service: serverless ? "aoss" : "es",
      index,
      ...(idField ? { idField } : {}),
      ...(serverless && c.config.collection_type === "timeseries" ? { documentIds: false } : {}),
    };
    return {
      imports: ["opensearchSink"],
      expr: `opensearchSink(${JSON.stringify(opts)})`,
      env: { [endpointEnv(c.id)]: serverless ? `aws_opensearchserverless_collection.${c.id}.collection_endpoint` : `aws_opensearch_domain.${c.id}.endpoint` },
      statements: serverless
        ? // Data-plane calls to a collection are authorised as aoss:APIAccessAll; what they may do is the data access policy's.
          [{ sid: `WriteCollection${pascal(c.id)}`, actions: ["aoss:APIAccessAll"], resources: [`aws_opensearchserverless_collection.${c.id}.arn`] }]
        : // Only the bulk endpoint of the one index: the path is part of the resource the es: actions are authorised on.
          [{ sid: `WriteIndex${pascal(c.id)}`, actions: ["es:ESHttpPost"], resources: [hclTemplate(raw(`aws_opensearch_domain.${c.id}.arn`), `/${index}/_bulk`)] }],
    };
  },
};
