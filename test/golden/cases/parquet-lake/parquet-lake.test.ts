import { beforeAll, describe, expect, it } from "vitest";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { checkModule, formatViolations } from "../../../security/check-module.ts";
import { ofType, parseModule } from "../../../support/hcl.ts";
import { parseHclExpression, type HclValue } from "../../../security/hcl-expr.ts";
import { deriveDeployPolicy, deriveReadPolicy, policyActions, scanGenerated } from "../../../../src/delivery/deploy-policy/index.ts";
import type { PolicyDocument } from "../../../../src/delivery/deploy-policy/index.ts";

// What the parquet-lake golden modules MEAN (golden.test.ts checks their bytes): s3 sinks with
// `format: parquet`. clickstream: stream and window inputs delivered through Firehose (JSON →
// Parquet with the Glue table's schema, dynamic partitions from the record's time or its arrival).
// Both pipelines: a Glue table whose columns are the record contract, partition projection, an
// Athena workgroup that enforces encrypted results, named queries, least-privilege IAM.
const expected = join(import.meta.dirname, "expected");
const pipelines = join(import.meta.dirname, "pipelines");
const repo = join(import.meta.dirname, "../../../..");
// sales-batch is the repository's reference pipeline: its committed module is the golden.
const moduleDir = (name: string) => (name === "sales-batch" ? join(repo, "generated/sales-batch") : join(expected, name));
const specFile = (name: string) => (name === "sales-batch" ? join(repo, "pipelines/sales-batch.yaml") : join(pipelines, `${name}.yaml`));
type Resources = Map<string, Record<string, any>>;
const modules = new Map<string, { resources: Resources; raw: Record<string, any>[] }>();

beforeAll(async () => {
  for (const name of ["clickstream", "sales-batch"]) {
    if (!existsSync(moduleDir(name))) throw new Error(`${moduleDir(name)} is missing: run UPDATE_SNAPSHOTS=1 npx vitest run test/golden/golden.test.ts -t parquet-lake, or npx pipegen build`);
    modules.set(name, await parseModule(moduleDir(name)));
  }
});

const mod = (name: string) => modules.get(name)!;
const get = (name: string, addr: string) => {
  const r = mod(name).resources.get(addr);
  if (!r) throw new Error(`${name}: missing ${addr}`);
  return r;
};
const spec = (name: string) => parseYaml(readFileSync(specFile(name), "utf8")) as Record<string, any>;
const outputs = (name: string) => Object.assign({}, ...mod(name).raw.map((j) => j.output ?? {})) as Record<string, Array<{ value: string }>>;
/** The document of an `aws_iam_role_policy`/trust policy written as `jsonencode({...})`. */
const doc = (expr: string): { Statement: Array<Record<string, any>> } => {
  const m = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(expr);
  if (!m) throw new Error(`not jsonencode(...): ${expr.slice(0, 80)}`);
  return parseHclExpression(m[1]!) as { Statement: Array<Record<string, any>> };
};
const statements = (expr: string) => Object.fromEntries(doc(expr).Statement.map((s) => [s.Sid as string, { Action: s.Action as HclValue, Resource: s.Resource as HclValue }]));
/** Statements of a Lambda function's policy, from its HCL text (function.tf.hbs prints them one per line). */
const lambdaStatements = (name: string, fn: string) => statements(String(get(name, `aws_iam_role_policy.${fn}`).policy));
const GLUE_TYPE: Record<string, string> = { string: "string", number: "double", boolean: "boolean", timestamp: "timestamp" };
const columns = (t: Record<string, any>) => (t.storage_descriptor[0].columns as Array<{ name: string; type: string }>).map((c) => [c.name, c.type]);

describe("clickstream: parquet sinks fed by streams, through Firehose", () => {
  const M = "clickstream";

  it("passes every required rule of SECURITY-RULES.md, Athena (AVD-AWS-0006/0007) and Firehose (PIPE-010) included", async () => {
    const r = await checkModule(join(moduleDir(M)));
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
    expect(r.applied).toEqual(expect.arrayContaining(["AVD-AWS-0006", "AVD-AWS-0007", "PIPE-010", "PIPE-001", "PIPE-002", "AVD-AWS-0057"]));
  });

  it("the table's columns are the record contract in Glue types, plus the record id Firehose rows carry", () => {
    const record = spec(M).record as Record<string, string>;
    const t = get(M, "aws_glue_catalog_table.page_views");
    expect(t.name).toBe("page_views");
    expect(t.database_name).toBe("${aws_glue_catalog_database.this.name}");
    expect(t.table_type).toBe("EXTERNAL_TABLE");
    const want = Object.keys(record).sort().map((f) => [f, GLUE_TYPE[record[f]!]]);
    expect(columns(t)).toEqual([...want, ["pipegen_record_id", "string"]]);
    expect(t.partition_keys).toEqual([{ name: "dt", type: "string" }, { name: "hr", type: "string" }]);
    const sd = t.storage_descriptor[0];
    expect(sd.location).toBe("s3://${aws_s3_bucket.page_views.id}/views/");
    expect([sd.input_format, sd.output_format, sd.ser_de_info[0].serialization_library]).toEqual([
      "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
      "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
      "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    ]);
    // The window table's columns are what the aggregate emits.
    expect(columns(get(M, "aws_glue_catalog_table.page_minutes"))).toEqual([
      ["average_duration_ms", "double"], ["page", "string"], ["views", "double"], ["window_end", "timestamp"], ["window_start", "timestamp"], ["pipegen_record_id", "string"],
    ]);
  });

  it("partition projection makes the table queryable without a crawler: dt as a date range, hr as 00-23, the key template", () => {
    const p = get(M, "aws_glue_catalog_table.page_views").parameters as Record<string, string>;
    expect(p).toMatchObject({
      "projection.enabled": "true",
      "projection.dt.type": "date",
      "projection.dt.format": "yyyy-MM-dd",
      // Back to the lifecycle's expiry (90 days), and a day ahead for clock skew.
      "projection.dt.range": "NOW-90DAYS,NOW+1DAYS",
      "projection.hr.type": "integer",
      "projection.hr.range": "0,23",
      "projection.hr.digits": "2",
      classification: "parquet",
    });
    // `$${dt}` in HCL is the literal `${dt}` Athena substitutes.
    expect(p["storage.location.template"]).toBe("s3://${aws_s3_bucket.page_views.id}/views/dt=$${dt}/hr=$${hr}/");
    const q = get(M, "aws_glue_catalog_table.page_minutes");
    expect(q.partition_keys).toEqual([{ name: "dt", type: "string" }]);
    expect(q.parameters["projection.dt.range"]).toBe("NOW-1825DAYS,NOW+1DAYS");
    expect(q.parameters["projection.hr.type"]).toBeUndefined();
  });

  it("one database and one workgroup for all parquet sinks; the workgroup enforces SSE_KMS results in its own bucket and a scan limit", () => {
    expect(ofType(mod(M).resources, "aws_glue_catalog_database").map(([k]) => k)).toEqual(["aws_glue_catalog_database.this"]);
    expect(get(M, "aws_glue_catalog_database.this").name).toBe('${replace(local.name_prefix, "-", "_")}');
    expect(ofType(mod(M).resources, "aws_athena_workgroup").map(([k]) => k)).toEqual(["aws_athena_workgroup.this"]);
    const w = get(M, "aws_athena_workgroup.this");
    expect(w.name).toBe("${local.name_prefix}");
    expect(w.force_destroy).toBe("${var.ephemeral}");
    const c = w.configuration[0];
    expect(c.enforce_workgroup_configuration).toBe(true);
    expect(c.publish_cloudwatch_metrics_enabled).toBe(true);
    expect(c.bytes_scanned_cutoff_per_query).toBe(10 * 1024 ** 3);
    expect(c.result_configuration[0].output_location).toBe("s3://${aws_s3_bucket.query_results.id}/");
    expect(c.result_configuration[0].encryption_configuration).toEqual([{ encryption_option: "SSE_KMS", kms_key_arn: "${aws_kms_key.this.arn}" }]);
    // The results bucket is hardened like a data bucket, and forgets results after a week.
    expect(get(M, "aws_s3_bucket_server_side_encryption_configuration.query_results").rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id).toBe("${aws_kms_key.this.arn}");
    expect(get(M, "aws_s3_bucket_lifecycle_configuration.query_results").rule[0].expiration).toEqual([{ days: 7 }]);
    expect(get(M, "aws_s3_bucket_logging.query_results").target_bucket).toBe("${aws_s3_bucket.access_logs.id}");
  });

  it("saved queries become named queries in the workgroup and database, with the spec's SQL byte for byte", () => {
    const queries = spec(M).sinks.page_views.queries as Record<string, string>;
    const named = ofType(mod(M).resources, "aws_athena_named_query");
    expect(named.map(([k]) => k).sort()).toEqual(["aws_athena_named_query.page_views_deduplicated", "aws_athena_named_query.page_views_top_pages"]);
    for (const [name, sql] of Object.entries(queries)) {
      const q = get(M, `aws_athena_named_query.page_views_${name}`);
      expect([q.name, q.query, q.workgroup, q.database]).toEqual([name, sql, "${aws_athena_workgroup.this.id}", "${aws_glue_catalog_database.this.name}"]);
    }
  });

  it("Firehose: Direct PUT encrypted with the pipeline key, SSE-KMS objects under the sink's prefix, Parquet with the table's schema", () => {
    const f = get(M, "aws_kinesis_firehose_delivery_stream.page_views");
    expect(f.name).toBe("${local.name_prefix}-page-views");
    expect(f.kinesis_source_configuration).toBeUndefined();
    expect(f.server_side_encryption).toEqual([{ enabled: true, key_type: "CUSTOMER_MANAGED_CMK", key_arn: "${aws_kms_key.this.arn}" }]);
    const s3 = f.extended_s3_configuration[0];
    expect([s3.bucket_arn, s3.kms_key_arn, s3.role_arn]).toEqual(["${aws_s3_bucket.page_views.arn}", "${aws_kms_key.this.arn}", "${aws_iam_role.page_views_firehose.arn}"]);
    expect(s3.prefix).toBe("views/dt=!{partitionKeyFromQuery:dt}/hr=!{partitionKeyFromQuery:hr}/");
    expect(s3.error_output_prefix).toMatch(/^views\/_errors\/!\{firehose:error-output-type\}\//);
    expect([s3.buffering_size, s3.buffering_interval, s3.compression_format]).toEqual([64, 120, "UNCOMPRESSED"]);
    expect(s3.dynamic_partitioning_configuration).toEqual([{ enabled: true, retry_duration: 300 }]);
    const processor = s3.processing_configuration[0].processors[0];
    expect(processor.type).toBe("MetadataExtraction");
    expect(Object.fromEntries(processor.parameters.map((p: any) => [p.parameter_name, p.parameter_value]))).toEqual({
      JsonParsingEngine: "JQ-1.6",
      MetadataExtractionQuery: "{dt: .viewed_at[0:10], hr: .viewed_at[11:13]}",
    });
    const conv = s3.data_format_conversion_configuration[0];
    expect(conv.enabled).toBe(true);
    expect(Object.keys(conv.input_format_configuration[0].deserializer[0])).toEqual(["open_x_json_ser_de"]);
    expect(conv.output_format_configuration[0].serializer[0].parquet_ser_de).toEqual([{ compression: "SNAPPY" }]);
    expect(conv.schema_configuration[0]).toEqual({
      catalog_id: "${local.account_id}",
      database_name: "${aws_glue_catalog_database.this.name}",
      table_name: "${aws_glue_catalog_table.page_views.name}",
      region: "${var.region}",
      role_arn: "${aws_iam_role.page_views_firehose.arn}",
      version_id: "LATEST",
    });
    // Delivery errors are logged to a group of the module, with retention and the pipeline key.
    expect(s3.cloudwatch_logging_options[0]).toEqual({ enabled: true, log_group_name: "${aws_cloudwatch_log_group.page_views_firehose.name}", log_stream_name: "${aws_cloudwatch_log_stream.page_views_firehose.name}" });
    const lg = get(M, "aws_cloudwatch_log_group.page_views_firehose");
    expect([lg.name, lg.retention_in_days, lg.kms_key_id]).toEqual(["/aws/kinesisfirehose/${local.name_prefix}-page-views", "${var.log_retention_days}", "${aws_kms_key.this.arn}"]);
    // Without a time_field the window sink partitions by the arrival time the writer adds.
    const pm = get(M, "aws_kinesis_firehose_delivery_stream.page_minutes").extended_s3_configuration[0];
    expect(pm.prefix).toBe("page_minutes/dt=!{partitionKeyFromQuery:dt}/");
    expect(pm.processing_configuration[0].processors[0].parameters.find((p: any) => p.parameter_name === "MetadataExtractionQuery").parameter_value).toBe('{dt: .["pipegen-arrival"][0:10]}');
    expect([pm.buffering_size, pm.buffering_interval]).toEqual([128, 300]);
  });

  it("Firehose has a role of its own, trusted by firehose.amazonaws.com only, allowed the sink's prefix, the table's schema, the key and its log group", () => {
    const trust = doc(String(get(M, "aws_iam_role.page_views_firehose").assume_role_policy)).Statement;
    expect(trust).toEqual([{ Sid: "FirehoseAssumeRole", Effect: "Allow", Principal: { Service: "firehose.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": "${local.account_id}" } } }]);
    expect(statements(String(get(M, "aws_iam_role_policy.page_views_firehose").policy))).toEqual({
      LocateBucket: { Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], Resource: ["${aws_s3_bucket.page_views.arn}"] },
      WriteObjects: { Action: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"], Resource: ["${aws_s3_bucket.page_views.arn}/views/*"] },
      ReadTableSchema: {
        Action: ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
        Resource: ["arn:${local.partition}:glue:${var.region}:${local.account_id}:catalog", "${aws_glue_catalog_database.this.arn}", "${aws_glue_catalog_table.page_views.arn}"],
      },
      UsePipelineKey: { Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: ["${aws_kms_key.this.arn}"] },
      WriteDeliveryLogs: { Action: ["logs:PutLogEvents"], Resource: ["${aws_cloudwatch_log_group.page_views_firehose.arn}:*"] },
    });
  });

  it("the consuming functions may put records to their delivery stream only, and write no objects themselves", () => {
    for (const [fn, sink] of [["page_views", "page_views"], ["per_page", "page_minutes"]] as const) {
      const st = lambdaStatements(M, fn);
      const pascal = sink.split("_").map((p) => p[0]!.toUpperCase() + p.slice(1)).join("");
      expect(st[`PutRecords${pascal}`]).toEqual({ Action: ["firehose:PutRecordBatch"], Resource: [`\${aws_kinesis_firehose_delivery_stream.${sink}.arn}`] });
      expect(Object.values(st).flatMap((s) => s.Action as string[]).filter((a) => a.startsWith("s3:") || a.startsWith("firehose:"))).toEqual(["firehose:PutRecordBatch"]);
      const env = get(M, `aws_lambda_function.${fn}`).environment[0].variables;
      expect(env[`PIPEGEN_DELIVERY_STREAM_${sink.toUpperCase()}`]).toBe(`\${aws_kinesis_firehose_delivery_stream.${sink}.name}`);
    }
    const handler = readFileSync(join(moduleDir(M), "handlers/page_views.ts"), "utf8");
    expect(handler).toContain('firehoseSink({"name":"page_views","streamEnv":"PIPEGEN_DELIVERY_STREAM_PAGE_VIEWS","timeField":"viewed_at","timestamps":["viewed_at"]})');
    expect(handler).not.toContain("s3Sink(");
  });

  it("alarms on records Firehose cannot convert and on stale delivery; outputs name the database, workgroup, tables and streams once", () => {
    const a = get(M, "aws_cloudwatch_metric_alarm.page_views_failed_conversions");
    expect([a.namespace, a.metric_name, a.dimensions, a.alarm_actions]).toEqual(["AWS/Firehose", "FailedConversion.Records", { DeliveryStreamName: "${aws_kinesis_firehose_delivery_stream.page_views.name}" }, ["${aws_sns_topic.alarms.arn}"]]);
    expect(get(M, "aws_cloudwatch_metric_alarm.page_views_delivery_freshness").threshold).toBe(120 + 900);
    const o = outputs(M);
    expect(o.glue_database_name![0]!.value).toBe("${aws_glue_catalog_database.this.name}");
    expect(o.athena_workgroup_name![0]!.value).toBe("${aws_athena_workgroup.this.name}");
    expect(o.page_views_glue_table_name![0]!.value).toBe("${aws_glue_catalog_table.page_views.name}");
    expect(o.page_minutes_delivery_stream_name![0]!.value).toBe("${aws_kinesis_firehose_delivery_stream.page_minutes.name}");
    const text = readFileSync(join(moduleDir(M), "outputs.tf"), "utf8");
    expect(text.match(/output "glue_database_name"/g)).toHaveLength(1);
  });
});

describe("sales-batch: a parquet sink written by a Glue job", () => {
  const M = "sales-batch";

  it("the table's columns are the CSV record contract; no Firehose, no function, no record id column", () => {
    const record = spec(M).record as Record<string, string>;
    const t = get(M, "aws_glue_catalog_table.sales");
    expect(columns(t)).toEqual(Object.keys(record).sort().map((f) => [f, GLUE_TYPE[record[f]!]]));
    expect(t.partition_keys).toEqual([{ name: "dt", type: "string" }]);
    expect(t.parameters["storage.location.template"]).toBe("s3://${aws_s3_bucket.sales.id}/sales/dt=$${dt}/");
    expect(ofType(mod(M).resources, "aws_kinesis_firehose_delivery_stream")).toEqual([]);
    expect(mod(M).resources.has("aws_lambda_function.sales")).toBe(false);
    const q = get(M, "aws_athena_named_query.sales_daily_totals");
    expect(q.query).toBe(spec(M).sinks.sales.queries.daily_totals);
  });

  it("the Glue job writes where the table reads: the sink's prefix, partitioned by dt from sold_at", () => {
    const args = get(M, "aws_glue_job.clean").default_arguments as Record<string, string>;
    expect(args["--output_path"]).toBe(get(M, "aws_glue_catalog_table.sales").storage_descriptor[0].location);
    expect([args["--partition_by"], args["--time_field"]]).toEqual(["dt", "sold_at"]);
  });

  it("passes every required rule of SECURITY-RULES.md", async () => {
    const r = await checkModule(join(moduleDir(M)));
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
  });
});

describe("deploy policy of the parquet-lake modules", () => {
  /** IAM-style glob match, as in test/delivery/deploy-policy.test.ts. */
  const glob = (pattern: string, value: string): boolean =>
    new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))).join("")}$`).test(value);
  const allows = (doc: PolicyDocument, action: string, arn: string): boolean => doc.Statement.some((s) => s.Action.includes(action) && s.Resource.some((r) => glob(r, arn)));
  const P = "${partition}";
  const A = "${account}";
  const R = "us-east-1";

  it("covers the provider's calls on the catalog, workgroup, named queries and Firehose, scoped to the pipeline", async () => {
    // Only the clickstream module: the sales-batch module's Glue job and state machine rows belong to their kinds' tests.
    const root = mkdtempSync(join(tmpdir(), "pipegen-parquet-policy-"));
    cpSync(join(expected, "clickstream"), join(root, "clickstream"), { recursive: true });
    const scanned = await scanGenerated(root, "expected");
    rmSync(root, { recursive: true, force: true });
    const policy = deriveDeployPolicy(scanned);
    const glue = (rest: string) => `arn:${P}:glue:${R}:${A}:${rest}`;
    for (const a of ["glue:CreateDatabase", "glue:GetDatabase", "glue:DeleteDatabase", "glue:CreateTable", "glue:GetTable", "glue:UpdateTable", "glue:DeleteTable", "glue:GetPartitionIndexes"]) {
      expect(allows(policy, a, glue("catalog")), a).toBe(true);
      expect(allows(policy, a, glue("database/clickstream_dev")), a).toBe(true);
      expect(allows(policy, a, glue("table/clickstream_dev/page_views")), a).toBe(true);
    }
    expect(allows(policy, "glue:DeleteTable", glue("table/payments_dev/page_views"))).toBe(false);
    const wg = `arn:${P}:athena:${R}:${A}:workgroup/clickstream-dev`;
    for (const a of ["athena:CreateWorkGroup", "athena:GetWorkGroup", "athena:DeleteWorkGroup", "athena:CreateNamedQuery", "athena:GetNamedQuery", "athena:DeleteNamedQuery"]) expect(allows(policy, a, wg), a).toBe(true);
    expect(allows(policy, "athena:DeleteWorkGroup", `arn:${P}:athena:${R}:${A}:workgroup/primary`)).toBe(false);
    const fh = `arn:${P}:firehose:${R}:${A}:deliverystream/clickstream-dev-page-views`;
    for (const a of ["firehose:CreateDeliveryStream", "firehose:DescribeDeliveryStream", "firehose:UpdateDestination", "firehose:DeleteDeliveryStream"]) expect(allows(policy, a, fh), a).toBe(true);
    const pass = policy.Statement.find((s) => s.Sid === "IamPassRoleToFirehose")!;
    expect(pass.Condition).toEqual({ StringEquals: { "iam:PassedToService": ["firehose.amazonaws.com"] } });
    expect(allows(policy, "logs:CreateLogGroup", `arn:${P}:logs:${R}:${A}:log-group:/aws/kinesisfirehose/clickstream-dev-page-views`)).toBe(true);
    const read = policyActions(deriveReadPolicy(scanned));
    expect(read).toEqual(expect.arrayContaining(["athena:GetNamedQuery", "athena:GetWorkGroup", "firehose:DescribeDeliveryStream", "glue:GetPartitionIndexes", "glue:GetTable"]));
    expect(read).not.toContain("firehose:CreateDeliveryStream");
  });
});
