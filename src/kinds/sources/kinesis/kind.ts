import type { Kind } from "../../kind.ts";
import { loadSchema } from "../../load-schema.ts";
import { render } from "../../../emit/templates.ts";
import { physicalName, kebab } from "../../../naming/names.ts";
import { hclString } from "../../../emit/hcl-literal.ts";

/** Shard count of a capacity setting; null means on-demand. */
export function shardsOf(capacity: unknown): number | null {
  return capacity && typeof capacity === "object" ? Number((capacity as { shards: number }).shards) : null;
}

/** Kinesis Data Stream source (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kinesis_stream). */
export const kinesis: Kind = {
  name: "kinesis",
  category: "sources",
  schema: loadSchema("src/kinds/sources/kinesis"),
  accepts: [],
  produces: "stream",
  check: ({ model }) => model.record,
  terraform(c) {
    const shards = shardsOf(c.config.capacity);
    const retention = (c.config.retention_hours as number | undefined) ?? 24;
    return {
      hcl: render("src/kinds/sources/kinesis/main.tf.hbs", {
        id: c.id,
        name: physicalName(c.id),
        tag: hclString(c.id),
      }),
      variables: [
        {
          name: `${c.id}_shard_count`,
          description: hclString(`Shards of stream ${kebab(c.id)}; null selects on-demand capacity.`),
          type: "number",
          default: shards === null ? "null" : String(shards),
          nullable: true,
          validations: [
            {
              condition: `var.${c.id}_shard_count == null ? true : var.${c.id}_shard_count >= 1 && var.${c.id}_shard_count <= 500`,
              message: hclString("Shard count must be null (on-demand) or between 1 and 500."),
            },
          ],
        },
        {
          name: `${c.id}_retention_hours`,
          description: hclString(`Hours records stay replayable in stream ${kebab(c.id)}.`),
          type: "number",
          default: String(retention),
          validations: [
            {
              condition: `var.${c.id}_retention_hours >= 24 && var.${c.id}_retention_hours <= 8760`,
              message: hclString("Retention must be between 24 and 8760 hours."),
            },
          ],
        },
      ],
      outputs: [
        { name: `${c.id}_stream_name`, description: hclString(`Name of the Kinesis stream ${c.id}.`), value: `aws_kinesis_stream.${c.id}.name` },
        { name: `${c.id}_stream_arn`, description: hclString(`ARN of the Kinesis stream ${c.id}.`), value: `aws_kinesis_stream.${c.id}.arn` },
      ],
    };
  },
};
