import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { MotoServer } from "../../../support/moto.ts";
import { pidAlive } from "../../../support/moto.ts";
import { prepareModuleForMoto } from "../../../support/emulated-module.ts";
import { apply, destroy, init, outputs, planDetailed } from "../../../support/terraform.ts";
import { explainedChanges, formatDrift, unexpectedChanges, MOTO_DRIFT_ALLOWLIST } from "../../../support/drift-allowlist.ts";
import { applyMotoQuirks } from "../../../support/moto-quirks.ts";
import type { MotoSfnProxy } from "../../../support/moto-sfn-proxy.ts";
import { awsJson as callMoto, routeSfnThroughProxy, runExecution, startMotoForStepFunctions, startMotoSfnProxy } from "../../../support/moto-sfn-proxy.ts";

// The orchestration golden module applied to moto: both batch sources get their state machine,
// schedule, roles, queue and alarms; a re-plan shows no changes; a run started through the Step
// Functions API is visible with its status, ends FAILED, and its failure reaches the alarm topic;
// destroy removes everything.
//
// What moto (5.2.1) really does, and how this test copes:
// - moto_server routes neither ValidateStateMachineDefinition, which the AWS provider calls whenever
//   a definition changes (its CustomizeDiff), nor ListStateMachineVersions, which it calls on every
//   read; the provider retries both until apply times out. test/support/moto-sfn-proxy.ts answers
//   those two as AWS would here (MOTO_UNROUTED_CALLS in moto-quirks.ts: OK; no versions, as the
//   module publishes none) and forwards every other call to moto unchanged. The definition is still
//   parsed for real: with `execute_state_machine` on, moto's CreateStateMachine runs its Amazon
//   States Language parser (checked below with a broken definition).
// - moto's interpreter fails every `glue:startJobRun.sync` task right after StartJobRun (its parser
//   calls interrupt_all() on a callback endpoint that Glue tasks do not have), with States.Runtime.
//   So a run never succeeds on moto: the test asserts the runs were started with the right job
//   names, then follows the real failure path (Catch → Pass → NotifyFailure → Fail). On AWS,
//   States.Runtime is not caught by States.ALL; the Catch path is what a failed Glue run takes.
// - moto's interpreter cannot fail a Parallel state with a `States.*` error (it re-raises the branch's
//   error as a custom error name, which must not start with `States.`), and it deep-copies the state
//   machine on StartExecution, failing on the second execution of one state machine. So one run is
//   started, on `returns` (one job, a 1 s retry); `drops` (a Parallel step, 60 s and 300 s retries)
//   is applied, re-planned and destroyed, its definition checked by the unit tests and moto's parser.
const moduleDir = join(import.meta.dirname, "expected/batch-runs");
const devVars = { environment: "dev", ephemeral: true };
const PREFIX = "batch-runs-dev";
let moto: MotoServer;
let proxy: MotoSfnProxy;
let work: string;
let out: Record<string, any>;
const savedEnv = { ...process.env };

const awsJson = (service: "states" | "glue", action: string, body: object) => callMoto(moto.endpoint, service, action, body);

beforeAll(async () => {
  // moto's Step Functions interpreter on (parses definitions on create, runs executions).
  moto = await startMotoForStepFunctions();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
  });
  proxy = await startMotoSfnProxy(moto.endpoint);
  work = await prepareModuleForMoto(moduleDir, moto.endpoint);
  await applyMotoQuirks(work);
  routeSfnThroughProxy(work, moto.endpoint, proxy.endpoint);
  await init(work);
  await apply(work, devVars);
  out = await outputs(work);
}, 900_000);

afterAll(async () => {
  process.env = savedEnv;
  if (work) rmSync(work, { recursive: true, force: true });
  if (proxy) await proxy.close();
  if (moto) {
    const pid = moto.pid;
    await moto.stop();
    expect(pidAlive(pid)).toBe(false);
  }
});

describe("orchestration golden module on moto", () => {
  it("re-plans with no changes after apply (known emulator differences listed and printed)", async () => {
    const plan = await planDetailed(work, devVars);
    const explained = explainedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST);
    if (explained.length) console.log(`allowlisted emulator drift:\n${formatDrift([], explained)}`);
    expect(unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST), formatDrift(unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST))).toEqual([]);
  }, 300_000);

  it("outputs each source's state machine and schedule; the state machines log and trace as planned", async () => {
    for (const s of ["drops", "returns"]) {
      expect(out[`${s}_state_machine_arn`]).toBe(`arn:aws:states:us-east-1:123456789012:stateMachine:${PREFIX}-${s}-run`);
      expect(out[`${s}_schedule_name`]).toBe(`${PREFIX}-${s}-run`);
      const sm = await awsJson("states", "DescribeStateMachine", { stateMachineArn: out[`${s}_state_machine_arn`] });
      expect(sm.roleArn).toBe(`arn:aws:iam::123456789012:role/${PREFIX}-${s}-run`);
      expect(sm.loggingConfiguration.level).toBe("ALL");
      expect(sm.loggingConfiguration.includeExecutionData ?? false).toBe(false);
      expect(sm.loggingConfiguration.destinations).toEqual([{ cloudWatchLogsLogGroup: { logGroupArn: `arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/${PREFIX}-${s}-run:*` } }]);
      expect(sm.tracingConfiguration).toEqual({ enabled: true });
      expect(JSON.parse(sm.definition).StartAt).toBe(s === "drops" ? "Step 1" : "Run refunds");
    }
  });

  it("moto really parses definitions on create (a broken one is refused), so the applied ones parsed", async () => {
    const broken = { StartAt: "A", States: { A: { Type: "Pass", Parameters: { "x.$": "States.Formatt('a')" }, End: true } } };
    await expect(awsJson("states", "CreateStateMachine", { name: "broken", roleArn: "arn:aws:iam::123456789012:role/x", definition: JSON.stringify(broken) })).rejects.toThrow(/→ 400: .*StatesFunctionNameType/);
  });

  it("a run started through the API shows its status, tells the alarm topic which job failed and why, and ends FAILED", async () => {
    const sqs = new SQSClient({});
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: "oncall" }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    await new SNSClient({}).send(new SubscribeCommand({ TopicArn: out.alarm_topic_arn, Protocol: "sqs", Endpoint: arn }));

    const stateMachineArn = out.returns_state_machine_arn as string;
    const { executionArn, described: d, history } = await runExecution(moto.endpoint, stateMachineArn, "manual-1", 60_000);
    // The status is visible the way the README says: list-executions and describe-execution.
    const listed = await awsJson("states", "ListExecutions", { stateMachineArn });
    expect(listed.executions.map((e: any) => [e.name, e.status])).toEqual([["manual-1", "FAILED"]]);
    expect(d.status).toBe("FAILED");
    expect(d.error, JSON.stringify(history, null, 1)).toBe("GlueJobFailed");
    expect(d.cause).toMatch(new RegExp(`^Glue job ${PREFIX}-refunds failed: \\{"Error":"States\\.Runtime"`));

    // The job's retry (attempts: 1) ran it twice: two Glue runs of the job, started by name.
    const runs = await awsJson("glue", "GetJobRuns", { JobName: `${PREFIX}-refunds` });
    expect(runs.JobRuns.length).toBe(2);
    expect(history.filter((e) => e.type === "TaskScheduled" && e.taskScheduledEventDetails.resource === "startJobRun.sync").map((e) => JSON.parse(e.taskScheduledEventDetails.parameters))).toEqual([
      { JobName: `${PREFIX}-refunds` },
      { JobName: `${PREFIX}-refunds` },
    ]);
    // Then the failure path of the definition, in order.
    const entered = history.filter((e) => e.stateEnteredEventDetails).map((e) => e.stateEnteredEventDetails.name);
    expect(entered).toEqual(["Run refunds", "Run refunds failed", "NotifyFailure", "Failed"]);
    expect(history.at(-1)!.type).toBe("ExecutionFailed");

    // NotifyFailure published to the alarm topic: the execution, the job and the error.
    const messages = ((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }))).Messages ?? []).map((m) => JSON.parse(m.Body!) as { Subject: string; Message: string });
    expect(messages.map((m) => m.Subject)).toEqual([`${PREFIX}: batch run of returns failed`]);
    expect(messages[0]!.Message).toMatch(new RegExp(`^Execution ${executionArn.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} of the batch run of source returns failed in Glue job ${PREFIX}-refunds\\. Error: States\\.Runtime\\. Details: \\{`));
  }, 120_000);

  it("destroys the environment", async () => {
    await destroy(work, devVars);
    await expect(awsJson("states", "DescribeStateMachine", { stateMachineArn: out.drops_state_machine_arn })).rejects.toThrow(/StateMachineDoesNotExist/);
    await expect(awsJson("states", "DescribeStateMachine", { stateMachineArn: out.returns_state_machine_arn })).rejects.toThrow(/StateMachineDoesNotExist/);
  }, 600_000);
});
