import type { Kind } from "../../kind.ts";
import type { FieldType } from "../../../expr/index.ts";
import { loadSchema } from "../../load-schema.ts";
import { render } from "../../../emit/templates.ts";
import { physicalName } from "../../../naming/names.ts";
import { hclString } from "../../../emit/hcl-literal.ts";
import { didYouMean, droppedBy } from "../../../diagnostics/suggest.ts";
import { pascal } from "../s3/kind.ts";

/** The TTL attribute pipegen writes (epoch seconds), named so it cannot clash with contract fields by accident. */
export const TTL_ATTRIBUTE = "expires_at";

/** Environment variable the writing/reading handlers get the table name from. */
export function tableEnv(id: string): string {
  return `PIPEGEN_TABLE_${id.toUpperCase()}`;
}

const ATTRIBUTE_TYPE: Partial<Record<FieldType, string>> = { string: "S", timestamp: "S", number: "N" };

/** DynamoDB sink (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/dynamodb_table). */
export const dynamodb: Kind = {
  name: "dynamodb",
  category: "sinks",
  schema: loadSchema("src/kinds/sinks/dynamodb"),
  accepts: ["stream", "window"],
  check({ component: c, model, input, report }) {
    if (!input) return undefined;
    const key = c.config.key as { partition: string; sort?: string };
    const from = c.inputs[0]!;
    for (const role of ["partition", "sort"] as const) {
      const f = key[role];
      if (!f) continue;
      const t = input[f];
      const lost = t ? undefined : droppedBy(model, from, f);
      if (lost) report(`/key/${role}`, "PG3005", `${role} key \`${f}\` is not in the records arriving from \`${from}\`: ${lost.reason}`, `${lost.hint}; fields arriving: ${Object.keys(input).sort().join(", ")}`);
      else if (!t) report(`/key/${role}`, "PG3005", `${role} key \`${f}\` is not a field of the records arriving from \`${from}\`; every item needs its key`, didYouMean(f, Object.keys(input), "fields"));
      else if (!ATTRIBUTE_TYPE[t]) report(`/key/${role}`, "PG3007", `${role} key \`${f}\` is a ${t}; DynamoDB table keys must be strings, numbers or timestamps`, "choose another key field");
    }
    if (key.sort && key.sort === key.partition) report("/key/sort", "PG3008", `sort key and partition key are the same field \`${key.sort}\`, so each partition could hold only one item`, "use a different sort key, such as `window_start`, or drop `sort`");
    if (c.config.ttl_days && input[TTL_ATTRIBUTE]) report("/ttl_days", "PG3008", `records already have a field \`${TTL_ATTRIBUTE}\`, which TTL would overwrite`, "rename that field with a map transform");
    return input;
  },
  terraform(c, ctx) {
    const key = c.config.key as { partition: string; sort?: string };
    const input = ctx.graph.outputType.get(c.inputs[0]!)!;
    const attrs = [key.partition, ...(key.sort ? [key.sort] : [])].map((f) => ({ name: f, type: ATTRIBUTE_TYPE[input[f]!]! }));
    return {
      hcl: render("src/kinds/sinks/dynamodb/main.tf.hbs", {
        id: c.id,
        name: physicalName(c.id),
        tag: hclString(c.id),
        hashKey: hclString(key.partition),
        rangeKey: key.sort ? hclString(key.sort) : false,
        attributes: attrs.map((a) => ({ name: hclString(a.name), type: a.type })),
        ttl: c.config.ttl_days ? TTL_ATTRIBUTE : false,
      }),
      outputs: [{ name: `${c.id}_table_name`, description: hclString(`Name of the DynamoDB table ${c.id}.`), value: `aws_dynamodb_table.${c.id}.name` }],
    };
  },
  sink(c) {
    const key = c.config.key as { partition: string; sort?: string };
    const opts = {
      name: c.id,
      tableEnv: tableEnv(c.id),
      partitionKey: key.partition,
      ...(key.sort ? { sortKey: key.sort } : {}),
      ...(c.config.ttl_days ? { ttl: { attribute: TTL_ATTRIBUTE, days: c.config.ttl_days } } : {}),
    };
    return {
      imports: ["dynamodbSink"],
      expr: `dynamodbSink(${JSON.stringify(opts)})`,
      env: { [tableEnv(c.id)]: `aws_dynamodb_table.${c.id}.name` },
      statements: [{ sid: `WriteItems${pascal(c.id)}`, actions: ["dynamodb:BatchWriteItem", "dynamodb:PutItem"], resources: [`aws_dynamodb_table.${c.id}.arn`] }],
    };
  },
};
