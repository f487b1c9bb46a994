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
