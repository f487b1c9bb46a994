/**
 * The pipeline's CloudWatch dashboard (`dashboard.tf`): one aws_cloudwatch_dashboard whose body is
 * planned here as data from the function units and components, then printed as an HCL
 * `jsonencode(...)` argument so metric dimensions are Terraform references, not copied names.
 * Pure and deterministic: widgets in a fixed order, metrics sorted by component id.
 */
import { isOpenSearchDomain } from "../kinds/sinks/opensearch/kind.ts";
import type { PlanContext } from "./context.ts";
import { planFunctionUnits } from "./functions.ts";
import { planBatchRuns, type BatchRun } from "./orchestration.ts";
import type { Component } from "../model/types.ts";
import { printHcl, type HclValue } from "./hcl-value.ts";
import { render, sharedTemplate } from "../emit/templates.ts";
import { hclString, raw } from "../emit/hcl-literal.ts";

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
  /** Further dimensions after the first: a literal value, or (ref) an HCL reference. */
  extra?: Array<{ name: string; value: string; ref?: true }>;
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

const ofTypeIn = (components: Component[], category: Component["category"], type: string): Component[] => byId(components.filter((c) => c.category === category && c.type === type));

/**
 * The batch half and the newer sinks: runs of each batch state machine (AWS/States), Glue job
 * metrics, Firehose delivery of parquet sinks fed by streams, OpenSearch cluster health.
 * Glue publishes its job metrics to the `Glue` namespace only for jobs run with `--enable-metrics`;
 * the aggregate over all runs of a job has `JobRunId = ALL` and `Type = count`
 * (https://docs.aws.amazon.com/glue/latest/dg/monitoring-awsglue-with-cloudwatch-metrics.html).
 */
function batchWidgets(ctx: PlanContext, runs: BatchRun[], glueJobs: Component[]): DashboardWidget[] {
  const { model, graph } = ctx;
  const sm = (id: string, metric: string, label: string): DashboardMetric => ({ namespace: "AWS/States", metric, dimension: "StateMachineArn", ref: `aws_sfn_state_machine.${id}_run.arn`, label });
  const glue = (c: Component, metric: string, label: string): DashboardMetric => ({
    namespace: "Glue",
    metric: `glue.driver.aggregate.${metric}`,
    dimension: "JobName",
    ref: `aws_glue_job.${c.id}.name`,
    label,
    extra: [
      { name: "JobRunId", value: "ALL" },
      { name: "Type", value: "count" },
    ],
  });
  // A parquet sink fed by a stream is delivered by Firehose; one fed by a batch job is written by the job.
  const firehoses = byId(model.components.filter((c) => c.category === "sinks" && c.type === "s3" && c.config.format === "parquet" && graph.flow.get(c.inputs[0] ?? "") !== "files"));
  const fh = (metric: string): DashboardMetric[] => firehoses.map((c) => ({ namespace: "AWS/Firehose", metric, dimension: "DeliveryStreamName", ref: `aws_kinesis_firehose_delivery_stream.${c.id}.name`, label: c.id }));
  // OpenSearch metrics carry the account id as ClientId besides the domain name.
  const es = (metric: string): DashboardMetric[] =>
    ofTypeIn(model.components, "sinks", "opensearch").filter(isOpenSearchDomain).map((c) => ({ namespace: "AWS/ES", metric, dimension: "DomainName", ref: `aws_opensearch_domain.${c.id}.domain_name`, label: c.id, extra: [{ name: "ClientId", value: "local.account_id", ref: true }] }));
  return [
    {
      type: "metric",
      title: "Batch runs: executions started, succeeded, failed, timed out",
      stat: "Sum",
      metrics: runs.flatMap(({ source: { id } }) => [
        sm(id, "ExecutionsStarted", `${id} started`),
        sm(id, "ExecutionsSucceeded", `${id} succeeded`),
        sm(id, "ExecutionsFailed", `${id} failed`),
        sm(id, "ExecutionsTimedOut", `${id} timed out`),
      ]),
    },
    { type: "metric", title: "Batch run duration (max, ms)", stat: "Maximum", metrics: runs.map(({ source: { id } }) => sm(id, "ExecutionTime", id)) },
    { type: "metric", title: "Glue job run time (max, ms)", stat: "Maximum", metrics: glueJobs.map((c) => glue(c, "elapsedTime", c.id)) },
    { type: "metric", title: "Glue job tasks completed and failed", stat: "Sum", metrics: glueJobs.flatMap((c) => [glue(c, "numCompletedTasks", `${c.id} completed`), glue(c, "numFailedTasks", `${c.id} failed`)]) },
    { type: "metric", title: "Glue job records read", stat: "Sum", metrics: glueJobs.map((c) => glue(c, "recordsRead", c.id)) },
    { type: "metric", title: "Firehose delivery to S3 (success ratio)", stat: "Average", metrics: fh("DeliveryToS3.Success") },
    { type: "metric", title: "Firehose data freshness (max, s)", stat: "Maximum", metrics: fh("DeliveryToS3.DataFreshness") },
    { type: "metric", title: "OpenSearch cluster status red", stat: "Maximum", metrics: es("ClusterStatus.red") },
    { type: "metric", title: "OpenSearch free storage space (min, MB)", stat: "Minimum", metrics: es("FreeStorageSpace") },
  ];
}

/** The dashboard's widgets, top to bottom; widgets with nothing to show are left out. */
export function planDashboard(ctx: PlanContext): DashboardWidget[] {
  const { model } = ctx;
  const units = byId(planFunctionUnits(ctx));
  const runs = planBatchRuns(ctx);
  const glueJobs = ofTypeIn(model.components, "transforms", "glue_job");
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
        units.length
          ? `Functions: ${units.map((u) => u.id).join(", ")}. Alarms go to the pipeline's SNS topic \`alarms\`; failed records are parked in each function's dead-letter queue.`
          : "Alarms go to the pipeline's SNS topic `alarms`.",
        ...(runs.length
          ? [`Batch runs: ${runs.map((r) => `${r.source.id} (${r.schedule}: ${r.steps.flat().map((j) => j.id).join(", ")})`).join("; ")}. A failed run notifies the alarm topic with the failed job and its error; list runs with \`aws stepfunctions list-executions\`.`]
          : []),
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
      metrics: [
        ...units.map((u) => ({ namespace: "AWS/SQS", metric: "ApproximateNumberOfMessagesVisible", dimension: "QueueName", ref: `aws_sqs_queue.${u.id}_dlq.name`, label: `${u.id}_dlq` })),
        ...runs.map(({ source: { id } }) => ({ namespace: "AWS/SQS", metric: "ApproximateNumberOfMessagesVisible", dimension: "QueueName", ref: `aws_sqs_queue.${id}_schedule_dlq.name`, label: `${id}_schedule_dlq` })),
      ],
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
    ...batchWidgets(ctx, runs, glueJobs),
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

/** The widget as CloudWatch's dashboard body JSON wants it, placed on the grid. */
function widgetValue(w: DashboardWidget, x: number, y: number, width: number, height: number): HclValue {
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
      metrics: w.metrics.map((m) => [
        m.namespace,
        m.metric,
        m.dimension,
        raw(m.ref),
        ...(m.extra ?? []).flatMap((d) => [d.name, d.ref ? raw(d.value) : d.value]),
        { label: m.label, ...(m.stat ? { stat: m.stat } : {}) },
      ]),
    },
  };
}

/** The dashboard body as an HCL expression: `jsonencode({ widgets = [...] })`. */
export function dashboardBody(widgets: DashboardWidget[]): string {
  let y = 0;
  let col = 0;
  const placed: HclValue[] = [];
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
  return `jsonencode(${printHcl({ widgets: placed })})`;
}

/** `dashboard.tf` of a module. */
export function dashboardTf(ctx: PlanContext, header: string): string {
  const batch = ctx.model.components.some((c) => c.category === "transforms" && c.type === "glue_job");
  return render(sharedTemplate("dashboard.tf.hbs"), { header, batch, body: dashboardBody(planDashboard(ctx)) });
}
