/**
 * Batch orchestration (`orchestration.tf`): for every `s3` source in `mode: batch`, an EventBridge
 * Scheduler schedule starts a Step Functions state machine on the source's `schedule`; the state
 * machine runs the Glue jobs downstream of the source in topological order, retries each as its
 * `retry` says, and on a failure that outlasts the retries publishes what failed to the pipeline's
 * alarm topic before ending FAILED, so the execution, the alarm and the message all show it.
 *
 * Planned here as data (BatchRun, the definition as an HCL value), printed by
 * templates/orchestration.tf.hbs. Pure and deterministic: sources by id, jobs in graph order.
 *
 * - https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/sfn_state_machine
 * - https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/scheduler_schedule
 * - https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html (startJobRun.sync)
 * - https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html (Retry, Catch)
 */
import type { Component, PipelineModel } from "../model/types.ts";
import type { Output, Variable } from "../kinds/kind.ts";
import type { PlanContext } from "./context.ts";
import { render, sharedTemplate } from "../emit/templates.ts";
import { hclString, hclTemplate, raw } from "../emit/hcl-literal.ts";
import { kebab, physicalName } from "../naming/names.ts";
import { printHcl, type HclValue } from "./hcl-value.ts";

/** How the state machine retries a failed Glue run (the glue_job kind's `retry`, defaults applied). */
export interface RetryPolicy {
  /** Retries after the first failed run (0: none). */
  attempts: number;
  intervalSeconds: number;
  backoffRate: number;
}

/** One Glue job of a batch run. */
export interface BatchJob {
  id: string;
  retry: RetryPolicy;
  /** The job's own timeout (Glue stops the run after it). */
  timeoutMinutes: number;
}

/** What one batch source's state machine runs. */
export interface BatchRun {
  source: Component;
  /** EventBridge Scheduler expression, `rate(...)` or `cron(...)`, in UTC. */
  schedule: string;
  /** Steps in order; the jobs of one step do not depend on each other and run in parallel. */
  steps: BatchJob[][];
}

/** The glue_job kind's documented defaults, applied again here so the planner never prints `undefined`. */
export const GLUE_RETRY_DEFAULTS: RetryPolicy = { attempts: 2, intervalSeconds: 300, backoffRate: 2 };
export const GLUE_TIMEOUT_MINUTES_DEFAULT = 60;

/** Longest wait between two retries: exponential backoff stops growing here. */
export const MAX_RETRY_DELAY_SECONDS = 3600;
/** Time a Glue run may spend starting (and queueing) on top of its own timeout before the task gives up on it. */
export const TASK_SLACK_SECONDS = 1800;
/** Time the failure notification may take at the end of a failed run. */
const NOTIFY_SECONDS = 300;
/** A STANDARD execution lasts at most a year. */
const MAX_EXECUTION_SECONDS = 31_536_000;

export const isBatchSource = (c: Component): boolean => c.category === "sources" && c.type === "s3" && c.config.mode === "batch";
export const isGlueJob = (c: Component): boolean => c.category === "transforms" && c.type === "glue_job";

/** Batch sources of a model, by id. */
export function batchSources(model: PipelineModel): Component[] {
  return model.components.filter(isBatchSource).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function batchJob(c: Component): BatchJob {
  const r = (c.config.retry ?? {}) as { attempts?: number; interval_seconds?: number; backoff_rate?: number };
  return {
    id: c.id,
    retry: {
      attempts: r.attempts ?? GLUE_RETRY_DEFAULTS.attempts,
      intervalSeconds: r.interval_seconds ?? GLUE_RETRY_DEFAULTS.intervalSeconds,
      backoffRate: r.backoff_rate ?? GLUE_RETRY_DEFAULTS.backoffRate,
    },
    timeoutMinutes: (c.config.timeout_minutes as number | undefined) ?? GLUE_TIMEOUT_MINUTES_DEFAULT,
  };
}

/**
 * The batch runs of a pipeline: for each batch source, the Glue jobs reached downstream through
 * glue jobs only, grouped into steps. A job's step is one after the latest step of the jobs it
 * reads; jobs of one step run in parallel. Sources that feed no Glue job get no run.
 */
export function planBatchRuns(ctx: Pick<PlanContext, "model" | "graph">): BatchRun[] {
  const { model, graph } = ctx;
  const position = new Map(graph.order.map((c, i) => [c.id, i]));
  const runs: BatchRun[] = [];
  for (const source of batchSources(model)) {
    const reached = new Set<string>();
    const queue = [source.id];
    while (queue.length) {
      for (const id of graph.consumers.get(queue.shift()!) ?? []) {
        const c = model.byId.get(id);
        if (c && isGlueJob(c) && !reached.has(id)) {
          reached.add(id);
          queue.push(id);
        }
      }
    }
    if (!reached.size) continue;
    const jobs = [...reached].map((id) => model.byId.get(id)!).sort((a, b) => (position.get(a.id) ?? 0) - (position.get(b.id) ?? 0) || (a.id < b.id ? -1 : 1));
    const step = new Map<string, number>();
    for (const j of jobs) step.set(j.id, Math.max(-1, ...j.inputs.filter((i) => reached.has(i)).map((i) => step.get(i)!)) + 1);
    const steps: BatchJob[][] = [];
    for (const j of jobs) (steps[step.get(j.id)!] ??= []).push(batchJob(j));
    const schedule = source.config.schedule;
    if (typeof schedule !== "string") throw new Error(`batch source ${source.id} has no schedule (the s3 source check requires one)`);
    runs.push({ source, schedule, steps });
  }
  return runs;
}

/** The retrier's MaxDelaySeconds: backoff stops growing there (never below the first interval). */
const maxDelaySeconds = (r: RetryPolicy): number => Math.max(MAX_RETRY_DELAY_SECONDS, r.intervalSeconds);

/** The waits before each retry of a job, capped by MaxDelaySeconds. */
function retryDelays(r: RetryPolicy): number[] {
  return Array.from({ length: r.attempts }, (_, k) => Math.min(r.intervalSeconds * r.backoffRate ** k, maxDelaySeconds(r)));
}

/** A Glue task gives up this long after it started: the job's own timeout plus start-up slack. */
export function taskTimeoutSeconds(j: BatchJob): number {
  return j.timeoutMinutes * 60 + TASK_SLACK_SECONDS;
}

/** Worst case of one job with all its retries, so the execution timeout never cuts a legitimate run short. */
function jobWorstCaseSeconds(j: BatchJob): number {
  return (j.retry.attempts + 1) * taskTimeoutSeconds(j) + retryDelays(j.retry).reduce((a, b) => a + b, 0);
}

/** The whole execution's timeout: every step at its worst, plus the notification. */
export function executionTimeoutSeconds(run: BatchRun): number {
  const total = run.steps.reduce((sum, step) => sum + Math.max(...step.map(jobWorstCaseSeconds)), 0) + NOTIFY_SECONDS;
  return Math.min(Math.ceil(total), MAX_EXECUTION_SECONDS);
}

/** State names of a step: one job runs as `Run <id>`, several as `Step <n>`. */
export function stepStateName(step: BatchJob[], index: number): string {
  return step.length === 1 ? `Run ${step[0]!.id}` : `Step ${index + 1}`;
}

export const NOTIFY_STATE = "NotifyFailure";
export const FAIL_STATE = "Failed";
/** Error name of a failed batch run (DescribeExecution's `error`). */
export const FAIL_ERROR = "GlueJobFailed";
const ARN_GLUE_SYNC = raw(hclTemplate("arn:", raw("local.partition"), ":states:::glue:startJobRun.sync"));
const ARN_SNS_PUBLISH = raw(hclTemplate("arn:", raw("local.partition"), ":states:::sns:publish"));

function retriers(r: RetryPolicy): HclValue[] {
  return [
    // A missing permission does not heal by waiting: fail at once (States.ALL must be the last retrier).
    { ErrorEquals: ["States.Permissions"], MaxAttempts: 0 },
    {
      ErrorEquals: ["States.ALL"],
      IntervalSeconds: r.intervalSeconds,
      MaxAttempts: r.attempts,
      BackoffRate: r.backoffRate,
      MaxDelaySeconds: maxDelaySeconds(r),
    },
  ];
}

/** One Glue job as a `.sync` task: the state waits until the run SUCCEEDED, or fails with the run's error. */
function glueTask(j: BatchJob): Record<string, HclValue> {
  return {
    Type: "Task",
    Comment: j.retry.attempts ? `Glue job ${j.id}: retried up to ${j.retry.attempts} time(s), first after ${j.retry.intervalSeconds} s, backoff x${j.retry.backoffRate}` : `Glue job ${j.id}: not retried`,
    Resource: ARN_GLUE_SYNC,
    Parameters: { JobName: raw(`aws_glue_job.${j.id}.name`) },
    TimeoutSeconds: taskTimeoutSeconds(j),
    // Keep the execution input as the state; Glue's run details are in the execution history.
    ResultPath: null,
    Retry: retriers(j.retry),
  };
}

const jobNames = (step: BatchJob[]): Raw => raw(hclTemplate(...step.flatMap((j, i) => [...(i ? [" or "] : []), raw(`aws_glue_job.${j.id}.name`)])));
type Raw = ReturnType<typeof raw>;

/**
 * The state machine definition (Amazon States Language) as an HCL value for `jsonencode(...)`:
 * steps in order, each catching every error into a Pass state that records which job failed,
 * then NotifyFailure (sns:publish to the alarm topic) and the Fail state carrying the job's error.
 */
export function stateMachineDefinition(run: BatchRun, model: PipelineModel): Record<string, HclValue> {
  const states: Record<string, HclValue> = {};
  const failures: Record<string, HclValue> = {};
  run.steps.forEach((step, i) => {
    const name = stepStateName(step, i);
    const next: Record<string, HclValue> = i + 1 < run.steps.length ? { Next: stepStateName(run.steps[i + 1]!, i + 1) } : { End: true };
    const catcher: Record<string, HclValue> = { Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: `${name} failed` }] };
    if (step.length === 1) states[name] = { ...glueTask(step[0]!), ...catcher, ...next };
    else {
      states[name] = {
        Type: "Parallel",
        Comment: `Glue jobs that do not read each other: ${step.map((j) => j.id).join(", ")}`,
        Branches: step.map((j) => ({ StartAt: `Run ${j.id}`, States: { [`Run ${j.id}`]: { ...glueTask(j), End: true } } })),
        ResultPath: null,
        ...catcher,
        ...next,
      };
    }
    failures[`${name} failed`] = {
      Type: "Pass",
      // Error is always set on a caught error, Cause not always: keep the whole error object as the cause.
      Parameters: { job: jobNames(step), "error.$": "$.error.Error", "cause.$": "States.JsonToString($.error)" },
      ResultPath: "$.failure",
      Next: NOTIFY_STATE,
    };
  });
  const source = run.source.id;
  // SNS subjects are at most 100 characters; name the source only when it always fits.
  const subject = 24 + 1 + 10 + `: batch run of ${source} failed`.length <= 100 ? `: batch run of ${source} failed` : ": batch run failed";
  return {
    Comment: `Batch run of source ${source} of pipeline ${model.name}: Glue job${run.steps.flat().length > 1 ? "s" : ""} ${run.steps.flat().map((j) => j.id).join(", ")}`,
    StartAt: stepStateName(run.steps[0]!, 0),
    TimeoutSeconds: executionTimeoutSeconds(run),
    States: {
      ...states,
      ...failures,
      [NOTIFY_STATE]: {
        Type: "Task",
        Comment: "Tell the alarm topic which job failed and why",
        Resource: ARN_SNS_PUBLISH,
        Parameters: {
          TopicArn: raw("aws_sns_topic.alarms.arn"),
          Subject: raw(hclTemplate(raw("local.name_prefix"), subject)),
          "Message.$": `States.Format('Execution {} of the batch run of source ${source} failed in Glue job {}. Error: {}. Details: {}', $$.Execution.Id, $.failure.job, $.failure.error, $.failure.cause)`,
        },
        ResultPath: null,
        Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 10, MaxAttempts: 3, BackoffRate: 2 }],
        // The run has failed either way: a lost notification must not hide that (the alarm still fires).
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: null, Next: FAIL_STATE }],
        Next: FAIL_STATE,
      },
      // A constant error name: names starting with `States.` (the caught error's) are reserved for the service.
      [FAIL_STATE]: { Type: "Fail", Comment: "The execution ends FAILED, naming the job and its error", Error: FAIL_ERROR, CausePath: "States.Format('Glue job {} failed: {}', $.failure.job, $.failure.cause)" },
    },
  };
}

/** The module's orchestration: `orchestration.tf`, its variables and outputs; undefined without batch runs. */
export function orchestrationPart(ctx: PlanContext, header: string): { hcl: string; variables: Variable[]; outputs: Output[] } | undefined {
  const runs = planBatchRuns(ctx);
  if (!runs.length) return undefined;
  const { model } = ctx;
  const view = runs.map((run) => {
    const id = run.source.id;
    const k = kebab(id);
    const jobs = run.steps.flat();
    return {
      id,
      kebab: k,
      schedule: run.schedule,
      scheduleExpression: hclString(run.schedule),
      jobs: jobs.map((j) => j.id).join(", "),
      componentTag: hclString(id),
      names: {
        stateMachine: physicalName(id, "-run"),
        role: physicalName(id, "-run"),
        schedulerRole: physicalName(id, "-schedule"),
        schedule: physicalName(id, "-run"),
        dlq: physicalName(id, "-schedule-dlq"),
        logGroup: hclTemplate("/aws/vendedlogs/states/", raw("local.name_prefix"), `-${k}-run`),
        stateMachineArn: hclTemplate("arn:", raw("local.partition"), ":states:", raw("var.region"), ":", raw("local.account_id"), ":stateMachine:", raw("local.name_prefix"), `-${k}-run`),
        scheduleArn: hclTemplate("arn:", raw("local.partition"), ":scheduler:", raw("var.region"), ":", raw("local.account_id"), ":schedule/default/", raw("local.name_prefix"), `-${k}-run`),
        alarmFailed: physicalName(id, "-run-failed"),
        alarmTimedOut: physicalName(id, "-run-timed-out"),
        alarmDlq: physicalName(id, "-schedule-dead-letters"),
      },
      roleDescription: hclString(`Runs the batch state machine of source ${k} of pipeline ${model.name}.`),
      schedulerRoleDescription: hclString(`Starts the batch state machine of source ${k} of pipeline ${model.name} on its schedule.`),
      scheduleDescription: hclString(`pipegen ${model.name}: starts the batch run of source ${id} (Glue jobs ${jobs.map((j) => j.id).join(", ")}).`),
      jobArns: jobs.map((j) => `aws_glue_job.${j.id}.arn`).join(", "),
      definition: `jsonencode(${printHcl(stateMachineDefinition(run, model))})`,
    };
  });
  const variables: Variable[] = runs.map(({ source: { id } }) => ({
    name: `${id}_schedule_enabled`,
    description: hclString(`Whether the schedule starts batch runs of source ${id}; false pauses it (runs can still be started by hand).`),
    type: "bool",
    default: "true",
  }));
  const outputs: Output[] = runs.flatMap(({ source: { id } }) => [
    { name: `${id}_state_machine_arn`, description: hclString(`State machine of the batch runs of source ${id}: list, start and inspect runs with it.`), value: `aws_sfn_state_machine.${id}_run.arn` },
    { name: `${id}_schedule_name`, description: hclString(`EventBridge Scheduler schedule that starts the batch runs of source ${id}.`), value: `aws_scheduler_schedule.${id}_run.name` },
    { name: `${id}_schedule_dead_letter_queue_url`, description: hclString(`Queue where schedule invocations of source ${id} that could not start a run are parked.`), value: `aws_sqs_queue.${id}_schedule_dlq.url` },
  ]);
  return { hcl: render(sharedTemplate("orchestration.tf.hbs"), { header, runs: view }), variables, outputs };
}

/** The module hook: adds `orchestration.tf`, its variables and outputs when the pipeline has batch runs. */
export function addOrchestration(ctx: PlanContext, header: string, files: Map<string, string>, variables: Variable[], outputs: Output[]): void {
  const part = orchestrationPart(ctx, header);
  if (!part) return;
  files.set("orchestration.tf", part.hcl);
  variables.push(...part.variables);
  outputs.push(...part.outputs);
}

/** The "Batch runs" section of the generated README: how to see, start and pause runs. */
export function batchRunsReadme(ctx: Pick<PlanContext, "model" | "graph">): string[] {
  const runs = planBatchRuns(ctx);
  if (!runs.length) return [];
  const out = [
    "## Batch runs",
    "",
    "EventBridge Scheduler starts a Step Functions state machine per batch source; it runs the Glue jobs in order, retries each as its `retry` says, and when a job still fails publishes the job and its error to the alarm topic and ends FAILED (the `<source>-run-failed` alarm fires too). Runs are logged to `/aws/vendedlogs/states/<pipeline>-<env>-<source>-run` and traced with X-Ray.",
    "",
    "| source | schedule (UTC) | Glue jobs, in order |",
    "|---|---|---|",
    ...runs.map((r) => `| ${r.source.id} | \`${r.schedule}\` | ${r.steps.map((s) => s.map((j) => j.id).join(" + ")).join(" → ")} |`),
    "",
  ];
  for (const r of runs) {
    const id = r.source.id;
    out.push(
      `Source \`${id}\`:`,
      "",
      "```sh",
      `# recent runs and their status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED)`,
      `aws stepfunctions list-executions --state-machine-arn "$(terraform output -raw ${id}_state_machine_arn)" --max-results 10`,
      `# one run: status, error and cause`,
      `aws stepfunctions describe-execution --execution-arn <executionArn>`,
      `# start a run now, outside the schedule`,
      `aws stepfunctions start-execution --state-machine-arn "$(terraform output -raw ${id}_state_machine_arn)"`,
      `# pause the schedule (e.g. in dev); set it back to true to resume`,
      `terraform apply -var-file=environments/<env>.tfvars -var ${id}_schedule_enabled=false`,
      "```",
      "",
    );
  }
  return out;
}
