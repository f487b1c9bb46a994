import type { Kind } from "../../kind.ts";
import { loadSchema } from "../../load-schema.ts";
import { render } from "../../../emit/templates.ts";
import { kebab, maxPhysicalLength, physicalName } from "../../../naming/names.ts";
import { hclString } from "../../../emit/hcl-literal.ts";
import { didYouMean, droppedBy } from "../../../diagnostics/suggest.ts";
import { pascal } from "../s3/kind.ts";

/** SNS topic names are at most 256 characters. */
export const SNS_TOPIC_NAME_LIMIT = 256;

/** Environment variable the publishing handler reads the topic ARN from. */
export function topicEnv(id: string): string {
  return `PIPEGEN_TOPIC_${id.toUpperCase()}`;
}

/**
 * SNS sink: a KMS-encrypted standard topic the consuming function publishes every record to
 * (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/sns_topic).
 * Standard, not FIFO: FIFO topics keep order only if a failed entry stops every later record of
 * its group, which partial batch failures cannot promise; consumers deduplicate by the record id.
 */
export const sns: Kind = {
  name: "sns",
  category: "sinks",
  schema: loadSchema("src/kinds/sinks/sns"),
  accepts: ["stream", "window"],
  check({ component: c, model, input, report }) {
    const len = maxPhysicalLength(model.name, c.id);
    if (len > SNS_TOPIC_NAME_LIMIT) {
      report("", "PG3009", `topic names for sink \`${c.id}\` can reach ${len} characters (\`${model.name}-<environment>-${kebab(c.id)}\`, environment up to 10), over the SNS limit of ${SNS_TOPIC_NAME_LIMIT}`, `shorten the sink id or the pipeline name by at least ${len - SNS_TOPIC_NAME_LIMIT} characters`);
    }
    const attrs = (c.config.message_attributes as string[] | undefined) ?? [];
    if (input) {
      const from = c.inputs[0]!;
      attrs.forEach((f, i) => {
        if (input[f]) return;
        const lost = droppedBy(model, from, f);
        if (lost) report(`/message_attributes/${i}`, "PG3005", `message attribute \`${f}\` is not in the records arriving from \`${from}\`: ${lost.reason}`, lost.hint);
        else report(`/message_attributes/${i}`, "PG3005", `message attribute \`${f}\` is not a field of the records arriving from \`${from}\``, didYouMean(f, Object.keys(input), "fields"));
      });
    }
    return undefined;
  },
  terraform(c) {
    return {
      hcl: render("src/kinds/sinks/sns/main.tf.hbs", {
        id: c.id,
        kebab: kebab(c.id),
        name: physicalName(c.id),
        alarmName: physicalName(c.id, "-failed-notifications"),
        tag: hclString(c.id),
      }),
      outputs: [{ name: `${c.id}_topic_arn`, description: hclString(`ARN of the SNS topic ${c.id}; subscribe to it to receive every record as a JSON message.`), value: `aws_sns_topic.${c.id}.arn` }],
    };
  },
  sink(c) {
    const attributes = (c.config.message_attributes as string[] | undefined) ?? [];
    const opts = { name: c.id, topicEnv: topicEnv(c.id), ...(attributes.length ? { attributes } : {}) };
    return {
      imports: ["snsSink"],
      expr: `snsSink(${JSON.stringify(opts)})`,
      env: { [topicEnv(c.id)]: `aws_sns_topic.${c.id}.arn` },
      // PublishBatch is authorised as sns:Publish; the topic's KMS key is covered by UsePipelineKey.
      statements: [{ sid: `PublishTopic${pascal(c.id)}`, actions: ["sns:Publish"], resources: [`aws_sns_topic.${c.id}.arn`] }],
    };
  },
};
