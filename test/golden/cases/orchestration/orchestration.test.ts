import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkModule, formatViolations } from "../../../security/check-module.ts";
import { ofType, parseModule } from "../../../support/hcl.ts";
import { parseHclExpression } from "../../../security/hcl-expr.ts";
import { deriveDeployPolicy, deriveReadPolicy, policyActions, scanGenerated } from "../../../../src/delivery/deploy-policy/index.ts";
import type { PolicyDocument } from "../../../../src/delivery/deploy-policy/index.ts";

// What the orchestration golden module MEANS (golden.test.ts checks its bytes; the moto test applies
// it): one schedule and state machine per batch source, wired to the Glue jobs the module defines,
// the security rules on the whole module, and the deploy policy covering the new resource types.
const dir = join(import.meta.dirname, "expected/batch-runs");
const PREFIX = "batch-runs-dev";
let resources: Map<string, Record<string, any>>;
let raw: Record<string, any>[];

beforeAll(async () => {
  ({ resources, raw } = await parseModule(dir));
});

const get = (addr: string) => {
  const r = resources.get(addr);
  if (!r) throw new Error(`missing ${addr}`);
  return r;
};
const jsonencoded = (v: string): any => parseHclExpression(/^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(v)![1]!);
const merged = (block: string) => Object.assign({}, ...raw.map((j) => j[block] ?? {})) as Record<string, Array<Record<string, any>>>;

describe("orchestration golden module", () => {
  it("passes every required rule of SECURITY-RULES.md, PIPE-008 (state machines log and trace) included", async () => {
    const r = await checkModule(dir);
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
    expect(r.applied).toEqual(expect.arrayContaining(["PIPE-008", "AVD-AWS-0057", "PIPE-001", "PIPE-002", "PIPE-012"]));
  });

  it("one schedule and one state machine per batch source, on the source's expression, starting that source's machine", () => {
    expect(ofType(resources, "aws_sfn_state_machine").map(([k]) => k).sort()).toEqual(["aws_sfn_state_machine.drops_run", "aws_sfn_state_machine.returns_run"]);
    for (const [source, expression] of [
      ["drops", "rate(1 hour)"],
      ["returns", "cron(30 4 * * ? *)"],
    ] as const) {
      const s = get(`aws_scheduler_schedule.${source}_run`);
      expect([s.schedule_expression, s.schedule_expression_timezone, s.target[0].arn]).toEqual([expression, "UTC", `\${aws_sfn_state_machine.${source}_run.arn}`]);
    }
  });

  it("each state machine runs exactly the Glue jobs its source feeds, which the module defines, and may start only those", () => {
    for (const [source, jobs] of [
      ["drops", ["audit", "clean"]],
      ["returns", ["refunds"]],
    ] as const) {
      const def = jsonencoded(get(`aws_sfn_state_machine.${source}_run`).definition);
      const started = [...JSON.stringify(def).matchAll(/\$\{aws_glue_job\.(\w+)\.name\}/g)].map((m) => m[1]!);
      expect([...new Set(started)].sort(), source).toEqual([...jobs]);
      for (const j of jobs) expect(resources.has(`aws_glue_job.${j}`), j).toBe(true);
      const policy = jsonencoded(get(`aws_iam_role_policy.${source}_run`).policy);
      const glue = policy.Statement.find((s: any) => s.Sid === "RunGlueJobs");
      expect(glue.Resource.sort()).toEqual(jobs.map((j) => `\${aws_glue_job.${j}.arn}`));
    }
    // The drops jobs do not read each other: one Parallel step, each branch with its job's retry.
    const drops = jsonencoded(get("aws_sfn_state_machine.drops_run").definition);
    const step = drops.States["Step 1"];
    expect(step.Branches.map((b: any) => [b.StartAt, b.States[b.StartAt].Retry[1]])).toEqual([
      ["Run audit", { ErrorEquals: ["States.ALL"], IntervalSeconds: 300, MaxAttempts: 2, BackoffRate: 2, MaxDelaySeconds: 3600 }],
      ["Run clean", { ErrorEquals: ["States.ALL"], IntervalSeconds: 60, MaxAttempts: 3, BackoffRate: 1.5, MaxDelaySeconds: 3600 }],
    ]);
    // clean's own timeout (30 minutes) bounds its task; audit has the glue_job default (60).
    expect(step.Branches.map((b: any) => b.States[b.StartAt].TimeoutSeconds)).toEqual([60 * 60 + 1800, 30 * 60 + 1800]);
  });

  it("outputs what operators need and declares the pause switches", () => {
    const outputs = merged("output");
    for (const s of ["drops", "returns"]) {
      expect(outputs[`${s}_state_machine_arn`]![0]!.value).toBe(`\${aws_sfn_state_machine.${s}_run.arn}`);
      expect(outputs[`${s}_schedule_name`]![0]!.value).toBe(`\${aws_scheduler_schedule.${s}_run.name}`);
      const v = merged("variable")[`${s}_schedule_enabled`]![0]!;
      expect([v.type, v.default]).toEqual(["${bool}", true]);
    }
  });

  it("the README says how to see, start and pause runs", () => {
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    expect(readme).toContain("## Batch runs");
    expect(readme).toContain("| drops | `rate(1 hour)` | audit + clean |");
    expect(readme).toContain('aws stepfunctions list-executions --state-machine-arn "$(terraform output -raw returns_state_machine_arn)"');
    expect(readme).toContain("-var drops_schedule_enabled=false");
  });
});

describe("deploy policy of the orchestration module", () => {
  const glob = (pattern: string, value: string): boolean =>
    new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))).join("")}$`).test(value);
  const allows = (doc: PolicyDocument, action: string, arn: string): boolean => doc.Statement.some((s) => s.Action.includes(action) && s.Resource.some((r) => glob(r, arn)));
  const P = "${partition}";
  const A = "${account}";
  const R = "us-east-1";

  it("covers the provider's calls on state machines, schedules and the vended log group, scoped to the pipeline", async () => {
    const modules = await scanGenerated(join(import.meta.dirname, "expected"), "expected");
    expect(modules[0]!.types).toEqual(expect.arrayContaining(["aws_scheduler_schedule", "aws_sfn_state_machine"]));
    const policy = deriveDeployPolicy(modules);
    const sm = `arn:${P}:states:${R}:${A}:stateMachine:${PREFIX}-drops-run`;
    for (const c of ["states:CreateStateMachine", "states:DescribeStateMachine", "states:ListStateMachineVersions", "states:ListTagsForResource", "states:UpdateStateMachine", "states:DeleteStateMachine"]) expect(allows(policy, c, sm), c).toBe(true);
    expect(allows(policy, "states:ValidateStateMachineDefinition", "*")).toBe(true);
    const schedule = `arn:${P}:scheduler:${R}:${A}:schedule/default/${PREFIX}-drops-run`;
    for (const c of ["scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"]) expect(allows(policy, c, schedule), c).toBe(true);
    const logs = `arn:${P}:logs:${R}:${A}:log-group:/aws/vendedlogs/states/${PREFIX}-drops-run`;
    for (const c of ["logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:AssociateKmsKey", "logs:DeleteLogGroup"]) expect(allows(policy, c, logs), c).toBe(true);
    for (const c of ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:DeleteLogDelivery"]) expect(allows(policy, c, "*"), c).toBe(true);
    // Roles are passed only to the services that assume them.
    const passes = policy.Statement.filter((s) => s.Action.includes("iam:PassRole")).map((s) => s.Condition?.StringEquals?.["iam:PassedToService"]);
    expect(passes.flat()).toEqual(expect.arrayContaining(["states.amazonaws.com", "scheduler.amazonaws.com"]));
    // Nothing of other pipelines.
    expect(allows(policy, "states:DeleteStateMachine", `arn:${P}:states:${R}:${A}:stateMachine:payments-dev-run`)).toBe(false);
    expect(allows(policy, "scheduler:DeleteSchedule", `arn:${P}:scheduler:${R}:${A}:schedule/default/payments-dev-run`)).toBe(false);
    // Plan (refresh) reads, and validates a changed definition; it creates nothing.
    const read = policyActions(deriveReadPolicy(modules));
    expect(read).toEqual(expect.arrayContaining(["states:DescribeStateMachine", "states:ListStateMachineVersions", "states:ValidateStateMachineDefinition", "scheduler:GetSchedule"]));
    expect(read).not.toContain("states:CreateStateMachine");
    expect(read).not.toContain("scheduler:CreateSchedule");
  });
});
