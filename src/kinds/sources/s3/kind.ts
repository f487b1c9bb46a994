import type { Component, PipelineModel } from "../../../model/types.ts";
import type { ConsumerPart, Kind } from "../../kind.ts";
import { loadSchema } from "../../load-schema.ts";
import { render, sharedTemplate } from "../../../emit/templates.ts";
import { bucketName, maxBucketLength, LIMITS } from "../../../naming/names.ts";
import { hclString } from "../../../emit/hcl-literal.ts";
import { sourceFiles } from "../../files.ts";
import { pascal } from "../../sinks/s3/kind.ts";

/** `batch`: a scheduled batch job reads the files; `events`: every object triggers the consuming function. */
export type S3SourceMode = "batch" | "events";

/** The mode of an s3 source (required by the schema). */
export function sourceMode(c: Component): S3SourceMode {
  return c.config.mode === "batch" ? "batch" : "events";
}

/**
 * The schedule of a batch-mode s3 source, an EventBridge Scheduler expression (`rate(...)` or
 * `cron(...)`, validated by the schema and required by the check), for the orchestration that
 * starts its batch job; undefined in events mode.
 */
export function batchSchedule(c: Component): string | undefined {
  return sourceMode(c) === "batch" && typeof c.config.schedule === "string" ? c.config.schedule : undefined;
}

/** Environment variable the consuming function reads the landing bucket's name from. */
export function sourceBucketEnv(id: string): string {
  return `PIPEGEN_SOURCE_BUCKET_${id.toUpperCase()}`;
}

/** Environment variable the consuming function reads its dead-letter queue URL from (bad lines are parked there). */
export const DLQ_URL_ENV = "PIPEGEN_DLQ_URL";

/**
 * The functions reading an events-mode source, found by walking `inputs` downstream the way
 * plan/functions.ts fuses functions: transforms other than aggregates are compiled into the
 * consuming function, so the walk passes through them and stops at sinks (each has a function)
 * and aggregates. Decided from the model alone: this module cannot import the kind registry,
 * which imports it.
 */
export function downstreamFunctions(model: PipelineModel, id: string): Component[] {
  const found = new Map<string, Component>();
  const walk = (from: string, via: string[]) => {
    for (const c of model.components) {
      if (!c.inputs.includes(from)) continue;
      if (c.category === "sinks" || c.type === "aggregate") found.set(c.id, c);
      else if (c.category === "transforms" && !via.includes(c.id)) walk(c.id, [...via, c.id]);
    }
  };
  walk(id, []);
  return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

const list = (ids: string[]) => ids.map((x) => `\`${x}\``).join(", ");

/**
 * S3 landing-bucket source (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket).
 * Batch mode emits files for a batch job (the schedule is turned into EventBridge Scheduler and
 * Step Functions by plan/orchestration); events mode emits records, one per line of every object,
 * through an S3 event notification that invokes the consuming function
 * (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_notification).
 */
export const s3Source: Kind = {
  name: "s3",
  category: "sources",
  schema: loadSchema("src/kinds/sources/s3"),
  accepts: [],
  produces: (c) => (sourceMode(c) === "batch" ? "files" : "stream"),
  check({ component: c, model, report }) {
    const len = maxBucketLength(model.name, c.id);
    if (len > LIMITS.s3Bucket) {
      report(
        "",
        "PG3009",
        `bucket names for source \`${c.id}\` can reach ${len} characters (\`${model.name}-<environment>-${c.id.replace(/_/g, "-")}-<account id>\`, environment up to 10), over the S3 limit of ${LIMITS.s3Bucket}; creating the bucket would fail at apply time`,
        `shorten the source id or the pipeline name by at least ${len - LIMITS.s3Bucket} characters`,
      );
    }
    const mode = sourceMode(c);
    if (mode === "batch") {
      if (c.config.schedule === undefined) {
        report(
          "",
          "PG2002",
          `missing required key \`schedule\` in source \`${c.id}\` (type s3): in \`mode: batch\` the files are read by a batch job that runs on this schedule, so without one they would never be processed`,
          "add `schedule:`, for example `schedule: cron(0 3 * * ? *)` (daily at 03:00 UTC), or use `mode: events` to process each file as it lands",
        );
      }
      if (c.config.suffix !== undefined) {
        report(
          "/suffix",
          "PG2008",
          `\`suffix\` does not apply to source \`${c.id}\` in \`mode: batch\`: it filters the S3 notifications of \`mode: events\`, while a batch job reads every file under \`prefix\``,
          "remove `suffix`, or keep other files out of the landing prefix",
        );
      }
      return model.record;
    }
    if (c.config.schedule !== undefined) {
      report(
        "/schedule",
        "PG2008",
        `\`schedule\` does not apply to source \`${c.id}\` in \`mode: events\`: each object is processed as soon as S3 reports it, not on a schedule`,
        "remove `schedule`, or use `mode: batch` to have a batch job (glue_job) read the files on this schedule",
      );
    }
    // An aggregate reading this source is reported by the graph (tumbling windows need a Kinesis
    // event source mapping), so only plain consumers count here.
    const functions = downstreamFunctions(model, c.id).filter((f) => f.type !== "aggregate");
    if (functions.length > 1) {
      report(
        "",
        "PG3003",
        `source \`${c.id}\` (type s3, \`mode: events\`) feeds ${functions.length} functions (${list(functions.map((f) => f.id))}), but S3 rejects a bucket notification that sends the same objects (overlapping prefix and suffix) to more than one function`,
        "give this source a single sink (one function), or land the files for each destination under a source of its own",
      );
    }
    return model.record;
  },
  edgeHint(c, consumer) {
    if (sourceMode(c) === "batch" && !consumer.accepts.includes("files")) {
      return `\`${c.id}\` is a batch s3 source: its files are read by a glue_job on its schedule. To process each file with Lambda as it lands, set \`mode: events\` on \`${c.id}\` and remove its \`schedule\``;
    }
    if (sourceMode(c) === "events" && !consumer.accepts.includes("stream")) {
      return `\`${c.id}\` is an events s3 source: it emits records, one per line of each object. To have a batch job read the files, set \`mode: batch\` and a \`schedule\` on \`${c.id}\``;
    }
    return undefined;
  },
  terraform(c, ctx) {
    const files = sourceFiles(c);
    const expire = c.config.expire_after_days as number | undefined;
    const bucket = render(sharedTemplate("hardened-bucket.tf.hbs"), {
      id: c.id,
      name: bucketName(c.id),
      tag: hclString(c.id),
      lifecycleRule: "expire-landed-files",
      transitions: [],
      expireDays: expire ?? false,
      // Overwritten files leave old versions behind; expire them too instead of keeping them forever.
      noncurrentDays: expire ?? 90,
    });
    const fns = sourceMode(c) === "events" ? downstreamFunctions(ctx.model, c.id) : [];
    const notification = fns.length
      ? {
          prefix: hclString(files.prefix),
          suffix: typeof c.config.suffix === "string" ? hclString(c.config.suffix) : false,
          functions: fns.map((f) => ({ id: f.id, name: hclString(f.id) })),
          permissions: fns.map((f) => `aws_lambda_permission.${f.id}_s3`).join(", "),
        }
      : false;
    return {
      hcl: render("src/kinds/sources/s3/main.tf.hbs", { id: c.id, bucket, notification }),
      outputs: [
        { name: `${c.id}_bucket_name`, description: hclString(`Name of the landing bucket of source ${c.id}.`), value: `aws_s3_bucket.${c.id}.id` },
        { name: `${c.id}_landing_prefix`, description: hclString(`Key prefix files for source ${c.id} are uploaded under.`), value: hclString(files.prefix) },
      ],
      shared: { access_logs: render(sharedTemplate("access-logs.tf.hbs"), {}) },
    };
  },
  consumer(source, unit): ConsumerPart {
    const files = sourceFiles(source);
    return {
      hcl: render("src/kinds/sources/s3/consumer.tf.hbs", { unit: unit.id, source: source.id }),
      statements: [
        // GetObject with the event's versionId is authorised as s3:GetObjectVersion.
        { sid: `ReadObjects${pascal(source.id)}`, actions: ["s3:GetObject", "s3:GetObjectVersion"], resources: [`"\${aws_s3_bucket.${source.id}.arn}/${files.prefix}*"`] },
      ],
      env: { [sourceBucketEnv(source.id)]: `aws_s3_bucket.${source.id}.id`, [DLQ_URL_ENV]: `aws_sqs_queue.${unit.id}_dlq.url` },
      handler: "s3ObjectHandler",
      options: { name: source.id, bucketEnv: sourceBucketEnv(source.id), dlqEnv: DLQ_URL_ENV, prefix: files.prefix, format: files.format },
      summary: `reads ${files.format} objects landing in ${source.id}`,
      async: true,
    };
  },
};
