import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { analyze } from "../../src/compile/compile.ts";
import type { PlanContext } from "../../src/plan/context.ts";
import { dashboardBody, planDashboard, type DashboardWidget, type MetricWidget } from "../../src/plan/dashboard.ts";
import { parseModule } from "../support/hcl.ts";

// The CloudWatch dashboard of a pipeline: planned as data, printed as jsonencode(...) HCL whose
// metric dimensions are references to the module's own resources.
const repo = join(import.meta.dirname, "../..");

function contextOf(file: string): PlanContext {
  const a = analyze(file, readFileSync(join(repo, file), "utf8"));
  expect(a.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { model: a.model!, graph: a.graph!, userCodeImport: () => "" };
}

/** The jsonencode(...) argument of a dashboard.tf, parsed back as data; references come back as "${...}" strings. */
async function bodyOf(tf: string): Promise<{ widgets: Array<Record<string, any>> }> {
  const start = tf.indexOf("jsonencode(") + "jsonencode(".length;
  const end = tf.lastIndexOf(")");
  const json = (await parse("body.tf", `locals {\n  body = ${tf.slice(start, end)}\n}\n`)) as { locals: Array<{ body: { widgets: Array<Record<string, any>> } }> };
  return json.locals[0]!.body;
}

const metricWidget = (ws: DashboardWidget[], title: string): MetricWidget => {
  const w = ws.find((x) => x.type === "metric" && x.title.startsWith(title));
  if (!w || w.type !== "metric") throw new Error(`no widget ${title}: ${ws.map((x) => x.title).join(" | ")}`);
  return w;
};
const refs = (w: MetricWidget) => w.metrics.map((m) => m.ref);

describe("dashboard of the reference pipeline (planned data)", () => {
  let widgets: DashboardWidget[];
  beforeAll(() => {
    widgets = planDashboard(contextOf("pipelines/temperature.yaml"));
  });

  it("shows invocations, errors, throttles and duration of every function", () => {
    const fns = ["lake", "per_device", "simulator", "temperature_api"];
    for (const [title, metric, stat] of [["Lambda invocations", "Invocations", "Sum"], ["Lambda errors", "Errors", "Sum"], ["Lambda throttles", "Throttles", "Sum"], ["Lambda duration", "Duration", "p99"]] as const) {
      const w = metricWidget(widgets, title);
      expect(w.stat).toBe(stat);
      expect(w.metrics.map((m) => [m.namespace, m.metric, m.dimension, m.label])).toEqual(fns.map((f) => ["AWS/Lambda", metric, "FunctionName", f]));
      expect(refs(w)).toEqual(fns.map((f) => `aws_lambda_function.${f}.function_name`));
    }
  });

  it("shows the iterator age of the stream functions only, and the depth of every dead-letter queue", () => {
    expect(refs(metricWidget(widgets, "Iterator age"))).toEqual(["aws_lambda_function.lake.function_name", "aws_lambda_function.per_device.function_name"]);
    const dlq = metricWidget(widgets, "Dead-letter queue depth");
    expect(dlq.metrics.map((m) => [m.namespace, m.metric, m.dimension, m.ref])).toEqual(
      ["lake", "per_device", "simulator", "temperature_api"].map((f) => ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", `aws_sqs_queue.${f}_dlq.name`]),
    );
  });

  it("shows stream ingest, table writes, and 4xx/5xx/latency of the HTTP API by ApiId", () => {
    expect(metricWidget(widgets, "Kinesis incoming records").metrics).toEqual([{ namespace: "AWS/Kinesis", metric: "IncomingRecords", dimension: "StreamName", ref: "aws_kinesis_stream.readings.name", label: "readings" }]);
    expect(metricWidget(widgets, "DynamoDB consumed write capacity").metrics).toEqual([{ namespace: "AWS/DynamoDB", metric: "ConsumedWriteCapacityUnits", dimension: "TableName", ref: "aws_dynamodb_table.averages.name", label: "averages" }]);
    const errors = metricWidget(widgets, "HTTP API temperature_api: requests");
    expect(errors.metrics.map((m) => [m.namespace, m.metric, m.dimension, m.ref])).toEqual(
      ["Count", "4xx", "5xx"].map((metric) => ["AWS/ApiGateway", metric, "ApiId", "aws_apigatewayv2_api.temperature_api.id"]),
    );
    const latency = metricWidget(widgets, "HTTP API temperature_api: latency");
    expect(latency.metrics.map((m) => [m.metric, m.stat ?? latency.stat])).toEqual([["Latency", "p50"], ["Latency", "p99"]]);
  });

  it("leaves out widgets with nothing to show (no SNS topic in this pipeline)", () => {
    expect(widgets.some((w) => w.title.startsWith("SNS"))).toBe(false);
    expect(widgets.every((w) => w.type === "text" || w.metrics.length > 0)).toBe(true);
  });

  it("is deterministic", () => {
    const again = planDashboard(contextOf("pipelines/temperature.yaml"));
    expect(again).toEqual(widgets);
    expect(dashboardBody(again)).toBe(dashboardBody(widgets));
  });
});

describe("generated/temperature/dashboard.tf", () => {
  const dir = join(repo, "generated/temperature");
  const tf = readFileSync(join(dir, "dashboard.tf"), "utf8");
  let resources: Map<string, Record<string, any>>;
  let body: { widgets: Array<Record<string, any>> };
  beforeAll(async () => {
    ({ resources } = await parseModule(dir));
    body = await bodyOf(tf);
  });

  it("is one aws_cloudwatch_dashboard named after the pipeline and environment", () => {
    const dashboards = [...resources.keys()].filter((k) => k.startsWith("aws_cloudwatch_dashboard."));
    expect(dashboards).toEqual(["aws_cloudwatch_dashboard.this"]);
    const d = resources.get("aws_cloudwatch_dashboard.this")!;
    expect(d.dashboard_name).toBe("${local.name_prefix}");
    expect(d.dashboard_body).toMatch(/^\$\{jsonencode\(\{/);
  });

  it("every metric dimension is a reference to a resource of the module, in the module's region", () => {
    const metrics = body.widgets.filter((w) => w.type === "metric").flatMap((w) => w.properties.metrics as unknown[][]);
    expect(metrics.length).toBeGreaterThan(15);
    for (const m of metrics) {
      const ref = /^\$\{(aws_\w+)\.(\w+)\.(\w+)\}$/.exec(m[3] as string);
      expect(ref, String(m[3])).not.toBeNull();
      expect(resources.has(`${ref![1]}.${ref![2]}`), `${m[3]} names no resource of the module`).toBe(true);
    }
    const queues = metrics.filter((m) => m[0] === "AWS/SQS").map((m) => m[3]);
    expect(queues).toEqual(["lake", "per_device", "simulator", "temperature_api"].map((f) => `\${aws_sqs_queue.${f}_dlq.name}`));
    for (const w of body.widgets.filter((x) => x.type === "metric")) expect(w.properties.region).toBe("${var.region}");
  });

  it("lays the widgets out on CloudWatch's 24-column grid without overlaps", () => {
    const cells = new Set<string>();
    for (const w of body.widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`), `overlap at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
    expect(body.widgets[0]!.type).toBe("text");
    expect(body.widgets[0]!.properties.markdown).toContain("var.environment");
  });
});

describe("dashboard of the events golden case (sns and eventbridge sinks)", () => {
  it("adds the topic's published and failed deliveries, and the iterator age of all three stream functions", () => {
    const widgets = planDashboard(contextOf("test/golden/cases/events/pipelines/events.yaml"));
    expect(metricWidget(widgets, "SNS").metrics.map((m) => [m.metric, m.ref])).toEqual([
      ["NumberOfMessagesPublished", "aws_sns_topic.order_topic.name"],
      ["NumberOfNotificationsFailed", "aws_sns_topic.order_topic.name"],
    ]);
    expect(refs(metricWidget(widgets, "Iterator age"))).toEqual(["order_bus", "order_topic", "per_store"].map((f) => `aws_lambda_function.${f}.function_name`));
    expect(widgets.some((w) => w.title.startsWith("DynamoDB") || w.title.startsWith("HTTP API"))).toBe(false);
  });
});

/** A PlanContext for an inline spec (a file name only for diagnostics). */
function contextOfText(yaml: string): PlanContext {
  const a = analyze("pipelines/inline.yaml", yaml);
  expect(a.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { model: a.model!, graph: a.graph!, userCodeImport: () => "" };
}

describe("dashboard of a pipeline with batch runs (the orchestration golden case)", () => {
  const file = "test/golden/cases/orchestration/pipelines/orchestration.yaml";
  let widgets: DashboardWidget[];
  beforeAll(() => {
    widgets = planDashboard(contextOf(file));
  });

  it("shows started, succeeded, failed and timed-out executions and the run duration of each batch state machine, by ARN", () => {
    const runs = metricWidget(widgets, "Batch runs: executions");
    expect(runs.stat).toBe("Sum");
    expect(runs.metrics.map((m) => [m.namespace, m.metric, m.dimension, m.ref])).toEqual(
      ["drops", "returns"].flatMap((s) =>
        ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"].map((metric) => ["AWS/States", metric, "StateMachineArn", `aws_sfn_state_machine.${s}_run.arn`]),
      ),
    );
    expect(metricWidget(widgets, "Batch run duration").metrics.map((m) => [m.metric, m.ref, m.stat ?? "Maximum"])).toEqual([
      ["ExecutionTime", "aws_sfn_state_machine.drops_run.arn", "Maximum"],
      ["ExecutionTime", "aws_sfn_state_machine.returns_run.arn", "Maximum"],
    ]);
  });

  it("shows Glue's job metrics (namespace Glue, aggregated over all runs: JobRunId ALL, Type count) for every job", () => {
    const jobs = ["audit", "clean", "refunds"];
    for (const [title, metrics] of [
      ["Glue job run time", ["glue.driver.aggregate.elapsedTime"]],
      ["Glue job tasks completed and failed", ["glue.driver.aggregate.numCompletedTasks", "glue.driver.aggregate.numFailedTasks"]],
      ["Glue job records read", ["glue.driver.aggregate.recordsRead"]],
    ] as const) {
      const w = metricWidget(widgets, title);
      expect(w.metrics.map((m) => [m.namespace, m.metric, m.dimension, m.ref, m.extra])).toEqual(
        jobs.flatMap((j) => metrics.map((metric) => ["Glue", metric, "JobName", `aws_glue_job.${j}.name`, [{ name: "JobRunId", value: "ALL" }, { name: "Type", value: "count" }]])),
      );
    }
  });

  it("adds the schedules' dead-letter queues to the queue-depth widget, and names the runs in the header; no Lambda widgets without functions", () => {
    expect(metricWidget(widgets, "Dead-letter queue depth").metrics.map((m) => m.ref)).toEqual(["aws_sqs_queue.drops_schedule_dlq.name", "aws_sqs_queue.returns_schedule_dlq.name"]);
    const text = widgets[0]!;
    expect(text.type === "text" && text.lines).toEqual([
      "Hourly order and return drops turned into Parquet tables by Glue jobs",
      "Alarms go to the pipeline's SNS topic `alarms`.",
      "Batch runs: drops (rate(1 hour): audit, clean); returns (cron(30 4 * * ? *): refunds). A failed run notifies the alarm topic with the failed job and its error; list runs with `aws stepfunctions list-executions`.",
    ]);
    expect(widgets.some((w) => w.title.startsWith("Lambda") || w.title.startsWith("Firehose") || w.title.startsWith("OpenSearch"))).toBe(false);
  });

  it("prints the extra dimensions after the first, literal or referenced, in CloudWatch's metric-row order", async () => {
    const tf = `resource "x" "y" {\n  b = ${dashboardBody(widgets)}\n}\n`;
    const body = await bodyOf(tf);
    const rows = body.widgets.filter((w) => w.type === "metric").flatMap((w) => w.properties.metrics as unknown[][]);
    expect(rows).toContainEqual(["Glue", "glue.driver.aggregate.elapsedTime", "JobName", "${aws_glue_job.clean.name}", "JobRunId", "ALL", "Type", "count", { label: "clean" }]);
    expect(rows).toContainEqual(["AWS/States", "ExecutionsFailed", "StateMachineArn", "${aws_sfn_state_machine.drops_run.arn}", { label: "drops failed" }]);
  });
});

describe("dashboard of Firehose-fed parquet sinks and OpenSearch sinks", () => {
  const widgets = () =>
    planDashboard(
      contextOfText(`pipeline: shop
record: { order_id: string, store: string, amount: number, sold_at: timestamp }
sources:
  orders: { type: kinesis }
sinks:
  lake: { type: s3, inputs: [orders], format: parquet, time_field: sold_at }
  raw: { type: s3, inputs: [orders] }
  search: { type: opensearch, inputs: [orders], index: orders, id_field: order_id }
`),
    );

  it("shows Firehose delivery success and data freshness for parquet sinks fed by a stream only", () => {
    const ws = widgets();
    expect(metricWidget(ws, "Firehose delivery to S3").metrics).toEqual([
      { namespace: "AWS/Firehose", metric: "DeliveryToS3.Success", dimension: "DeliveryStreamName", ref: "aws_kinesis_firehose_delivery_stream.lake.name", label: "lake" },
    ]);
    expect(metricWidget(ws, "Firehose delivery to S3").stat).toBe("Average");
    expect(metricWidget(ws, "Firehose data freshness").metrics.map((m) => [m.metric, m.ref])).toEqual([["DeliveryToS3.DataFreshness", "aws_kinesis_firehose_delivery_stream.lake.name"]]);
  });

  it("shows OpenSearch red cluster status and free storage by domain name and account (ClientId)", () => {
    const ws = widgets();
    for (const [title, metric, stat] of [
      ["OpenSearch cluster status red", "ClusterStatus.red", "Maximum"],
      ["OpenSearch free storage space", "FreeStorageSpace", "Minimum"],
    ] as const) {
      const w = metricWidget(ws, title);
      expect(w.stat).toBe(stat);
      expect(w.metrics).toEqual([
        { namespace: "AWS/ES", metric, dimension: "DomainName", ref: "aws_opensearch_domain.search.domain_name", label: "search", extra: [{ name: "ClientId", value: "local.account_id", ref: true }] },
      ]);
    }
    expect(dashboardBody(ws)).toContain('["AWS/ES", "ClusterStatus.red", "DomainName", aws_opensearch_domain.search.domain_name, "ClientId", local.account_id, { label = "search" }]');
  });
});
