import type { Component, PipelineModel } from "../../../model/types.ts";
import type { Kind, Report, TerraformPart } from "../../kind.ts";
import type { PlanContext } from "../../../plan/context.ts";
import type { FilesLocation } from "../../files.ts";
import { sinkFiles, sourceFiles } from "../../files.ts";
import { loadSchema } from "../../load-schema.ts";
import { render, sharedTemplate } from "../../../emit/templates.ts";
import { hclString } from "../../../emit/hcl-literal.ts";
import { bucketName, kebab, maxPhysicalLength, physicalName, LIMITS } from "../../../naming/names.ts";
import { didYouMean } from "../../../diagnostics/suggest.ts";
import { pascal } from "../../sinks/s3/kind.ts";

const DIR = "src/kinds/transforms/glue_job";

/** Glue job names are at most 255 characters (CreateJob). */
export const GLUE_JOB_NAME_LIMIT = 255;

/** Where the module keeps Glue scripts and Glue's temporary data (the shared artifacts bucket). */
export const ARTIFACTS = { bucket: "aws_s3_bucket.artifacts.id", bucketArn: "aws_s3_bucket.artifacts.arn" } as const;

/** Defaults of the spec, resolved in one place (the orchestration reads `retry` through this). */
export interface GlueJobSettings {
  workerType: "G.1X" | "G.2X" | "G.4X" | "G.8X";
  /** Fixed worker count, or the auto-scaling maximum when `autoscaling` is set. */
  workers: number;
  autoscaling: boolean;
  glueVersion: "5.0" | "4.0";
  timeoutMinutes: number;
  bookmarks: boolean;
  dedupeBy: string[];
  /** Retries done by the Step Functions state machine (the Glue job's own max_retries is 0). */
  retry: { attempts: number; intervalSeconds: number; backoffRate: number };
}

export function glueJobSettings(c: Component): GlueJobSettings {
  const cfg = c.config;
  const retry = (cfg.retry ?? {}) as { attempts?: number; interval_seconds?: number; backoff_rate?: number };
  const autoscaling = cfg.autoscaling as { max_workers: number } | undefined;
  return {
    workerType: (cfg.worker_type as GlueJobSettings["workerType"] | undefined) ?? "G.1X",
    workers: autoscaling ? autoscaling.max_workers : ((cfg.workers as number | undefined) ?? 2),
    autoscaling: autoscaling !== undefined,
    glueVersion: (cfg.glue_version as GlueJobSettings["glueVersion"] | undefined) ?? "5.0",
    timeoutMinutes: (cfg.timeout_minutes as number | undefined) ?? 60,
    bookmarks: (cfg.bookmarks as boolean | undefined) ?? true,
    dedupeBy: (cfg.dedupe_by as string[] | undefined) ?? [],
    retry: { attempts: retry.attempts ?? 2, intervalSeconds: retry.interval_seconds ?? 300, backoffRate: retry.backoff_rate ?? 2 },
  };
}

/** The user's PySpark script, relative to the pipeline file. */
export function glueScriptPath(pipeline: string, c: Component): string {
  return typeof c.config.script === "string" ? c.config.script : `${pipeline}/${c.id}.py`;
}

/** Module paths of the uploaded script and the generated contract module (also their S3 keys under the artifacts bucket). */
export function glueModuleFiles(id: string): { script: string; contract: string } {
  return { script: `glue/${id}.py`, contract: `glue/${id}_contract.py` };
}

/** Terraform address of the Glue job of component `id`, for the orchestration (`.name`, `.arn`). */
export function glueJobAddress(id: string): string {
  return `aws_glue_job.${id}`;
}

/** The s3 sinks reading a glue job: the dataset it writes. */
function s3Consumers(model: PipelineModel, id: string): Component[] {
  return model.components.filter((x) => x.category === "sinks" && x.type === "s3" && x.inputs.includes(id));
}

/**
 * Where a glue job's input files are: the landing prefix of a batch s3 source, or the Parquet
 * dataset an upstream glue job writes into its s3 sink (the orchestration runs it first).
 */
export function glueInput(model: PipelineModel, c: Component): FilesLocation | undefined {
  const up = model.byId.get(c.inputs[0]!);
  if (up?.category === "sources" && up.type === "s3" && up.config.mode === "batch") return sourceFiles(up);
  if (up?.type === "glue_job") {
    const sink = s3Consumers(model, up.id)[0];
    return sink ? sinkFiles(sink) : undefined;
  }
  return undefined;
}

/**
 * Glue job: a PySpark transform on AWS Glue over the files of a batch s3 source, writing Parquet
 * into the s3 sink that reads it (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/glue_job).
 * The user owns the script (written once); pipegen regenerates the pure-Python contract module the
 * script imports, so contract changes reach the job without touching user code.
 */
export const glueJob: Kind = {
  name: "glue_job",
  category: "transforms",
  schema: loadSchema(DIR),
  accepts: ["files"],
  produces: "files",
  check({ component: c, model, input, report }) {
    const cfg = c.config;
    const record = input ?? model.record;
    const fields = Object.keys(record);
    ((cfg.dedupe_by as string[] | undefined) ?? []).forEach((f, i) => {
      if (!record[f]) report(`/dedupe_by/${i}`, "PG3005", `dedupe field \`${f}\` is not in the record contract, so rows could not be matched by it`, didYouMean(f, fields, "fields"));
    });
    if (cfg.workers !== undefined && cfg.autoscaling !== undefined) {
      report(
        "/autoscaling",
        "PG2008",
        `\`workers\` and \`autoscaling\` of glue job \`${c.id}\` exclude each other: \`workers\` fixes the count of every run, \`autoscaling.max_workers\` lets Glue choose up to that many`,
        "keep one of them: remove `workers` to let Glue scale, or remove `autoscaling` for a fixed size",
      );
    }
    checkConsumers(c, model, report);
    const jobLen = maxPhysicalLength(model.name, c.id);
    if (jobLen > GLUE_JOB_NAME_LIMIT) {
      report("", "PG3009", `the Glue job name for \`${c.id}\` can reach ${jobLen} characters (\`${model.name}-<environment>-${kebab(c.id)}\`), over the Glue limit of ${GLUE_JOB_NAME_LIMIT}`, `shorten the component id or the pipeline name by at least ${jobLen - GLUE_JOB_NAME_LIMIT} characters`);
    }
    // Rows are cast to the contract and keep its fields: the output is the input contract, unchanged.
    return record;
  },
  edgeHint(c, consumer) {
    if (consumer.accepts.includes("files")) return undefined;
    return `glue job \`${c.id}\` writes Parquet files for an s3 sink with \`format: parquet\` (queried with Athena); Lambda-based transforms and sinks read record streams, so feed them from a kinesis source or an s3 source with \`mode: events\``;
  },
  terraform(c, ctx) {
    return glueTerraform(c, ctx);
  },
  userFiles(c, ctx, specPath) {
    return [
      {
        path: glueScriptPath(ctx.model.name, c),
        content: render(`${DIR}/script.py.hbs`, {
          id: c.id,
          pipeline: ctx.model.name,
          specPath: specPath.replace(/["\\]/g, "_"),
          modulePath: glueModuleFiles(c.id).script,
          contractModule: `${c.id}_contract`,
          inputFormat: glueInput(ctx.model, c)?.format ?? "jsonl",
        }),
      },
    ];
  },
  copies(c, ctx) {
    return [{ from: glueScriptPath(ctx.model.name, c), to: glueModuleFiles(c.id).script }];
  },
};

/** The sink checks: exactly one s3 sink, storing Parquet. */
function checkConsumers(c: Component, model: PipelineModel, report: Report): void {
  // Lambda-based readers (filter, map, function, aggregate, dynamodb, sns, ...) do not accept files:
  // the graph reports that edge at the reader (PG3003) with this kind's edgeHint, and a glue job
  // reading a glue job is reported at the reader's `inputs` by check().
  const consumers = model.components.filter((x) => x.inputs.includes(c.id));
  const sinks = s3Consumers(model, c.id);
  for (const s of sinks) {
    const format = (s.config.format as string | undefined) ?? "jsonl";
    if (format !== "parquet") {
      report("", "PG3003", `glue job \`${c.id}\` writes Parquet, but s3 sink \`${s.id}\` stores ${format}: the sink's table and queries would not match the files the job writes`, `set \`format: parquet\` on sink \`${s.id}\``);
    }
  }
  if (sinks.length > 1) {
    report("", "PG3003", `glue job \`${c.id}\` feeds ${sinks.length} s3 sinks (${sinks.map((s) => `\`${s.id}\``).join(", ")}), but a glue job writes one dataset`, "keep one sink reading the job; a second dataset needs a second glue job");
  }
  if (consumers.length > 0 && sinks.length === 0) {
    report("", "PG3003", `glue job \`${c.id}\` feeds no s3 sink with \`format: parquet\`, so the Parquet files it writes would have nowhere to go`, `add a sink: \`{ type: s3, inputs: [${c.id}], format: parquet, time_field: <timestamp field> }\``);
  }
}

/** `s3://<bucket>/<prefix>` as an HCL template; the prefix is escaped like any spec string. */
function s3Url(loc: Pick<FilesLocation, "bucket" | "prefix">): string {
  return `"s3://\${${loc.bucket}}/${hclString(loc.prefix).slice(1, -1)}"`;
}

/** `<bucket arn>/<prefix>*` as an HCL template (IAM object resources). */
function objectsUnder(bucketArn: string, prefix: string): string {
  return `"\${${bucketArn}}/${hclString(prefix).slice(1, -1)}*"`;
}

/** `s3:prefix` values that let ListBucket see exactly one prefix and what is under it. */
function listCondition(prefix: string): string {
  return `{ StringLike = { "s3:prefix" = [${hclString(prefix)}, ${hclString(`${prefix}*`)}] } }`;
}

interface Statement {
  sid: string;
  actions: string;
  resources: string;
  condition: string | false;
}

function statement(sid: string, actions: string[], resources: string[], condition?: string): Statement {
  return { sid, actions: [...actions].sort().map(hclString).join(", "), resources: resources.join(", "), condition: condition ?? false };
}

function glueTerraform(c: Component, ctx: PlanContext): TerraformPart {
  const { model } = ctx;
  const s = glueJobSettings(c);
  const files = glueModuleFiles(c.id);
  const sourceC = model.byId.get(c.inputs[0]!)!;
  const input = glueInput(model, c);
  const sinkC = s3Consumers(model, c.id)[0];
  if (!sinkC || !input) throw new Error(`glue job ${c.id}: checks guarantee a files input and an s3 sink`);
  const output = sinkFiles(sinkC);
  const partitions = output.partitions ?? [];
  const timeField = output.timeField;
  const tempPrefix = `glue-temp/${c.id}/`;
  const rejectedPrefix = `rejected/${c.id}/`;
  const logPrefix = `/aws-glue/jobs/\${local.name_prefix}-${kebab(c.id)}`;
  // Glue 5.0 writes driver and executor logs to `<custom-logGroup-prefix>/error|output`; 4.0 writes
  // continuous logs to `<continuous-log-logGroup>-<security configuration name>` when the security
  // configuration encrypts CloudWatch logs. Both groups are created here (retention, KMS), so the
  // role needs no logs:CreateLogGroup and Glue never creates unmanaged groups.
  const logGroups =
    s.glueVersion === "5.0"
      ? [
          { name: `${c.id}_error`, value: `"${logPrefix}/error"` },
          { name: `${c.id}_output`, value: `"${logPrefix}/output"` },
        ]
      : [{ name: `${c.id}_continuous`, value: `"${logPrefix}-\${aws_glue_security_configuration.this.name}"` }];

  const args: Record<string, string> = {
    "--TempDir": s3Url({ bucket: ARTIFACTS.bucket, prefix: tempPrefix }),
    "--enable-continuous-cloudwatch-log": hclString("true"),
    "--enable-metrics": hclString("true"),
    "--extra-py-files": `"s3://\${${ARTIFACTS.bucket}}/\${aws_s3_object.${c.id}_contract.key}"`,
    "--input_format": hclString(input.format),
    "--input_path": s3Url(input),
    "--job-bookmark-option": hclString(s.bookmarks ? "job-bookmark-enable" : "job-bookmark-disable"),
    "--job-language": hclString("python"),
    "--output_path": s3Url(output),
    "--rejected_path": s3Url({ bucket: ARTIFACTS.bucket, prefix: rejectedPrefix }),
  };
  if (s.glueVersion === "5.0") args["--custom-logGroup-prefix"] = `"${logPrefix}"`;
  else args["--continuous-log-logGroup"] = `"${logPrefix}"`;
  if (s.autoscaling) args["--enable-auto-scaling"] = hclString("true");
  if (s.dedupeBy.length) args["--dedupe_by"] = hclString(s.dedupeBy.join(","));
  if (partitions.length) args["--partition_by"] = hclString(partitions.join(","));
  if (timeField) args["--time_field"] = hclString(timeField);

  const p = pascal(c.id);
  const statements: Statement[] = [
    statement(`ReadInput${pascal(sourceC.id)}`, ["s3:GetObject"], [objectsUnder(input.bucketArn, input.prefix)]),
    statement(`ListInput${pascal(sourceC.id)}`, ["s3:ListBucket"], [input.bucketArn], listCondition(input.prefix)),
    // Delete: a retried run first removes what an earlier attempt of the same batch published.
    statement(`WriteOutput${pascal(sinkC.id)}`, ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], [objectsUnder(output.bucketArn, output.prefix)]),
    statement(`ListOutput${pascal(sinkC.id)}`, ["s3:ListBucket"], [output.bucketArn], listCondition(output.prefix)),
    statement(`ReadScript${p}`, ["s3:GetObject"], [`aws_s3_object.${c.id}_script.arn`, `aws_s3_object.${c.id}_contract.arn`]),
    statement(`TempAndRejected${p}`, ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], [objectsUnder(ARTIFACTS.bucketArn, tempPrefix), objectsUnder(ARTIFACTS.bucketArn, rejectedPrefix)]),
    statement(`ListTempAndRejected${p}`, ["s3:ListBucket"], [ARTIFACTS.bucketArn], `{ StringLike = { "s3:prefix" = [${[tempPrefix, `${tempPrefix}*`, rejectedPrefix, `${rejectedPrefix}*`].map(hclString).join(", ")}] } }`),
    // S3 objects, job bookmarks (CSE-KMS) and the temp dir are encrypted with the pipeline key.
    statement("UsePipelineKey", ["kms:Decrypt", "kms:GenerateDataKey"], ["aws_kms_key.this.arn"]),
    // AssociateKmsKey: with CloudWatch encryption in the security configuration, Glue associates the key with its log groups.
    statement("WriteOwnLogs", ["logs:AssociateKmsKey", "logs:CreateLogStream", "logs:PutLogEvents"], logGroups.map((g) => `"\${aws_cloudwatch_log_group.${g.name}.arn}:*"`)),
    statement("ReadOwnBookmark", ["glue:GetJobBookmark"], [`aws_glue_job.${c.id}.arn`]),
    // PutMetricData has no resource-level permissions; the condition keeps the job to Glue's namespace.
    statement("PublishJobMetrics", ["cloudwatch:PutMetricData"], [`"*"`], `{ StringEquals = { "cloudwatch:namespace" = "Glue" } }`),
  ].sort((a, b) => (a.sid < b.sid ? -1 : 1));

  const view = {
    id: c.id,
    tag: hclString(c.id),
    summary: `reads ${input.format} files of ${sourceC.type === "glue_job" ? "glue job" : "s3 source"} ${sourceC.id} and writes Parquet into s3 sink ${sinkC.id}`,
    jobName: physicalName(c.id),
    roleName: physicalName(c.id),
    roleDescription: hclString(`Runs Glue job ${kebab(c.id)} of pipeline ${model.name}.`),
    description: hclString(`pipegen ${model.name}: ${c.description ?? `${c.id}: ${sourceC.id} (${input.format}) to ${sinkC.id} (Parquet)`}`.slice(0, 2048)),
    glueVersion: s.glueVersion,
    workerType: s.workerType,
    workers: s.workers,
    autoscaling: s.autoscaling,
    timeoutMinutes: s.timeoutMinutes,
    scriptKey: hclString(files.script),
    contractKey: hclString(files.contract),
    // Component ids are lower snake_case (schema), so the paths need no escaping inside the templates.
    scriptFile: files.script,
    contractFile: files.contract,
    args: Object.entries(args)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => ({ key: hclString(key), value })),
    statements,
    logGroups,
    failedRuleName: physicalName(c.id, "-failed"),
    failedRuleDescription: hclString(`Glue job ${kebab(c.id)} of pipeline ${model.name} failed, timed out or errored.`),
  };
  return {
    hcl: render(`${DIR}/main.tf.hbs`, view),
    outputs: [
      { name: `${c.id}_job_name`, description: hclString(`Name of the Glue job ${c.id}; start a run with \`aws glue start-job-run --job-name <name>\`.`), value: `aws_glue_job.${c.id}.name` },
      { name: `${c.id}_script_bucket`, description: hclString(`Bucket holding the script of Glue job ${c.id} (under glue/), its temporary data (glue-temp/) and rejected rows (rejected/).`), value: "aws_s3_bucket.artifacts.id" },
    ],
    shared: {
      access_logs: render(sharedTemplate("access-logs.tf.hbs"), {}),
      artifacts: render(`${DIR}/artifacts.tf.hbs`, { name: bucketName("artifacts") }),
      glue: render(`${DIR}/glue.tf.hbs`, { name: physicalName("glue") }),
    },
    files: { [files.contract]: contractModule(c, ctx, { partitions, timeField, inputFormat: input.format, dedupeBy: s.dedupeBy }) },
  };
}

/** Python literal of a JSON-safe value (JSON strings are valid Python string literals). */
function py(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (Array.isArray(value)) return value.length === 0 ? "()" : `(${value.map(py).join(", ")}${value.length === 1 ? "," : ""})`;
  return JSON.stringify(value);
}

/** The generated pure-Python module: the record contract and the per-row logic the script calls. */
function contractModule(c: Component, ctx: PlanContext, o: { partitions: string[]; timeField: string | undefined; inputFormat: string; dedupeBy: string[] }): string {
  const record = ctx.graph.outputType.get(c.id) ?? ctx.model.record;
  return render(`${DIR}/contract.py.hbs`, {
    id: c.id,
    pipelineName: ctx.model.name,
    pipeline: py(ctx.model.name),
    component: py(c.id),
    fields: Object.keys(record)
      .sort()
      .map((f) => ({ name: py(f), type: py(record[f]) })),
    dedupeBy: py(o.dedupeBy),
    timeField: py(o.timeField ?? null),
    partitionColumns: py(o.partitions),
    inputFormat: py(o.inputFormat),
  });
}
