import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { analyze } from "../../src/compile/compile.ts";
import type { Component, LambdaSettings } from "../../src/model/types.ts";
import type { PlanContext } from "../../src/plan/context.ts";
import { planModule } from "../../src/plan/module.ts";
import { formatHcl } from "../../src/emit/format-hcl.ts";
import {
  FAIL_ERROR,
  FAIL_STATE,
  NOTIFY_STATE,
  executionTimeoutSeconds,
  orchestrationPart,
  planBatchRuns,
  stateMachineDefinition,
  taskTimeoutSeconds,
} from "../../src/plan/orchestration.ts";
import { printHcl } from "../../src/plan/hcl-value.ts";
import { parseHclExpression, type HclValue } from "../security/hcl-expr.ts";

// The batch orchestration planner on hand-built graphs (the glue_job kind rejects a glue job reading
// another one today, so chains and diamonds only exist here), read back as the state machine
// definition AWS receives: the jsonencode(...) argument parsed from the printed HCL.

const lambda: LambdaSettings = { runtime: "nodejs22.x", memoryMb: 256, timeoutSeconds: 60, batchSize: 100, batchingWindowSeconds: 0, maxRetries: 3, maxRecordAgeSeconds: 3600 };
type Spec = [id: string, category: Component["category"], type: string, inputs: string[], config?: Record<string, unknown>];

/** A PlanContext over components given in topological order (what buildGraph computes for a real spec). */
function contextOf(specs: Spec[], pipeline = "sales-batch"): PlanContext {
  const components = specs.map(([id, category, type, inputs, config]): Component => ({ id, category, type, pointer: `/${category}/${id}`, inputs, config: { type, ...config }, lambda }));
  const byId = new Map(components.map((c) => [c.id, c]));
  const consumers = new Map(components.map((c) => [c.id, components.filter((x) => x.inputs.includes(c.id)).map((x) => x.id).sort()]));
  const model = { name: pipeline, file: "pipelines/x.yaml", description: "", region: "eu-west-1", tags: {}, record: {}, logRetentionDays: 30, components, byId, environments: [], tests: [] };
  return { model, graph: { order: components, consumers, outputType: new Map(), flow: new Map() }, userCodeImport: () => "" };
}

const batch = (id: string, schedule = "cron(0 3 * * ? *)"): Spec => [id, "sources", "s3", [], { mode: "batch", schedule }];
const glue = (id: string, inputs: string[], config: Record<string, unknown> = {}): Spec => [id, "transforms", "glue_job", inputs, config];
const parquet = (id: string, input: string): Spec => [id, "sinks", "s3", [input], { format: "parquet" }];

type States = Record<string, Record<string, any>>;
/** The definition as AWS receives it: printed as HCL, then parsed back; references stay "${...}". */
function definitionOf(ctx: PlanContext, index = 0): { StartAt: string; TimeoutSeconds: number; States: States; Comment: string } {
  const run = planBatchRuns(ctx)[index]!;
  return parseHclExpression(formatHcl(printHcl(stateMachineDefinition(run, ctx.model)))) as any;
}

/**
 * The Amazon States Language rules a definition must meet to be accepted (what
 * ValidateStateMachineDefinition checks structurally): StartAt and every Next name a state of the
 * same scope, every state is reachable, a state ends with Next or End (Fail without either),
 * `States.ALL` stands alone in the last retrier and catcher, names are at most 80 characters.
 */
function aslProblems(scope: { StartAt: string; States: States }, where = "top"): string[] {
  const out: string[] = [];
  const names = Object.keys(scope.States);
  const known = (n: unknown) => typeof n === "string" && names.includes(n);
  if (!known(scope.StartAt)) out.push(`${where}: StartAt ${scope.StartAt} is no state`);
  const edges = new Map<string, string[]>();
  for (const [name, st] of Object.entries(scope.States)) {
    if (name.length > 80) out.push(`${name}: name over 80 characters`);
    if (!["Task", "Pass", "Parallel", "Fail", "Succeed", "Choice", "Wait", "Map"].includes(st.Type)) out.push(`${name}: unknown Type ${st.Type}`);
    const next: string[] = [];
    if (st.Type === "Fail" || st.Type === "Succeed") {
      if (st.Next !== undefined || st.End !== undefined) out.push(`${name}: a ${st.Type} state has no Next or End`);
    } else if ((st.Next === undefined) === (st.End !== true)) out.push(`${name}: needs exactly one of Next and End`);
    if (st.Next !== undefined) {
      if (!known(st.Next)) out.push(`${name}: Next ${st.Next} is no state`);
      next.push(st.Next);
    }
    for (const [field, list] of [["Retry", st.Retry], ["Catch", st.Catch]] as const) {
      (list ?? []).forEach((r: any, i: number) => {
        if (r.ErrorEquals.includes("States.ALL") && (r.ErrorEquals.length !== 1 || i !== list.length - 1)) out.push(`${name}: States.ALL must be alone in the last ${field}`);
        if (field === "Catch") {
          if (!known(r.Next)) out.push(`${name}: Catch Next ${r.Next} is no state`);
          next.push(r.Next);
        }
      });
    }
    if (st.Type === "Parallel") st.Branches.forEach((b: any, i: number) => out.push(...aslProblems(b, `${name} branch ${i}`)));
    edges.set(name, next);
  }
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n) || !known(n)) return;
    seen.add(n);
    for (const m of edges.get(n) ?? []) visit(m);
  };
  visit(scope.StartAt);
  for (const n of names) if (!seen.has(n)) out.push(`${where}: state ${n} is unreachable`);
  return out;
}

describe("planBatchRuns", () => {
  it("a chain of two jobs runs as two steps in topological order", () => {
    const ctx = contextOf([batch("drops"), glue("clean", ["drops"]), glue("enrich", ["clean"]), parquet("sales", "enrich")]);
    const [run] = planBatchRuns(ctx);
    expect(run!.source.id).toBe("drops");
    expect(run!.schedule).toBe("cron(0 3 * * ? *)");
    expect(run!.steps.map((s) => s.map((j) => j.id))).toEqual([["clean"], ["enrich"]]);
  });

  it("jobs that do not read each other share a step; a job waits for the latest job it reads", () => {
    const ctx = contextOf([batch("drops"), glue("clean", ["drops"]), glue("audit", ["drops"]), glue("enrich", ["clean"]), glue("report", ["enrich", "audit"])]);
    expect(planBatchRuns(ctx)[0]!.steps.map((s) => s.map((j) => j.id))).toEqual([["clean", "audit"], ["enrich"], ["report"]]);
  });

  it("one run per batch source, by id; events-mode sources, kinesis and sources without a Glue job get none", () => {
    const ctx = contextOf([
      batch("zeta", "rate(1 hour)"),
      batch("alpha"),
      batch("idle"),
      ["live", "sources", "s3", [], { mode: "events" }],
      ["stream", "sources", "kinesis", []],
      glue("z_job", ["zeta"]),
      glue("a_job", ["alpha"]),
      ["idle_sink", "sinks", "s3", ["idle"], {}],
    ]);
    expect(planBatchRuns(ctx).map((r) => [r.source.id, r.steps.flat().map((j) => j.id)])).toEqual([
      ["alpha", ["a_job"]],
      ["zeta", ["z_job"]],
    ]);
  });

  it("applies the glue_job defaults (2 retries, 300 s, backoff 2, 60 minutes) and keeps what the spec sets", () => {
    const ctx = contextOf([batch("drops"), glue("clean", ["drops"]), glue("audit", ["drops"], { retry: { attempts: 4, interval_seconds: 30, backoff_rate: 1.5 }, timeout_minutes: 10 })]);
    const jobs = planBatchRuns(ctx)[0]!.steps.flat();
    expect(jobs).toEqual([
      { id: "clean", retry: { attempts: 2, intervalSeconds: 300, backoffRate: 2 }, timeoutMinutes: 60 },
      { id: "audit", retry: { attempts: 4, intervalSeconds: 30, backoffRate: 1.5 }, timeoutMinutes: 10 },
    ]);
  });

  it("no batch source: no orchestration.tf, no variables, no outputs (the reference stream pipeline)", () => {
    const file = "pipelines/temperature.yaml";
    const a = analyze(file, readFileSync(join(import.meta.dirname, "../..", file), "utf8"));
    const ctx: PlanContext = { model: a.model!, graph: a.graph!, userCodeImport: () => "" };
    expect(planBatchRuns(ctx)).toEqual([]);
    expect(orchestrationPart(ctx, "# h")).toBeUndefined();
    const plan = planModule(ctx, file);
    expect([...plan.files.keys()].filter((f) => f.includes("orchestration"))).toEqual([]);
    expect(plan.files.get("README.md")).not.toContain("## Batch runs");
  });
});

describe("state machine definition", () => {
  const chain = contextOf([batch("drops"), glue("clean", ["drops"], { retry: { attempts: 3, interval_seconds: 60, backoff_rate: 1.5 }, timeout_minutes: 30 }), glue("enrich", ["clean"]), parquet("sales", "enrich")]);

  it("runs the chain's jobs one after the other as Glue .sync tasks, each on its own job by reference", () => {
    const d = definitionOf(chain);
    expect(d.StartAt).toBe("Run clean");
    const clean = d.States["Run clean"]!;
    const enrich = d.States["Run enrich"]!;
    expect([clean.Type, clean.Resource, clean.Parameters]).toEqual(["Task", "arn:${local.partition}:states:::glue:startJobRun.sync", { JobName: "${aws_glue_job.clean.name}" }]);
    expect(enrich.Parameters).toEqual({ JobName: "${aws_glue_job.enrich.name}" });
    expect(clean.Next).toBe("Run enrich");
    expect(clean.End).toBeUndefined();
    expect(enrich.End).toBe(true);
    // The state keeps the execution input (an object), so the Catch can add $.error to it.
    expect([clean.ResultPath, enrich.ResultPath]).toEqual([null, null]);
  });

  it("turns the job's retry into the task's Retry (permissions errors are not retried)", () => {
    const d = definitionOf(chain);
    expect(d.States["Run clean"]!.Retry).toEqual([
      { ErrorEquals: ["States.Permissions"], MaxAttempts: 0 },
      { ErrorEquals: ["States.ALL"], IntervalSeconds: 60, MaxAttempts: 3, BackoffRate: 1.5, MaxDelaySeconds: 3600 },
    ]);
    expect(d.States["Run enrich"]!.Retry[1]).toEqual({ ErrorEquals: ["States.ALL"], IntervalSeconds: 300, MaxAttempts: 2, BackoffRate: 2, MaxDelaySeconds: 3600 });
  });

  it("catches every error of every step into a Pass naming the job, then NotifyFailure publishes to the alarm topic, then Fail", () => {
    const d = definitionOf(chain);
    for (const [step, job] of [["Run clean", "clean"], ["Run enrich", "enrich"]] as const) {
      expect(d.States[step]!.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: `${step} failed` }]);
      expect(d.States[`${step} failed`]).toEqual({
        Type: "Pass",
        Parameters: { job: `\${aws_glue_job.${job}.name}`, "error.$": "$.error.Error", "cause.$": "States.JsonToString($.error)" },
        ResultPath: "$.failure",
        Next: NOTIFY_STATE,
      });
    }
    const notify = d.States[NOTIFY_STATE]!;
    expect([notify.Type, notify.Resource]).toEqual(["Task", "arn:${local.partition}:states:::sns:publish"]);
    expect(notify.Parameters.TopicArn).toBe("${aws_sns_topic.alarms.arn}");
    expect(notify.Parameters.Subject).toBe("${local.name_prefix}: batch run of drops failed");
    expect(notify.Parameters["Message.$"]).toBe(
      "States.Format('Execution {} of the batch run of source drops failed in Glue job {}. Error: {}. Details: {}', $$.Execution.Id, $.failure.job, $.failure.error, $.failure.cause)",
    );
    expect(notify.Next).toBe(FAIL_STATE);
    // A notification that cannot be sent still ends the run FAILED.
    expect(notify.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: null, Next: FAIL_STATE }]);
    expect(d.States[FAIL_STATE]).toMatchObject({ Type: "Fail", Error: FAIL_ERROR, CausePath: "States.Format('Glue job {} failed: {}', $.failure.job, $.failure.cause)" });
    // Nothing else: two tasks, two failure records, the notification and the fail state.
    expect(Object.keys(d.States).sort()).toEqual(["Failed", "NotifyFailure", "Run clean", "Run clean failed", "Run enrich", "Run enrich failed"]);
  });

  it("runs independent jobs in a Parallel state whose branches keep their own Retry; the Parallel catches", () => {
    const ctx = contextOf([batch("drops"), glue("clean", ["drops"]), glue("audit", ["drops"], { retry: { attempts: 0 } })]);
    const d = definitionOf(ctx);
    expect(d.StartAt).toBe("Step 1");
    const step = d.States["Step 1"]!;
    expect(step.Type).toBe("Parallel");
    expect(step.ResultPath).toBeNull();
    expect(step.End).toBe(true);
    expect(step.Branches.map((b: any) => [b.StartAt, b.States[b.StartAt].Parameters.JobName, b.States[b.StartAt].Retry[1].MaxAttempts, b.States[b.StartAt].End])).toEqual([
      ["Run clean", "${aws_glue_job.clean.name}", 2, true],
      ["Run audit", "${aws_glue_job.audit.name}", 0, true],
    ]);
    expect(step.Branches.every((b: any) => b.States[b.StartAt].Catch === undefined)).toBe(true);
    expect(step.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Step 1 failed" }]);
    expect(d.States["Step 1 failed"]!.Parameters.job).toBe("${aws_glue_job.clean.name} or ${aws_glue_job.audit.name}");
  });

  it("times out a task after the job's own timeout plus start-up slack, and the run after every step at its worst", () => {
    const run = planBatchRuns(chain)[0]!;
    const [clean, enrich] = run.steps.flat();
    expect(taskTimeoutSeconds(clean!)).toBe(30 * 60 + 1800);
    expect(definitionOf(chain).States["Run clean"]!.TimeoutSeconds).toBe(3600);
    // clean: 4 attempts of 3600 s + waits 60, 90, 135; enrich: 3 attempts of 5400 s + waits 300, 600; + 300 s to notify.
    expect(executionTimeoutSeconds(run)).toBe(4 * 3600 + 60 + 90 + 135 + (3 * 5400 + 300 + 600) + 300);
    expect(definitionOf(chain).TimeoutSeconds).toBe(executionTimeoutSeconds(run));
    expect(enrich!.timeoutMinutes).toBe(60);
  });

  it("meets the States Language rules for a chain, a Parallel step and a diamond", () => {
    const diamond = contextOf([batch("drops"), glue("clean", ["drops"]), glue("audit", ["drops"]), glue("enrich", ["clean"]), glue("report", ["enrich", "audit"])]);
    for (const ctx of [chain, contextOf([batch("drops"), glue("clean", ["drops"]), glue("audit", ["drops"])]), diamond]) expect(aslProblems(definitionOf(ctx))).toEqual([]);
    expect(Object.keys(definitionOf(diamond).States).filter((n) => !n.endsWith("failed"))).toEqual(["Step 1", "Run enrich", "Run report", "NotifyFailure", "Failed"]);
    // The checker itself finds what it looks for.
    const broken = definitionOf(chain);
    broken.States["Run clean"]!.Next = "Nowhere";
    expect(aslProblems(broken)).toEqual(["Run clean: Next Nowhere is no state", "top: state Run enrich is unreachable", "top: state Run enrich failed is unreachable"]);
  });

  it("leaves the source out of the SNS subject when it could exceed SNS's 100 characters", () => {
    const long = "x".repeat(50);
    const d = definitionOf(contextOf([batch(long), glue("clean", [long])]));
    expect(d.States[NOTIFY_STATE]!.Parameters.Subject).toBe("${local.name_prefix}: batch run failed");
  });

  it("is deterministic", () => {
    expect(orchestrationPart(chain, "# h")).toEqual(orchestrationPart(chain, "# h"));
  });
});

/** Resources of rendered HCL, parsed by @cdktf/hcl2json: `type.name` → attributes. */
async function resourcesOf(hcl: string): Promise<Map<string, Record<string, any>>> {
  const json = (await parse("orchestration.tf", formatHcl(hcl))) as { resource: Record<string, Record<string, Array<Record<string, any>>>> };
  const out = new Map<string, Record<string, any>>();
  for (const [type, byName] of Object.entries(json.resource)) for (const [name, [body]] of Object.entries(byName)) out.set(`${type}.${name}`, body!);
  return out;
}
/** A jsonencode(...) attribute as hcl2json returns it ("${jsonencode({...})}"), parsed to a value. */
const jsonencoded = (v: string): any => {
  const m = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(v);
  if (!m) throw new Error(`not a jsonencode expression: ${v.slice(0, 80)}`);
  return parseHclExpression(m[1]!) as HclValue;
};

describe("orchestration.tf (rendered, parsed back with @cdktf/hcl2json)", () => {
  const ctx = contextOf([batch("drops"), glue("clean", ["drops"], { retry: { attempts: 3, interval_seconds: 60, backoff_rate: 1.5 } }), glue("enrich", ["clean"])]);
  const part = orchestrationPart(ctx, "# header")!;

  it("a STANDARD state machine with its own role, the planned definition, logging to its vended log group and X-Ray tracing", async () => {
    const r = await resourcesOf(part.hcl);
    const sm = r.get("aws_sfn_state_machine.drops_run")!;
    expect([sm.name, sm.type, sm.role_arn]).toEqual(["${local.name_prefix}-drops-run", "STANDARD", "${aws_iam_role.drops_run.arn}"]);
    expect(jsonencoded(sm.definition)).toEqual(definitionOf(ctx));
    expect(sm.logging_configuration).toEqual([{ level: "ALL", include_execution_data: false, log_destination: "${aws_cloudwatch_log_group.drops_run.arn}:*" }]);
    expect(sm.tracing_configuration).toEqual([{ enabled: true }]);
    expect(sm.depends_on).toEqual(["${aws_iam_role_policy.drops_run}"]);
    const lg = r.get("aws_cloudwatch_log_group.drops_run")!;
    expect([lg.name, lg.retention_in_days, lg.kms_key_id]).toEqual(["/aws/vendedlogs/states/${local.name_prefix}-drops-run", "${var.log_retention_days}", "${aws_kms_key.this.arn}"]);
  });

  it("the state machine role: trusted by Step Functions of this account only; Glue on the run's jobs, publish to the alarm topic, no wildcard actions", async () => {
    const r = await resourcesOf(part.hcl);
    const trust = jsonencoded(r.get("aws_iam_role.drops_run")!.assume_role_policy);
    expect(trust.Statement).toEqual([
      {
        Sid: "StepFunctionsAssumeRole",
        Effect: "Allow",
        Principal: { Service: "states.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": "${local.account_id}" },
          ArnLike: { "aws:SourceArn": "arn:${local.partition}:states:${var.region}:${local.account_id}:stateMachine:${local.name_prefix}-drops-run" },
        },
      },
    ]);
    const policy = jsonencoded(r.get("aws_iam_role_policy.drops_run")!.policy);
    const bySid = Object.fromEntries(policy.Statement.map((s: any) => [s.Sid, s]));
    expect(bySid.RunGlueJobs).toMatchObject({ Action: ["glue:BatchStopJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:StartJobRun"], Resource: ["${aws_glue_job.clean.arn}", "${aws_glue_job.enrich.arn}"] });
    expect(bySid.NotifyAlarmTopic).toMatchObject({ Action: ["sns:Publish"], Resource: ["${aws_sns_topic.alarms.arn}"] });
    expect(bySid.UsePipelineKeyThroughSns).toMatchObject({ Resource: ["${aws_kms_key.this.arn}"], Condition: { StringEquals: { "kms:ViaService": "sns.${var.region}.amazonaws.com" } } });
    for (const s of policy.Statement) {
      expect(s.Action.every((a: string) => !a.includes("*")), s.Sid).toBe(true);
      // Resource "*" only for vended log delivery and X-Ray, which have no resource-level permissions.
      if (s.Resource.includes("*")) expect(["DeliverExecutionLogs", "XRayTracing"]).toContain(s.Sid);
    }
  });

  it("the schedule: the source's expression in UTC, no flexible window, encrypted, targeting the state machine with a role of its own and a dead-letter queue", async () => {
    const r = await resourcesOf(part.hcl);
    const s = r.get("aws_scheduler_schedule.drops_run")!;
    expect([s.name, s.schedule_expression, s.schedule_expression_timezone, s.state, s.kms_key_arn]).toEqual([
      "${local.name_prefix}-drops-run",
      "cron(0 3 * * ? *)",
      "UTC",
      '${var.drops_schedule_enabled ? "ENABLED" : "DISABLED"}',
      "${aws_kms_key.this.arn}",
    ]);
    expect(s.flexible_time_window).toEqual([{ mode: "OFF" }]);
    const t = s.target[0];
    expect([t.arn, t.role_arn, t.dead_letter_config]).toEqual(["${aws_sfn_state_machine.drops_run.arn}", "${aws_iam_role.drops_schedule.arn}", [{ arn: "${aws_sqs_queue.drops_schedule_dlq.arn}" }]]);
    expect(t.retry_policy).toEqual([{ maximum_event_age_in_seconds: 3600, maximum_retry_attempts: 5 }]);
    expect(r.get("aws_sqs_queue.drops_schedule_dlq")!.kms_master_key_id).toBe("${aws_kms_key.this.arn}");
    const trust = jsonencoded(r.get("aws_iam_role.drops_schedule")!.assume_role_policy);
    expect(trust.Statement.map((x: any) => [x.Principal, x.Condition])).toEqual([[{ Service: "scheduler.amazonaws.com" }, { StringEquals: { "aws:SourceAccount": "${local.account_id}" } }]]);
    const policy = jsonencoded(r.get("aws_iam_role_policy.drops_schedule")!.policy);
    expect(policy.Statement.map((x: any) => [x.Sid, x.Action, x.Resource])).toEqual([
      ["StartRuns", ["states:StartExecution"], ["${aws_sfn_state_machine.drops_run.arn}"]],
      ["ParkUnstartedRuns", ["sqs:SendMessage"], ["${aws_sqs_queue.drops_schedule_dlq.arn}"]],
      ["DecryptSchedule", ["kms:Decrypt"], ["${aws_kms_key.this.arn}"]],
      ["UsePipelineKeyThroughSqs", ["kms:Decrypt", "kms:GenerateDataKey"], ["${aws_kms_key.this.arn}"]],
    ]);
    expect(policy.Statement[2].Condition).toEqual({
      StringEquals: { "kms:EncryptionContext:aws:scheduler:schedule-arn": "arn:${local.partition}:scheduler:${var.region}:${local.account_id}:schedule/default/${local.name_prefix}-drops-run" },
    });
  });

  it("alarms on failed and timed-out runs and on the schedule's dead letters, to the alarm topic (alarm and OK)", async () => {
    const r = await resourcesOf(part.hcl);
    for (const [name, ns, metric, dims] of [
      ["drops_run_failed", "AWS/States", "ExecutionsFailed", { StateMachineArn: "${aws_sfn_state_machine.drops_run.arn}" }],
      ["drops_run_timed_out", "AWS/States", "ExecutionsTimedOut", { StateMachineArn: "${aws_sfn_state_machine.drops_run.arn}" }],
      ["drops_schedule_dlq", "AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: "${aws_sqs_queue.drops_schedule_dlq.name}" }],
    ] as const) {
      const a = r.get(`aws_cloudwatch_metric_alarm.${name}`)!;
      expect([a.namespace, a.metric_name, a.dimensions, a.threshold, a.comparison_operator], name).toEqual([ns, metric, dims, 0, "GreaterThanThreshold"]);
      expect([a.alarm_actions, a.ok_actions]).toEqual([["${aws_sns_topic.alarms.arn}"], ["${aws_sns_topic.alarms.arn}"]]);
    }
  });

  it("declares the pause switch and outputs the state machine ARN, the schedule name and the dead-letter queue", () => {
    expect(part.variables).toEqual([
      { name: "drops_schedule_enabled", description: expect.stringContaining("pauses it"), type: "bool", default: "true" },
    ]);
    expect(part.outputs.map((o) => [o.name, o.value])).toEqual([
      ["drops_state_machine_arn", "aws_sfn_state_machine.drops_run.arn"],
      ["drops_schedule_name", "aws_scheduler_schedule.drops_run.name"],
      ["drops_schedule_dead_letter_queue_url", "aws_sqs_queue.drops_schedule_dlq.url"],
    ]);
  });

  it("escapes the schedule expression like any spec string", async () => {
    const odd = contextOf([batch("drops", 'cron(0 3 * * ? *)"${x}'), glue("clean", ["drops"])]);
    const r = await resourcesOf(orchestrationPart(odd, "# h")!.hcl);
    expect(r.get("aws_scheduler_schedule.drops_run")!.schedule_expression).toBe('cron(0 3 * * ? *)"$${x}');
  });
});
