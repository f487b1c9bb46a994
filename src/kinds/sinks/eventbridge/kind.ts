import type { Kind } from "../../kind.ts";
import type { Component, PipelineModel } from "../../../model/types.ts";
import { loadSchema } from "../../load-schema.ts";
import { render } from "../../../emit/templates.ts";
import { kebab, maxPhysicalLength, physicalName } from "../../../naming/names.ts";
import { hclString } from "../../../emit/hcl-literal.ts";
import { pascal } from "../s3/kind.ts";

/** PutEvents limits (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html) and the bus name limit. */
export const EVENTBRIDGE_LIMITS = { source: 256, detailType: 128, busName: 256 } as const;

/** Environment variable the publishing handler reads the event bus name from. */
export function busEnv(id: string): string {
  return `PIPEGEN_BUS_${id.toUpperCase()}`;
}

/** The events' source: the spec's, or `pipegen.<pipeline>`. */
export function eventSource(c: Component, model: Pick<PipelineModel, "name">): string {
  return (c.config.source as string | undefined) ?? `pipegen.${model.name}`;
}

/** The events' detail-type: the spec's, or the component id. */
export function detailType(c: Component): string {
  return (c.config.detail_type as string | undefined) ?? c.id;
}

/**
 * EventBridge sink: an event bus of the pipeline's own that the consuming function puts every
 * record on (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_event_bus).
 * A bus per sink rather than the account's default bus: the function may put events on it and
 * nothing else, and consumers' rules on it see only this pipeline's events.
 */
export const eventbridge: Kind = {
  name: "eventbridge",
  category: "sinks",
  schema: loadSchema("src/kinds/sinks/eventbridge"),
  accepts: ["stream", "window"],
  check({ component: c, model, report }) {
    const bus = maxPhysicalLength(model.name, c.id);
    if (bus > EVENTBRIDGE_LIMITS.busName) {
      report("", "PG3009", `event bus names for sink \`${c.id}\` can reach ${bus} characters (\`${model.name}-<environment>-${kebab(c.id)}\`, environment up to 10), over the EventBridge limit of ${EVENTBRIDGE_LIMITS.busName}`, `shorten the sink id or the pipeline name by at least ${bus - EVENTBRIDGE_LIMITS.busName} characters`);
    }
    const source = c.config.source as string | undefined;
    if (source !== undefined) {
      if (source.toLowerCase().startsWith("aws.")) {
        report("/source", "PG3008", `source \`${source}\` starts with \`aws.\`, which EventBridge reserves for AWS services and rejects in PutEvents`, `use your own namespace, such as \`com.example.${model.name}\`, or leave \`source\` out for \`pipegen.${model.name}\``);
      }
      if (source.length > EVENTBRIDGE_LIMITS.source) {
        report("/source", "PG3009", `source is ${source.length} characters, over the EventBridge limit of ${EVENTBRIDGE_LIMITS.source}; every PutEvents entry would be rejected`, `shorten it by at least ${source.length - EVENTBRIDGE_LIMITS.source} characters`);
      }
    }
    const dt = c.config.detail_type as string | undefined;
    if (dt !== undefined && dt.length > EVENTBRIDGE_LIMITS.detailType) {
      report("/detail_type", "PG3009", `detail_type is ${dt.length} characters, over the EventBridge limit of ${EVENTBRIDGE_LIMITS.detailType}; every PutEvents entry would be rejected`, `shorten it by at least ${dt.length - EVENTBRIDGE_LIMITS.detailType} characters`);
    }
    return undefined;
  },
  terraform(c, ctx) {
    const pattern = `jsonencode({ source = [${hclString(eventSource(c, ctx.model))}], "detail-type" = [${hclString(detailType(c))}] })`;
    return {
      hcl: render("src/kinds/sinks/eventbridge/main.tf.hbs", {
        id: c.id,
        name: physicalName(c.id),
        description: hclString(`pipegen ${ctx.model.name}: every record of ${c.id} as one event`),
        tag: hclString(c.id),
      }),
      outputs: [
        { name: `${c.id}_event_bus_name`, description: hclString(`Name of the EventBridge bus ${c.id}; add rules on it to receive the records.`), value: `aws_cloudwatch_event_bus.${c.id}.name` },
        { name: `${c.id}_event_bus_arn`, description: hclString(`ARN of the EventBridge bus ${c.id}.`), value: `aws_cloudwatch_event_bus.${c.id}.arn` },
        { name: `${c.id}_event_pattern`, description: hclString(`Event pattern matching every event of ${c.id}, for subscribers' rules.`), value: pattern },
      ],
    };
  },
  sink(c, ctx) {
    const opts = { name: c.id, busEnv: busEnv(c.id), source: eventSource(c, ctx.model), detailType: detailType(c) };
    return {
      imports: ["eventbridgeSink"],
      expr: `eventbridgeSink(${JSON.stringify(opts)})`,
      env: { [busEnv(c.id)]: `aws_cloudwatch_event_bus.${c.id}.name` },
      statements: [{ sid: `PutEvents${pascal(c.id)}`, actions: ["events:PutEvents"], resources: [`aws_cloudwatch_event_bus.${c.id}.arn`] }],
    };
  },
};
