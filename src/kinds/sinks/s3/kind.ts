import type { Kind } from "../../kind.ts";
import { loadSchema } from "../../load-schema.ts";
import { render, sharedTemplate } from "../../../emit/templates.ts";
import { bucketName, maxBucketLength, LIMITS } from "../../../naming/names.ts";
import { hclString } from "../../../emit/hcl-literal.ts";
import { didYouMean, droppedBy } from "../../../diagnostics/suggest.ts";

/** Environment variable the writing handler reads the bucket name from. */
export function bucketEnv(id: string): string {
  return `PIPEGEN_BUCKET_${id.toUpperCase()}`;
}

/**
 * S3 data-lake sink: bucket, versioning, SSE-KMS, public access block, ownership, TLS-only policy,
 * access logging and lifecycle (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket).
 */
export const s3: Kind = {
  name: "s3",
  category: "sinks",
  schema: loadSchema("src/kinds/sinks/s3"),
  accepts: ["stream", "window"],
  check({ component: c, model, input, report }) {
    const len = maxBucketLength(model.name, c.id);
    if (len > LIMITS.s3Bucket) {
      report(
        "",
        "PG3009",
        `bucket names for sink \`${c.id}\` can reach ${len} characters (\`${model.name}-<environment>-${c.id.replace(/_/g, "-")}-<account id>\`, environment up to 10), over the S3 limit of ${LIMITS.s3Bucket}; creating the bucket would fail at apply time`,
        `shorten the sink id or the pipeline name by at least ${len - LIMITS.s3Bucket} characters`,
      );
    }
    const tf = c.config.time_field as string | undefined;
    if (tf && input) {
      const lost = input[tf] ? undefined : droppedBy(model, c.inputs[0]!, tf);
      if (lost) report("/time_field", "PG3005", `time field \`${tf}\` is not in the records arriving from \`${c.inputs[0]}\`: ${lost.reason}`, lost.hint);
      else if (!input[tf]) report("/time_field", "PG3005", `time field \`${tf}\` is not in the records arriving from \`${c.inputs[0]}\``, didYouMean(tf, Object.keys(input), "fields"));
      else if (input[tf] !== "timestamp") report("/time_field", "PG3007", `time field \`${tf}\` is a ${input[tf]}, not a timestamp, so it cannot pick a date partition`, `name a field of type timestamp: ${Object.keys(input).filter((f) => input[f] === "timestamp").sort().join(", ") || "none arrive"}`);
    }
    const archive = c.config.archive_after_days as number | undefined;
    const glacier = c.config.glacier_after_days as number | undefined;
    const expire = c.config.expire_after_days as number | undefined;
    // S3 rejects a lifecycle rule whose transitions are out of order, so apply would fail half-way.
    if (archive && glacier && glacier <= archive) {
      report("/glacier_after_days", "PG2006", `\`glacier_after_days\` (${glacier}) must be later than \`archive_after_days\` (${archive}): objects move to STANDARD_IA first, then to GLACIER_IR, and S3 rejects transitions out of order`, `use a value above ${archive}, or remove \`archive_after_days\``);
    }
    const last = glacier ?? archive;
    const lastKey = glacier ? "glacier_after_days" : "archive_after_days";
    if (expire && last && expire <= last) {
      report("/expire_after_days", "PG2006", `\`expire_after_days\` (${expire}) must be later than \`${lastKey}\` (${last}): objects would be deleted before their storage class transition, which S3 rejects`, `use a value above ${last}, or remove the transition`);
    }
    return undefined;
  },
  terraform(c) {
    const cfg = c.config;
    const transitions: Array<{ days: number; storageClass: string }> = [];
    if (cfg.archive_after_days) transitions.push({ days: cfg.archive_after_days as number, storageClass: "STANDARD_IA" });
    if (cfg.glacier_after_days) transitions.push({ days: cfg.glacier_after_days as number, storageClass: "GLACIER_IR" });
    const view = {
      id: c.id,
      name: bucketName(c.id),
      tag: hclString(c.id),
      transitions,
      expireDays: (cfg.expire_after_days as number | undefined) ?? false,
      // Old versions would otherwise be kept forever; expire them a little after current ones move on.
      noncurrentDays: (cfg.expire_after_days as number | undefined) ?? 90,
    };
    return {
      hcl: render("src/kinds/sinks/s3/main.tf.hbs", view),
      outputs: [{ name: `${c.id}_bucket_name`, description: hclString(`Name of the S3 bucket ${c.id}.`), value: `aws_s3_bucket.${c.id}.id` }],
      shared: { access_logs: render(sharedTemplate("access-logs.tf.hbs"), {}) },
    };
  },
  sink(c) {
    const cfg = c.config;
    const prefix = (cfg.prefix as string | undefined) ?? `${c.id}/`;
    const opts = {
      name: c.id,
      bucketEnv: bucketEnv(c.id),
      prefix,
      partitionBy: (cfg.partition_by as string[] | undefined) ?? ["date"],
      ...(cfg.time_field ? { timeField: cfg.time_field } : {}),
    };
    return {
      imports: ["s3Sink"],
      expr: `s3Sink(${JSON.stringify(opts)})`,
      env: { [bucketEnv(c.id)]: `aws_s3_bucket.${c.id}.id` },
      statements: [
        { sid: `WriteObjects${pascal(c.id)}`, actions: ["s3:PutObject"], resources: [`"\${aws_s3_bucket.${c.id}.arn}/${prefix}*"`] },
      ],
    };
  },
};

/** `per_device` → `PerDevice`, for IAM statement ids (alphanumeric only). */
export function pascal(id: string): string {
  return id.split("_").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("");
}
