/**
 * The pipeline's CloudWatch dashboard (`dashboard.tf`): one aws_cloudwatch_dashboard whose body is
 * planned here as data from the function units and components, then printed as an HCL
 * `jsonencode(...)` argument so metric dimensions are Terraform references, not copied names.
 * Pure and deterministic: widgets in a fixed order, metrics sorted by component id.
 */
import type { PlanContext } from "./context.ts";
import { planFunctionUnits } from "./functions.ts";
import { render, sharedTemplate } from "../emit/templates.ts";
import { hclKey, hclString, raw, Raw } from "../emit/hcl-literal.ts";

/** One line of a metric widget: a metric with one dimension whose value is an HCL reference. */
export interface DashboardMetric {
  namespace: string;
  metric: string;
  dimension: string;
  /** Terraform reference to the dimension value, e.g. `aws_lambda_function.lake.function_name`. */
  ref: string;
  label: string;
  /** Overrides the widget's statistic for this line. */
  stat?: string;
}

export interface MetricWidget {
  type: "metric";
  title: string;
  stat: string;
  metrics: DashboardMetric[];
}

export interface TextWidget {
  type: "text";
  /** Markdown; the environment name is appended to the first line when rendered. */
  title: string;
  lines: string[];
}

export type DashboardWidget = MetricWidget | TextWidget;

/** Every metric widget spans half the 24-column grid; CloudWatch's default height is 6. */
const WIDTH = 12;
const HEIGHT = 6;
const PERIOD = 300;

const byId = <T extends { id: string }>(xs: T[]): T[] => [...xs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The dashboard's widgets, top to bottom; widgets with nothing to show are left out. */
export function planDashboard(ctx: PlanContext): DashboardWidget[] {
  const { model } = ctx;
  const units = byId(planFunctionUnits(ctx));
  const streamUnits = units.filter((u) => u.trigger === "stream");
  const ofType = (type: string) => byId(model.components.filter((c) => c.type === type));
  const fn = (metric: string, stat?: string) =>
    units.map((u) => ({ namespace: "AWS/Lambda", metric, dimension: "FunctionName", ref: `aws_lambda_function.${u.id}.function_name`, label: u.id, ...(stat ? { stat } : {}) }));

  const widgets: DashboardWidget[] = [
    {
      type: "text",
      title: `Pipeline ${model.name}`,
      lines: [
        ...(model.description ? [model.description] : []),
        `Functions: ${units.map((u) => u.id).join(", ")}. Alarms go to the pipeline's SNS topic \`alarms\`; failed records are parked in each function's dead-letter queue.`,
      ],
    },
    { type: "metric", title: "Lambda invocations", stat: "Sum", metrics: fn("Invocations") },
    { type: "metric", title: "Lambda errors", stat: "Sum", metrics: fn("Errors") },
    { type: "metric", title: "Lambda throttles", stat: "Sum", metrics: fn("Throttles") },
    { type: "metric", title: "Lambda duration (p99, ms)", stat: "p99", metrics: fn("Duration") },
    {
      type: "metric",
      title: "Iterator age of stream functions (max, ms)",
      stat: "Maximum",
      metrics: streamUnits.map((u) => ({ namespace: "AWS/Lambda", metric: "IteratorAge", dimension: "FunctionName", ref: `aws_lambda_function.${u.id}.function_name`, label: u.id })),
    },
    {
      type: "metric",
      title: "Dead-letter queue depth (messages visible)",
      stat: "Maximum",
      metrics: units.map((u) => ({ namespace: "AWS/SQS", metric: "ApproximateNumberOfMessagesVisible", dimension: "QueueName", ref: `aws_sqs_queue.${u.id}_dlq.name`, label: `${u.id}_dlq` })),
    },
    {
      type: "metric",
      title: "Kinesis incoming records",
      stat: "Sum",
      metrics: ofType("kinesis").map((c) => ({ namespace: "AWS/Kinesis", metric: "IncomingRecords", dimension: "StreamName", ref: `aws_kinesis_stream.${c.id}.name`, label: c.id })),
    },
    {
      type: "metric",
      title: "DynamoDB consumed write capacity units",
      stat: "Sum",
      metrics: ofType("dynamodb").map((c) => ({ namespace: "AWS/DynamoDB", metric: "ConsumedWriteCapacityUnits", dimension: "TableName", ref: `aws_dynamodb_table.${c.id}.name`, label: c.id })),
    },
    {
      type: "metric",
      title: "SNS messages published and deliveries failed",
      stat: "Sum",
      metrics: ofType("sns").flatMap((c) => [
        { namespace: "AWS/SNS", metric: "NumberOfMessagesPublished", dimension: "TopicName", ref: `aws_sns_topic.${c.id}.name`, label: `${c.id} published` },
        { namespace: "AWS/SNS", metric: "NumberOfNotificationsFailed", dimension: "TopicName", ref: `aws_sns_topic.${c.id}.name`, label: `${c.id} failed` },
      ]),
    },
  ];
  for (const api of byId(model.components.filter((c) => c.category === "serve" && c.type === "http_api"))) {
    const m = (metric: string, label: string, stat?: string): DashboardMetric => ({ namespace: "AWS/ApiGateway", metric, dimension: "ApiId", ref: `aws_apigatewayv2_api.${api.id}.id`, label, ...(stat ? { stat } : {}) });
    widgets.push(
      { type: "metric", title: `HTTP API ${api.id}: requests, 4xx and 5xx`, stat: "Sum", metrics: [m("Count", "requests"), m("4xx", "4xx"), m("5xx", "5xx")] },
      { type: "metric", title: `HTTP API ${api.id}: latency (ms)`, stat: "p99", metrics: [m("Latency", "p50", "p50"), m("Latency", "p99")] },
    );
  }
  return widgets.filter((w) => w.type === "text" || w.metrics.length > 0);
}

/** HCL values: strings, numbers, references, lists and objects (keys in insertion order). */
type Hcl = string | number | boolean | Raw | Hcl[] | { [key: string]: Hcl };

const isFlat = (v: Hcl): boolean => !Array.isArray(v) && (typeof v !== "object" || v instanceof Raw || Object.values(v).every((x) => typeof x !== "object" || x instanceof Raw));

/** Prints a value; lists of scalars and flat objects stay on one line (metric rows), the rest one entry per line. */
function hcl(v: Hcl, inline = false): string {
  if (v instanceof Raw) return v.expr;
  if (typeof v === "string") return hclString(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) {
    if (v.every(isFlat)) return `[${v.map((x) => hcl(x, true)).join(", ")}]`;
    return `[\n${v.map((x) => `${hcl(x)},`).join("\n")}\n]`;
  }
  const entries = Object.entries(v).map(([k, x]) => `${hclKey(k)} = ${hcl(x, inline)}`);
  return inline ? `{ ${entries.join(", ")} }` : `{\n${entries.join("\n")}\n}`;
}

/** The widget as CloudWatch's dashboard body JSON wants it, placed on the grid. */
function widgetValue(w: DashboardWidget, x: number, y: number, width: number, height: number): Hcl {
  const pos = { type: w.type, x, y, width, height };
  if (w.type === "text") {
    const rest = w.lines.length ? `\n\n${w.lines.join("\n\n")}` : "";
    return { ...pos, properties: { markdown: raw(`join("", [${hclString(`## ${w.title}, environment `)}, var.environment, ${hclString(rest)}])`) } };
  }
  return {
    ...pos,
    properties: {
      title: w.title,
      region: raw("var.region"),
      view: "timeSeries",
      stacked: false,
      stat: w.stat,
      period: PERIOD,
      metrics: w.metrics.map((m) => [m.namespace, m.metric, m.dimension, raw(m.ref), { label: m.label, ...(m.stat ? { stat: m.stat } : {}) }]),
    },
  };
}

/** The dashboard body as an HCL expression: `jsonencode({ widgets = [...] })`. */
export function dashboardBody(widgets: DashboardWidget[]): string {
  let y = 0;
  let col = 0;
  const placed: Hcl[] = [];
  for (const w of widgets) {
    if (w.type === "text") {
      if (col > 0) y += HEIGHT;
      placed.push(widgetValue(w, 0, y, 24, 2 + w.lines.length));
      y += 2 + w.lines.length;
      col = 0;
      continue;
    }
    placed.push(widgetValue(w, col * WIDTH, y, WIDTH, HEIGHT));
    if (++col === 24 / WIDTH) {
      col = 0;
      y += HEIGHT;
    }
  }
  return `jsonencode(${hcl({ widgets: placed })})`;
}

/** `dashboard.tf` of a module. */
export function dashboardTf(ctx: PlanContext, header: string): string {
  return render(sharedTemplate("dashboard.tf.hbs"), { header, body: dashboardBody(planDashboard(ctx)) });
}
