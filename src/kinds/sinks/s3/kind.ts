import type { Kind, Output, Report } from "../../kind.ts";
import type { Component, PipelineModel } from "../../../model/types.ts";
import type { FieldType, RecordType } from "../../../expr/index.ts";
import type { PlanContext } from "../../../plan/context.ts";
import { loadSchema } from "../../load-schema.ts";
import { render, sharedTemplate } from "../../../emit/templates.ts";
import { bucketName, kebab, maxBucketLength, physicalName, LIMITS } from "../../../naming/names.ts";
import { hclString, hclTemplate, raw } from "../../../emit/hcl-literal.ts";
import { didYouMean, droppedBy } from "../../../diagnostics/suggest.ts";
import { sinkFiles } from "../../files.ts";

/** Environment variable the writing handler reads the bucket name from. */
export function bucketEnv(id: string): string {
  return `PIPEGEN_BUCKET_${id.toUpperCase()}`;
}

/** Environment variable the writing handler reads the Firehose delivery stream name from. */
export function deliveryStreamEnv(id: string): string {
  return `PIPEGEN_DELIVERY_STREAM_${id.toUpperCase()}`;
}

/** Column with each record's stable id in Firehose-fed tables (see src/runtime/firehose-sink.ts). */
export const RECORD_ID_COLUMN = "pipegen_record_id";
/** JSON key the Firehose writer adds with the arrival time when there is no time_field (a `-` never occurs in field names). */
export const ARRIVAL_KEY = "pipegen-arrival";
/**
 * Id the shared query resources are named by (`query_results.tf`, `aws_s3_bucket.query_results`). Its
 * bucket name fits S3's 63 characters for every pipeline name the schema allows (24 at most).
 */
export const QUERY_RESULTS_ID = "query_results";
/** Athena scans at most this much per query in the pipeline's workgroup (10 GiB). */
export const BYTES_SCANNED_CUTOFF = 10 * 1024 ** 3;
/** How far back partition projection enumerates days when objects never expire (5 years). */
const DEFAULT_PROJECTION_DAYS = 1825;
/** Glue/Athena column types of contract field types: what Spark and Firehose both write into Parquet. */
const GLUE_TYPE: Record<FieldType, string> = { string: "string", number: "double", boolean: "boolean", timestamp: "timestamp" };
/** jq 1.6 reserved words: `.if` is a syntax error there, `.["if"]` is not. */
const JQ_KEYWORDS = new Set(["and", "or", "not", "if", "then", "elif", "else", "end", "as", "def", "reduce", "foreach", "try", "catch", "label", "import", "include", "__loc__"]);

/** The object format of a sink (`jsonl` unless set). */
export function formatOf(c: Component): "jsonl" | "parquet" {
  return (c.config.format as "jsonl" | "parquet" | undefined) ?? "jsonl";
}

/** The Glue table name of a parquet sink. */
export function tableName(c: Component): string {
  return (c.config.table as string | undefined) ?? c.id;
}

function partitionBy(c: Component): string[] {
  return (c.config.partition_by as string[] | undefined) ?? ["date"];
}

function queriesOf(c: Component): Array<[string, string]> {
  return Object.entries((c.config.queries as Record<string, string> | undefined) ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Parquet sinks of the model, by id: the first one carries the module's shared query outputs. */
function parquetSinks(model: PipelineModel): Component[] {
  return model.components.filter((x) => x.category === "sinks" && x.type === "s3" && formatOf(x) === "parquet").sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** `.sold_at`, or `.["if"]` for a jq keyword or a key that is not an identifier. */
function jqField(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !JQ_KEYWORDS.has(name) ? `.${name}` : `.[${JSON.stringify(name)}]`;
}

/**
 * S3 data-lake sink: bucket, versioning, SSE-KMS, public access block, ownership, TLS-only policy,
 * access logging and lifecycle (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket).
 * With `format: parquet` also a Glue table (…/glue_catalog_table) with partition projection, named
 * Athena queries (…/athena_named_query), the module's shared database, workgroup and results bucket,
 * and, for stream input, a Firehose delivery stream (…/kinesis_firehose_delivery_stream).
 */
export const s3: Kind = {
  name: "s3",
  category: "sinks",
  schema: loadSchema("src/kinds/sinks/s3"),
  accepts: ["stream", "window", "files"],
  check({ component: c, model, input, inputFlow, report }) {
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
    const files = inputFlow === "files";
    if (formatOf(c) === "parquet") checkParquet(c, model, input, files, report);
    else checkJsonl(c, model, files, report);
    return undefined;
  },
  terraform(c, ctx) {
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
    const bucket = render(sharedTemplate("hardened-bucket.tf.hbs"), { ...view, lifecycleRule: "tiering-and-expiry" });
    const outputs: Output[] = [{ name: `${c.id}_bucket_name`, description: hclString(`Name of the S3 bucket ${c.id}.`), value: `aws_s3_bucket.${c.id}.id` }];
    const shared: Record<string, string> = { access_logs: render(sharedTemplate("access-logs.tf.hbs"), {}) };
    if (formatOf(c) !== "parquet") return { hcl: bucket, outputs, shared };
    const lake = lakeView(c, ctx);
    outputs.push({ name: `${c.id}_glue_table_name`, description: hclString(`Glue Data Catalog table (and Athena table) of sink ${c.id}.`), value: `aws_glue_catalog_table.${c.id}.name` });
    if (lake.firehose) outputs.push({ name: `${c.id}_delivery_stream_name`, description: hclString(`Kinesis Data Firehose stream delivering sink ${c.id} as Parquet.`), value: `aws_kinesis_firehose_delivery_stream.${c.id}.name` });
    // Shared outputs come with the first parquet sink, so a module with several declares them once.
    if (parquetSinks(ctx.model)[0]?.id === c.id) {
      outputs.push(
        { name: "glue_database_name", description: hclString("Glue Data Catalog database holding the tables of the parquet sinks."), value: "aws_glue_catalog_database.this.name" },
        { name: "athena_workgroup_name", description: hclString("Athena workgroup to query the parquet sinks in (encrypted results, scan limit)."), value: "aws_athena_workgroup.this.name" },
        { name: "query_results_bucket_name", description: hclString("S3 bucket holding the Athena workgroup's query results."), value: `aws_s3_bucket.${QUERY_RESULTS_ID}.id` },
      );
    }
    shared[QUERY_RESULTS_ID] = render("src/kinds/sinks/s3/query-results.tf.hbs", {
      id: QUERY_RESULTS_ID,
      name: bucketName(QUERY_RESULTS_ID),
      databaseDescription: hclTemplate(`pipegen ${ctx.model.name} `, raw("var.environment"), ": tables of the parquet sinks"),
      workgroupDescription: hclTemplate(`pipegen ${ctx.model.name} `, raw("var.environment"), ": queries over the parquet sinks"),
      bytesScannedCutoff: BYTES_SCANNED_CUTOFF,
    });
    return { hcl: `${bucket}\n${render("src/kinds/sinks/s3/lake.tf.hbs", lake)}`, outputs, shared };
  },
  sink(c, ctx) {
    const cfg = c.config;
    const prefix = (cfg.prefix as string | undefined) ?? `${c.id}/`;
    if (formatOf(c) === "parquet") {
      const input = ctx.graph.outputType.get(c.inputs[0]!) ?? ctx.model.record;
      const opts = {
        name: c.id,
        streamEnv: deliveryStreamEnv(c.id),
        ...(cfg.time_field ? { timeField: cfg.time_field } : {}),
        timestamps: Object.keys(input).filter((f) => input[f] === "timestamp"),
      };
      return {
        imports: ["firehoseSink"],
        expr: `firehoseSink(${JSON.stringify(opts)})`,
        env: { [deliveryStreamEnv(c.id)]: `aws_kinesis_firehose_delivery_stream.${c.id}.name` },
        statements: [{ sid: `PutRecords${pascal(c.id)}`, actions: ["firehose:PutRecordBatch"], resources: [`aws_kinesis_firehose_delivery_stream.${c.id}.arn`] }],
      };
    }
    const opts = {
      name: c.id,
      bucketEnv: bucketEnv(c.id),
      prefix,
      partitionBy: partitionBy(c),
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

/** Settings that only mean something for `format: parquet` would be silently ignored on a jsonl sink. */
function checkJsonl(c: Component, model: PipelineModel, files: boolean, report: Report): void {
  if (files) {
    const up = model.byId.get(c.inputs[0]!)!;
    report(
      c.config.format === undefined ? "/inputs/0" : "/format",
      "PG3003",
      `sink \`${c.id}\` stores JSON lines, which a function writes from a record stream, but \`${up.id}\` (${up.type}) delivers files: a batch job writes its output into the sink's bucket itself, as Parquet`,
      "set `format: parquet` on this sink (the job then writes Parquet under its prefix, and a Glue table and an Athena workgroup make it queryable)",
    );
    // Its table and queries are then what the user meant: `format` is the one thing to fix.
    return;
  }
  for (const key of ["table", "queries", "buffering"]) {
    if (c.config[key] !== undefined) {
      report(`/${key}`, "PG2008", `\`${key}\` applies to \`format: parquet\` only; sink \`${c.id}\` writes JSON lines, so it would be ignored`, "add `format: parquet`, or remove the key");
    }
  }
}

/** Checks of a parquet sink: names AWS accepts, columns that do not clash, queries with SQL. */
function checkParquet(c: Component, model: PipelineModel, input: RecordType | undefined, files: boolean, report: Report): void {
  const parts = partitionBy(c);
  if (parts.length === 0) {
    report("/partition_by", "PG2008", `a parquet sink needs at least the \`date\` partition: the Glue table projects its partitions from \`dt\`, so Athena finds the data without a crawler and queries filtered by day scan only that day`, "use `partition_by: [date]` (or `[date, hour]`)");
  }
  if (files && c.config.buffering !== undefined) {
    report("/buffering", "PG2008", `\`buffering\` configures the Firehose stream of a parquet sink fed by a stream; sink \`${c.id}\` is written by the batch job \`${c.inputs[0]}\`, so it would be ignored`, "remove `buffering`");
  }
  const fields = Object.keys(input ?? {});
  for (const [key, part] of [["dt", "date"], ["hr", "hour"]] as const) {
    if (fields.includes(key) && (parts.includes(part) || (key === "dt" && parts.includes("hour")))) {
      report("/partition_by", "PG3008", `the records arriving at \`${c.id}\` have a field \`${key}\`, which is also the table's partition key \`${key}\`; Glue rejects a table with two columns of one name`, `rename the field with a map transform, e.g. \`rename: { ${key}: ${key}_value }\``);
    }
  }
  if (!files && fields.includes(RECORD_ID_COLUMN)) {
    report("/format", "PG3008", `the records arriving at \`${c.id}\` have a field \`${RECORD_ID_COLUMN}\`, the column pipegen adds to Firehose-fed tables (each record's stable id, to deduplicate redelivered records)`, "rename the field with a map transform");
  }
  const table = tableName(c);
  const clash = parquetSinks(model).find((o) => o.id !== c.id && tableName(o) === table);
  if (clash) {
    report(c.config.table === undefined ? "" : "/table", "PG3008", `sinks \`${c.id}\` and \`${clash.id}\` would both create the Glue table \`${table}\` in the pipeline's database`, "give one of them another `table` name");
  }
  if (!files) {
    // Firehose names (`<prefix>-<id>-firehose` for the role, the longest) stay under 64 characters
    // whenever the bucket name `<prefix>-<id>-<account id>` fits in 63, which is checked above.
    if (model.byId.has(`${c.id}_firehose`)) {
      report("", "PG3008", `component \`${c.id}_firehose\` would share Terraform resource names with the Firehose role and log group of sink \`${c.id}\` (\`aws_iam_role.${c.id}_firehose\`)`, `rename \`${c.id}_firehose\``);
    }
  }
  const taken = new Map<string, string>();
  for (const other of parquetSinks(model).filter((o) => o.id !== c.id)) for (const [q] of queriesOf(other)) taken.set(`${other.id}_${q}`, `${other.id}.${q}`);
  for (const [name, sql] of queriesOf(c)) {
    if (sql.trim() === "") report(`/queries/${name}`, "PG2006", `query \`${name}\` is empty; Athena rejects a named query without SQL`, `write the query, e.g. \`SELECT * FROM ${table} WHERE dt = '2026-01-01' LIMIT 10\`, or remove it`);
    const other = taken.get(`${c.id}_${name}`);
    if (other) report(`/queries/${name}`, "PG3008", `query \`${name}\` of sink \`${c.id}\` and query \`${other}\` both become the Terraform resource \`aws_athena_named_query.${c.id}_${name}\``, "rename one of the queries");
  }
}

/** The resolved view of a parquet sink's table, queries and (for stream input) Firehose stream. */
function lakeView(c: Component, ctx: PlanContext) {
  const files = sinkFiles(c);
  const partitions = files.partitions ?? [];
  const firehose = ctx.graph.flow.get(c.inputs[0]!) !== "files";
  // A Glue job's output type is its input's; without one, the pipeline's record contract.
  const input = ctx.graph.outputType.get(c.inputs[0]!) ?? ctx.model.record;
  const columns = Object.entries(input).map(([name, t]) => ({ name: hclString(name), type: GLUE_TYPE[t] }));
  if (firehose) columns.push({ name: hclString(RECORD_ID_COLUMN), type: "string" });
  const expire = c.config.expire_after_days as number | undefined;
  const prefix = files.prefix;
  if (!/^[a-z0-9_/-]*$/.test(prefix)) throw new Error(`unsafe prefix ${JSON.stringify(prefix)}`);
  // `$${dt}` stays a literal `${dt}` for Athena to fill in, not a Terraform interpolation.
  const location = hclTemplate("s3://", raw(`aws_s3_bucket.${c.id}.id`), `/${prefix}`);
  const template = `${location.slice(0, -1)}${partitions.map((p) => `${p}=$\${${p}}/`).join("")}"`;
  const parameters: Array<[string, string]> = [
    ["EXTERNAL", "TRUE"],
    ["classification", "parquet"],
    ["parquet.compression", "SNAPPY"],
  ];
  if (partitions.length) {
    parameters.push(
      ["projection.enabled", "true"],
      ["projection.dt.type", "date"],
      ["projection.dt.format", "yyyy-MM-dd"],
      // Back to the oldest day that can still hold objects, and a day ahead for clock skew.
      ["projection.dt.range", `NOW-${expire ?? DEFAULT_PROJECTION_DAYS}DAYS,NOW+1DAYS`],
      ["projection.dt.interval", "1"],
      ["projection.dt.interval.unit", "DAYS"],
    );
    if (partitions.includes("hr")) parameters.push(["projection.hr.type", "integer"], ["projection.hr.range", "0,23"], ["projection.hr.digits", "2"]);
  }
  const sorted = parameters.sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => ({ key: hclString(key), value: hclString(value) }));
  if (partitions.length) sorted.push({ key: hclString("storage.location.template"), value: template });
  const timeKey = (c.config.time_field as string | undefined) ?? ARRIVAL_KEY;
  const jq = `{${partitions.map((p) => `${p}: ${jqField(timeKey)}${p === "dt" ? "[0:10]" : "[11:13]"}`).join(", ")}}`;
  const buffering = (c.config.buffering as { seconds?: number; megabytes?: number } | undefined) ?? {};
  const bufferSeconds = buffering.seconds ?? 300;
  return {
    id: c.id,
    kebab: kebab(c.id),
    tag: hclString(c.id),
    table: {
      name: hclString(tableName(c)),
      description: hclString(`pipegen ${ctx.model.name}: sink ${c.id}, Parquet under ${prefix}${partitions.map((p) => (p === "dt" ? "dt=YYYY-MM-DD/" : "hr=HH/")).join("")} (UTC)`),
      location,
      parameters: sorted,
      partitions,
      columns,
    },
    queries: queriesOf(c).map(([name, sql]) => ({
      resource: `${c.id}_${name}`,
      name: hclString(name),
      description: hclString(`pipegen ${ctx.model.name}: saved query ${name} over table ${tableName(c)} of sink ${c.id}.`),
      query: hclString(sql),
    })),
    firehose: firehose
      ? {
          name: physicalName(c.id),
          roleName: physicalName(c.id, "-firehose"),
          roleDescription: hclString(`Lets Firehose deliver sink ${kebab(c.id)} of pipeline ${ctx.model.name} to S3 as Parquet.`),
          logGroup: hclTemplate("/aws/kinesisfirehose/", raw("local.name_prefix"), `-${kebab(c.id)}`),
          objectsArn: `"\${aws_s3_bucket.${c.id}.arn}/${prefix}*"`,
          prefix: hclString(`${prefix}${partitions.map((p) => `${p}=!{partitionKeyFromQuery:${p}}/`).join("")}`),
          // Under the table's prefix but outside every dt= partition, so Athena never reads them.
          errorPrefix: hclString(`${prefix}_errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`),
          jq: hclString(jq),
          partitionKeys: partitions.map((p) => `${p}=`).join(""),
          jqComment: c.config.time_field
            ? `Partition values are slices of ${String(c.config.time_field)}, which the writer sends as UTC ISO-8601 (2026-11-25T10:00:00.000Z).`
            : `Partition values are slices of the stream arrival time, which the writer adds as "${ARRIVAL_KEY}" (UTC ISO-8601).`,
          bufferSeconds,
          bufferMb: buffering.megabytes ?? 128,
          freshnessThreshold: bufferSeconds + 900,
          alarms: {
            conversion: physicalName(c.id, "-failed-conversions"),
            freshness: physicalName(c.id, "-delivery-freshness"),
          },
        }
      : false,
  };
}

/** `per_device` → `PerDevice`, for IAM statement ids (alphanumeric only). */
export function pascal(id: string): string {
  return id.split("_").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("");
}
