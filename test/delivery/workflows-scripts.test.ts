/**
 * .github/scripts/pipelines.mjs, the script the workflows run to build their matrices
 * ("which pipelines changed", "which pipelines are ephemeral in dev"), run for real against
 * scratch git repositories.
 */
import { afterEach, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { parse as parseYaml } from "yaml";
import { parse as parseHcl } from "@cdktf/hcl2json";

const repo = join(import.meta.dirname, "../..");
const script = join(repo, ".github/scripts/pipelines.mjs");
const script_ = script;
const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));

const scratch: string[] = [];
afterEach(() => {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", ["-c", "user.email=ci@example.com", "-c", "user.name=ci", "-c", "commit.gpgsign=false", ...args], {
    cwd,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

function commit(root: string, message: string): string {
  git(root, "add", "-A");
  git(root, "commit", "-q", "--allow-empty", "-m", message);
  return git(root, "rev-parse", "HEAD");
}

/** A repository with three pipelines: alpha (dev, prod), beta (dev), gamma (dev, staging, prod). */
function fixture(): { root: string; base: string } {
  const root = mkdtempSync(join(tmpdir(), "pipegen-workflow-scripts-"));
  scratch.push(root);
  git(root, "init", "-q", "-b", "main");
  write(root, {
    "pipelines/alpha.yaml": "pipeline: alpha\n",
    "generated/alpha/main.tf": "# alpha\n",
    "generated/alpha/environments/dev.tfvars": 'environment = "dev"\nephemeral   = true\n',
    "generated/alpha/environments/prod.tfvars": 'environment = "prod"\nephemeral   = false\n',
    "generated/beta/main.tf": "# beta\n",
    "generated/beta/environments/dev.tfvars": 'environment = "dev"\nephemeral = false # kept\n',
    "generated/gamma/main.tf": "# gamma\n",
    "generated/gamma/environments/prod.tfvars": 'environment = "prod"\n',
    "generated/gamma/environments/staging.tfvars": 'environment = "staging"\n',
    "generated/gamma/environments/dev.tfvars": 'environment = "dev"\nephemeral = true   # torn down nightly\n',
    ".tflint.hcl": "# config\n",
  });
  return { root, base: commit(root, "base") };
}

interface Result {
  status: number | null;
  stderr: string;
  outputs: Record<string, unknown>;
  githubOutput: string;
}

function run(root: string, ...args: string[]): Result {
  // Outside the work tree, so it never ends up in a fixture commit.
  const outFile = `${root}.github-output`;
  scratch.push(outFile);
  writeFileSync(outFile, "");
  const r = spawnSync(process.execPath, [script, ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, GITHUB_OUTPUT: outFile },
  });
  const outputs: Record<string, unknown> = {};
  for (const line of r.stdout.split("\n").filter(Boolean)) {
    const at = line.indexOf("=");
    outputs[line.slice(0, at)] = JSON.parse(line.slice(at + 1));
  }
  return { status: r.status, stderr: r.stderr, outputs, githubOutput: readFileSync(outFile, "utf8") };
}

const m = (pipeline: string, environment: string) => ({ pipeline, environment });

describe("pipelines.mjs changed", () => {
  it("selects pipelines whose generated module changed, every environment, dev first and prod last", () => {
    const { root, base } = fixture();
    write(root, { "generated/gamma/main.tf": "# gamma changed\n", "generated/alpha/environments/prod.tfvars": 'environment = "prod"\n' });
    const head = commit(root, "change alpha and gamma");
    const r = run(root, "changed", "--base", base, "--head", head);
    expect(r.status).toBe(0);
    expect(r.outputs).toEqual({
      pipelines: ["alpha", "gamma"],
      matrix: [m("alpha", "dev"), m("gamma", "dev"), m("gamma", "staging"), m("alpha", "prod"), m("gamma", "prod")],
      matrix_dev: [m("alpha", "dev"), m("gamma", "dev")],
      matrix_later: [m("gamma", "staging"), m("alpha", "prod"), m("gamma", "prod")],
    });
    // The same lines land in $GITHUB_OUTPUT as step outputs.
    expect(r.githubOutput).toBe(
      'pipelines=["alpha","gamma"]\n' +
        `matrix=${JSON.stringify(r.outputs.matrix)}\n` +
        `matrix_dev=${JSON.stringify(r.outputs.matrix_dev)}\n` +
        `matrix_later=${JSON.stringify(r.outputs.matrix_later)}\n`,
    );
  });

  it("ignores changes outside generated/ (a stale build is the check job's business)", () => {
    const { root, base } = fixture();
    write(root, { "pipelines/alpha.yaml": "pipeline: alpha\ndescription: x\n", "README.md": "x\n" });
    const head = commit(root, "spec only");
    expect(run(root, "changed", "--base", base, "--head", head).outputs).toEqual({
      pipelines: [],
      matrix: [],
      matrix_dev: [],
      matrix_later: [],
    });
  });

  it("does not confuse pipelines sharing a prefix", () => {
    const { root, base } = fixture();
    write(root, { "generated/alpha-two/main.tf": "# alpha-two\n", "generated/alpha-two/environments/dev.tfvars": "" });
    const head = commit(root, "add alpha-two");
    expect(run(root, "changed", "--base", base, "--head", head).outputs.pipelines).toEqual(["alpha-two"]);
  });

  it("--all-when: a change to a listed file selects every pipeline", () => {
    const { root, base } = fixture();
    write(root, { ".tflint.hcl": "# stricter\n" });
    const head = commit(root, "lint config");
    expect(run(root, "changed", "--base", base, "--head", head).outputs.pipelines).toEqual([]);
    expect(run(root, "changed", "--base", base, "--head", head, "--all-when", ".tflint.hcl").outputs.pipelines).toEqual(["alpha", "beta", "gamma"]);
  });

  it("a base that cannot be diffed (new branch: all zeros; force push: gone; none) selects every pipeline", () => {
    const { root } = fixture();
    for (const base of ["0000000000000000000000000000000000000000", "1234567890abcdef1234567890abcdef12345678", ""]) {
      const r = run(root, "changed", "--base", base, "--head", "HEAD");
      expect(r.status, base).toBe(0);
      expect(r.outputs.pipelines, base).toEqual(["alpha", "beta", "gamma"]);
      expect(r.stderr).toMatch(/selecting every pipeline/);
    }
  });

  it("a deleted pipeline is not planned (its module is gone)", () => {
    const { root, base } = fixture();
    rmSync(join(root, "generated/beta"), { recursive: true });
    const head = commit(root, "remove beta");
    expect(run(root, "changed", "--base", base, "--head", head).outputs.pipelines).toEqual([]);
  });

  it("refuses names pipegen cannot produce instead of passing them to shell steps", () => {
    const { root, base } = fixture();
    write(root, { "generated/Bad$(id)/environments/dev.tfvars": "" });
    const head = commit(root, "hostile");
    const r = run(root, "changed", "--base", base, "--head", head);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a pipeline name pipegen can produce/);
    expect(r.githubOutput).toBe("");
  });

  it("refuses environment names pipegen cannot produce", () => {
    const { root, base } = fixture();
    write(root, { "generated/alpha/environments/prod;rm.tfvars": "" });
    const head = commit(root, "hostile env");
    const r = run(root, "changed", "--base", base, "--head", head);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not an environment name/);
  });

  it("rejects unknown arguments and commands", () => {
    const { root } = fixture();
    expect(run(root, "changed", "--bsae", "x").status).toBe(2);
    expect(run(root, "frobnicate").status).toBe(2);
  });
});

describe("pipelines.mjs ephemeral", () => {
  it("lists pipelines whose dev tfvars say ephemeral = true (comments allowed, commented-out lines not)", () => {
    const { root } = fixture();
    write(root, { "generated/delta/environments/dev.tfvars": "# ephemeral = true\n", "generated/delta/main.tf": "" });
    expect(run(root, "ephemeral", "--environment", "dev").outputs).toEqual({ pipelines: ["alpha", "gamma"] });
    expect(run(root, "ephemeral").outputs).toEqual({ pipelines: ["alpha", "gamma"] });
    expect(run(root, "ephemeral", "--environment", "prod").outputs).toEqual({ pipelines: [] });
  });

  it("--only narrows to one pipeline, and only if it is ephemeral", () => {
    const { root } = fixture();
    expect(run(root, "ephemeral", "--only", "gamma").outputs).toEqual({ pipelines: ["gamma"] });
    expect(run(root, "ephemeral", "--only", "beta").outputs).toEqual({ pipelines: [] });
    expect(run(root, "ephemeral", "--only", "x; rm -rf /").status).toBe(2);
  });

  it("on this repository: the reference pipeline is ephemeral in dev, never in prod", () => {
    const dev = spawnSync(process.execPath, [script, "ephemeral", "--environment", "dev"], { cwd: repo, encoding: "utf8", env: { ...process.env, GITHUB_OUTPUT: "" } });
    expect(dev.stdout).toMatch(/^pipelines=\[.*"temperature".*\]$/m);
    const prod = spawnSync(process.execPath, [script, "ephemeral", "--environment", "prod"], { cwd: repo, encoding: "utf8", env: { ...process.env, GITHUB_OUTPUT: "" } });
    expect(prod.stdout).not.toContain("temperature");
  });
});

// ---------------------------------------------------------------------------------------------
// The inline scripts of the workflows, executed here with stub tools (GitHub runs `run:` steps
// as `bash --noprofile --norc -eo pipefail <file>` and github-script as an async function).

interface WfStep {
  id?: string;
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

function workflowStep(file: string, job: string, pick: (s: WfStep) => boolean): WfStep {
  const wf = parseYaml(readFileSync(join(repo, ".github/workflows", file), "utf8")) as { jobs: Record<string, { steps: WfStep[] }> };
  const step = wf.jobs[job]?.steps.find(pick);
  if (!step) throw new Error(`${file}: job ${job} has no such step`);
  return step;
}

interface BashRun {
  status: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  dir: string;
}

/** Runs a step's script in a scratch directory with `stubs` (name -> bash body) first on PATH. */
function runStep(script: string, env: Record<string, string>, stubs: Record<string, string>, files: Record<string, string> = {}): BashRun {
  const dir = mkdtempSync(join(tmpdir(), "pipegen-step-"));
  scratch.push(dir);
  const bin = join(dir, ".bin");
  const temp = join(dir, ".runner-temp");
  mkdirSync(bin);
  mkdirSync(temp);
  for (const [name, body] of Object.entries(stubs)) writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  write(dir, files);
  const outputFile = join(temp, "output");
  const summaryFile = join(temp, "summary");
  writeFileSync(outputFile, "");
  writeFileSync(summaryFile, "");
  writeFileSync(join(temp, "step.sh"), script);
  const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", join(temp, "step.sh")], {
    cwd: dir,
    encoding: "utf8",
    env: {
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      HOME: dir,
      RUNNER_TEMP: temp,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      ...env,
    },
  });
  const outputs: Record<string, string> = {};
  for (const line of readFileSync(outputFile, "utf8").split("\n").filter(Boolean)) {
    const at = line.indexOf("=");
    outputs[line.slice(0, at)] = line.slice(at + 1);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, outputs, summary: readFileSync(summaryFile, "utf8"), dir };
}

describe("pipelines-pr.yml plan job scripts", () => {
  const report = workflowStep("pipelines-pr.yml", "plan", (s) => s.id === "report");
  const env = { PIPELINE: "temperature", ENVIRONMENT: "prod", PR_LABELS: "docs,allow-stateful-changes", RUN_URL: "https://github.example/run/1" };
  // A stand-in for `npx pipegen plan-report`: records its arguments, prints a body, exits $STUB_EXIT.
  const npx = (exit: number, body: string) => ({
    npx: `printf '%s\\n' "$@" > "$RUNNER_TEMP/npx-args"\nprintf '%s' ${JSON.stringify(body)}\nexit ${exit}`,
  });

  it("passes pipeline, environment, --guard and the PR labels to plan-report, and keeps its body", () => {
    const r = runStep(str(report.run), env, npx(0, "## plan: 2 to add"), { "plan.json": "{}" });
    expect(r.status).toBe(0);
    expect(readFileSync(join(r.dir, ".runner-temp/npx-args"), "utf8").split("\n").filter(Boolean)).toEqual([
      "pipegen", "plan-report", "plan.json", "--pipeline", "temperature", "--environment", "prod",
      "--guard", "--labels", "docs,allow-stateful-changes", "--allow-label", "allow-stateful-changes",
    ]);
    expect(r.outputs.status).toBe("0");
    expect(readFileSync(r.outputs.body!, "utf8")).toBe("## plan: 2 to add");
    expect(r.summary).toContain("## plan: 2 to add");
  });

  it("a tripped guard still yields the body to post, and status 1 for the enforcing step", () => {
    const r = runStep(str(report.run), env, npx(1, "## DANGER: replaces aws_dynamodb_table.averages"), { "plan.json": "{}" });
    expect(r.status).toBe(0);
    expect(r.outputs.status).toBe("1");
    expect(readFileSync(r.outputs.body!, "utf8")).toContain("DANGER");
  });

  it("no plan (terraform failed): a fallback comment linking the run, and status 1", () => {
    const r = runStep(str(report.run), env, npx(0, "never called"));
    expect(r.outputs.status).toBe("1");
    const body = readFileSync(r.outputs.body!, "utf8");
    expect(body).toContain("### Terraform plan for `temperature` (prod) failed");
    expect(body).toContain("(https://github.example/run/1)");
    expect(existsSync(join(r.dir, ".runner-temp/npx-args"))).toBe(false);
  });

  it("plan-report crashing without output: fallback body, its exit status kept", () => {
    const r = runStep(str(report.run), env, npx(3, ""), { "plan.json": "{}" });
    expect(r.outputs.status).toBe("3");
    expect(readFileSync(r.outputs.body!, "utf8")).toContain("failed");
  });

  it("labels with shell metacharacters stay data", () => {
    const r = runStep(str(report.run), { ...env, PR_LABELS: '$(touch pwned),"; rm -rf .;"' }, npx(0, "ok"), { "plan.json": "{}" });
    expect(r.status).toBe(0);
    expect(existsSync(join(r.dir, "pwned"))).toBe(false);
    expect(readFileSync(join(r.dir, ".runner-temp/npx-args"), "utf8")).toContain('$(touch pwned),"; rm -rf .;"');
  });

  it("with the real plan-report: a replaced table blocks the PR until the allow label is there", () => {
    const fixture = join(repo, "test/delivery/fixtures/plans/replace-table.json");
    // `npx pipegen ...` as in the repository: the project's own bin.
    const realNpx = { npx: `[ "$1" = pipegen ] || exit 97\nshift\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(repo, "bin/pipegen.js"))} "$@"` };
    const files = { "plan.json": readFileSync(fixture, "utf8") };
    const blocked = runStep(str(report.run), { ...env, PR_LABELS: "docs" }, realNpx, files);
    expect(blocked.status).toBe(0);
    expect(blocked.outputs.status).toBe("1");
    const body = readFileSync(blocked.outputs.body!, "utf8");
    expect(body.startsWith("<!-- pipegen-plan:temperature:prod -->")).toBe(true);
    expect(body).toContain("aws_dynamodb_table.averages");
    const allowed = runStep(str(report.run), { ...env, PR_LABELS: "docs,allow-stateful-changes" }, realNpx, files);
    expect(allowed.outputs.status).toBe("0");
  });

  it("the fork step explains itself in an annotation and in the step summary", () => {
    const fork = workflowStep("pipelines-pr.yml", "plan", (s) => /fork/i.test(s.name ?? "") && !!s.run);
    const r = runStep(str(fork.run), env, {});
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^::notice title=pipegen plan skipped \(fork PR\)::.*Plans for fork PRs run after a maintainer pushes the branch to this repository/m);
    expect(r.summary).toContain("this pull request comes from a fork");
  });

  it("the enforcing step fails the job", () => {
    const enforce = workflowStep("pipelines-pr.yml", "plan", (s) => /enforce/.test(s.name ?? ""));
    const r = runStep(str(enforce.run), { ...env, GUARD_STATUS: "1" }, {});
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^::error title=pipegen plan guard::/m);
  });
});

describe("pipelines-pr.yml sticky comment script", () => {
  const step = workflowStep("pipelines-pr.yml", "plan", (s) => str(s.uses).startsWith("actions/github-script@"));
  const script = str(step.with?.script);
  const MARKER = "<!-- pipegen-plan:temperature:prod -->";

  interface Comment {
    id: number;
    body: string;
    user: { type: string };
  }

  async function runComment(existing: Comment[], bodyText: string) {
    const dir = mkdtempSync(join(tmpdir(), "pipegen-comment-"));
    scratch.push(dir);
    const bodyFile = join(dir, "body.md");
    writeFileSync(bodyFile, bodyText);
    const calls: Array<[string, Record<string, unknown>]> = [];
    const listComments = async () => ({ data: existing });
    const github = {
      paginate: async (fn: unknown, params: Record<string, unknown>) => {
        calls.push(["paginate", params]);
        expect(fn).toBe(listComments);
        return existing;
      },
      rest: {
        issues: {
          listComments,
          updateComment: async (p: Record<string, unknown>) => {
            calls.push(["updateComment", p]);
            return { data: {} };
          },
          createComment: async (p: Record<string, unknown>) => {
            calls.push(["createComment", p]);
            return { data: { id: 99 } };
          },
        },
      },
    };
    const context = { repo: { owner: "acme", repo: "pipelines" }, payload: { pull_request: { number: 7 } } };
    const core = { info: () => undefined };
    const saved = { MARKER: process.env.MARKER, BODY_FILE: process.env.BODY_FILE };
    process.env.MARKER = MARKER;
    process.env.BODY_FILE = bodyFile;
    try {
      const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<unknown>;
      await new AsyncFunction("require", "github", "context", "core", script)(createRequire(import.meta.url), github, context, core);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    return calls;
  }

  it("creates the comment, marker first, when there is none", async () => {
    const calls = await runComment([{ id: 1, body: "LGTM", user: { type: "User" } }], "## plan");
    expect(calls).toEqual([
      ["paginate", { owner: "acme", repo: "pipelines", issue_number: 7, per_page: 100 }],
      ["createComment", { owner: "acme", repo: "pipelines", issue_number: 7, body: `${MARKER}\n## plan` }],
    ]);
  });

  it("updates its own comment in place on the next push", async () => {
    const calls = await runComment(
      [
        { id: 1, body: "<!-- pipegen-plan:temperature:dev -->\nold dev plan", user: { type: "Bot" } },
        { id: 2, body: `${MARKER}\nold prod plan`, user: { type: "Bot" } },
      ],
      "## new plan",
    );
    expect(calls.slice(1)).toEqual([["updateComment", { owner: "acme", repo: "pipelines", comment_id: 2, body: `${MARKER}\n## new plan` }]]);
  });

  it("does not repeat the marker plan-report already wrote", async () => {
    const calls = await runComment([], `${MARKER}\n## plan`);
    expect(calls[1]).toEqual(["createComment", { owner: "acme", repo: "pipelines", issue_number: 7, body: `${MARKER}\n## plan` }]);
  });

  it("never edits a person's comment that quotes the marker", async () => {
    const calls = await runComment([{ id: 3, body: `see ${MARKER}`, user: { type: "User" } }], "## plan");
    expect(calls.map(([name]) => name)).toEqual(["paginate", "createComment"]);
  });
});

describe("pipelines-pr.yml lint job scripts", () => {
  it("runs tflint once per environment with the repository config and that environment's tfvars, failing if any run fails", () => {
    const step = workflowStep("pipelines-pr.yml", "lint", (s) => /tflint --chdir/.test(str(s.run)));
    const stub = { tflint: `printf '%s\\n' "$*" >> "$RUNNER_TEMP/tflint-calls"\ncase "$*" in *prod.tfvars*) exit 2;; esac` };
    const files = { "generated/temperature/environments/dev.tfvars": "", "generated/temperature/environments/prod.tfvars": "" };
    const r = runStep(str(step.run), { PIPELINE: "temperature", GITHUB_WORKSPACE: "/ws" }, stub, files);
    expect(r.status).toBe(1);
    expect(readFileSync(join(r.dir, ".runner-temp/tflint-calls"), "utf8").split("\n").filter(Boolean)).toEqual([
      "--init --config /ws/.tflint.hcl",
      "--chdir generated/temperature --config /ws/.tflint.hcl --var-file /ws/generated/temperature/environments/dev.tfvars --minimum-failure-severity=notice",
      "--chdir generated/temperature --config /ws/.tflint.hcl --var-file /ws/generated/temperature/environments/prod.tfvars --minimum-failure-severity=notice",
    ]);
  });

  it("lists trivy SARIF findings in the log", () => {
    const step = workflowStep("pipelines-pr.yml", "lint", (s) => /jq -r/.test(str(s.run)));
    const sarif = {
      runs: [
        {
          results: [
            {
              ruleId: "AVD-AWS-0088",
              message: { text: "Bucket does not have encryption enabled\nmore" },
              locations: [{ physicalLocation: { artifactLocation: { uri: "generated/temperature/lake.tf" }, region: { startLine: 3 } } }],
            },
          ],
        },
      ],
    };
    const r = runStep(str(step.run), { PIPELINE: "temperature" }, {}, { "trivy-temperature.sarif": JSON.stringify(sarif) });
    // jq is on GitHub's ubuntu runners; it must be on PATH here too for this test.
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("AVD-AWS-0088\tgenerated/temperature/lake.tf:3\tBucket does not have encryption enabled\n");
  });
});

describe("changed/ephemeral steps as the workflows call them", () => {
  it("pipelines-destroy.yml: with and without the workflow_dispatch pipeline input", () => {
    const step = workflowStep("pipelines-destroy.yml", "ephemeral", (s) => s.id === "list");
    const script = str(step.run).replace("node .github/scripts/pipelines.mjs", `"${process.execPath}" "${script_}"`);
    const all = runStep(`cd "${repo}"\n${script}`, { ONLY: "" }, {});
    expect(all.status).toBe(0);
    expect(all.outputs.pipelines).toMatch(/"temperature"/);
    const one = runStep(`cd "${repo}"\n${script}`, { ONLY: "temperature" }, {});
    expect(one.outputs.pipelines).toBe('["temperature"]');
    const none = runStep(`cd "${repo}"\n${script}`, { ONLY: "not-a-pipeline" }, {});
    expect(none.outputs.pipelines).toBe("[]");
    const hostile = runStep(`cd "${repo}"\n${script}`, { ONLY: "x --environment prod" }, {});
    expect(hostile.status).toBe(2);
  });
});

describe("pipegen.yml provider seeding step", () => {
  it("writes a module pinning the suite's AWS provider, fills a plugin cache and exports PIPEGEN_TF_PLUGIN_DIR", async () => {
    const step = workflowStep("pipegen.yml", "test", (s) => /PIPEGEN_TF_PLUGIN_DIR/.test(str(s.run)));
    const stub = {
      terraform: [
        'dir="${1#-chdir=}"',
        'cp "$dir/main.tf" "$RUNNER_TEMP/seed.tf"',
        'printf "%s\\n" "$TF_PLUGIN_CACHE_DIR" "${@:2}" > "$RUNNER_TEMP/terraform-call"',
      ].join("\n"),
    };
    const envFile = join(tmpdir(), `pipegen-github-env-${process.pid}`);
    scratch.push(envFile);
    writeFileSync(envFile, "");
    const r = runStep(str(step.run), { TF_AWS_PROVIDER_VERSION: "5.100.0", GITHUB_ENV: envFile }, stub);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const temp = join(r.dir, ".runner-temp");
    const seed = (await parseHcl("main.tf", readFileSync(join(temp, "seed.tf"), "utf8"))) as {
      terraform: Array<{ required_providers: Array<Record<string, { source: string; version: string }>> }>;
    };
    expect(seed.terraform[0]?.required_providers[0]?.aws).toEqual({ source: "hashicorp/aws", version: "5.100.0" });
    expect(readFileSync(join(temp, "terraform-call"), "utf8").split("\n").filter(Boolean)).toEqual([
      join(temp, "tf-plugins"),
      "init",
      "-backend=false",
      "-input=false",
    ]);
    expect(readFileSync(envFile, "utf8")).toBe(`PIPEGEN_TF_PLUGIN_DIR=${join(temp, "tf-plugins")}\n`);
  });
});
