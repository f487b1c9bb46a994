/**
 * Tests of the Terraform + moto harness in test/support/, run for real: a real moto_server,
 * the real Terraform CLI and the local hashicorp/aws mirror. Missing tools FAIL these tests.
 */
import { spawn } from "node:child_process";
import { existsSync, lstatSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  MOTO_DRIFT_ALLOWLIST,
  attributeChanges,
  explainedChanges,
  formatDrift,
  unexpectedChanges,
} from "../support/drift-allowlist.ts";
import {
  MOTO_OVERRIDE_FILE,
  MOTO_SERVICES,
  inspectModule,
  prepareModuleForMoto,
  renderMotoOverride,
} from "../support/emulated-module.ts";
import { pidAlive, startMoto, type MotoServer } from "../support/moto.ts";
import {
  TerraformError,
  apply,
  destroy,
  fmtCheck,
  init,
  outputs,
  planDetailed,
  terraformPlatform,
  validate,
  type DetailedPlan,
  type PlanJson,
} from "../support/terraform.ts";
import { MissingToolError, PLUGIN_DIR_ENV, findMotoServer, findPluginDir, findTerraform, requireTool } from "../support/tools.ts";

const here = dirname(fileURLToPath(import.meta.url));
const TINY_MODULE = join(here, "fixtures", "tiny-module");
const ALIASED_MODULE = join(here, "fixtures", "aliased-module");
const MOTO_CHILD = join(here, "fixtures", "moto-child.ts");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await sleep(100);
  }
  return !pidAlive(pid);
}

/** Assert a re-plan is clean modulo the drift allowlist; print what was tolerated. */
function expectNoUnexpectedDrift(result: DetailedPlan): void {
  const unexpected = unexpectedChanges(result.plan);
  const explained = explainedChanges(result.plan);
  if (explained.length > 0) console.info(formatDrift([], explained));
  expect(unexpected, `${formatDrift(unexpected, explained)}\n--- plan ---\n${result.stdout}`).toEqual([]);
  if (result.exitCode === 2) {
    // Exit code 2 is only acceptable when every change was explained by the allowlist.
    expect(explained.length, result.stdout).toBeGreaterThan(0);
  }
}

describe("tools", () => {
  test("finds terraform, moto_server and the provider mirror", () => {
    expect(existsSync(findTerraform())).toBe(true);
    expect(existsSync(findMotoServer())).toBe(true);
    const pluginDir = findPluginDir();
    expect(existsSync(join(pluginDir, "registry.terraform.io", "hashicorp", "aws", "5.100.0"))).toBe(true);
  });

  test("a missing tool throws loudly instead of skipping", () => {
    expect(() => requireTool("pipegen-no-such-tool-xyz")).toThrow(MissingToolError);
    expect(() => requireTool("pipegen-no-such-tool-xyz")).toThrow(/MISSING TOOL: pipegen-no-such-tool-xyz[\s\S]*not found on PATH/);
  });

  test("a bad PIPEGEN_TF_PLUGIN_DIR throws instead of silently searching elsewhere", () => {
    const saved = process.env[PLUGIN_DIR_ENV];
    process.env[PLUGIN_DIR_ENV] = join(tmpdir(), "pipegen-no-such-mirror");
    try {
      expect(() => findPluginDir()).toThrow(/MISSING TOOL: terraform provider mirror[\s\S]*PIPEGEN_TF_PLUGIN_DIR/);
    } finally {
      if (saved === undefined) delete process.env[PLUGIN_DIR_ENV];
      else process.env[PLUGIN_DIR_ENV] = saved;
    }
  });

  test("PIPEGEN_TF_PLUGIN_DIR may name the registry.terraform.io dir itself", () => {
    const real = findPluginDir();
    const saved = process.env[PLUGIN_DIR_ENV];
    process.env[PLUGIN_DIR_ENV] = join(real, "registry.terraform.io");
    try {
      expect(findPluginDir()).toBe(real);
    } finally {
      if (saved === undefined) delete process.env[PLUGIN_DIR_ENV];
      else process.env[PLUGIN_DIR_ENV] = saved;
    }
  });
});

describe("emulated module override (static)", () => {
  test("inspectModule sees backend, cloud and aliases", async () => {
    expect(await inspectModule(TINY_MODULE)).toEqual({
      awsProviderAliases: [],
      hasDefaultAwsProvider: true,
      backendType: "s3",
      hasCloudBlock: false,
    });
    expect(await inspectModule(ALIASED_MODULE)).toEqual({
      awsProviderAliases: ["replica"],
      hasDefaultAwsProvider: true,
      hasCloudBlock: true,
    });
  });

  test("override points every project service at the endpoint", () => {
    const text = renderMotoOverride({ endpoint: "http://127.0.0.1:1234", aliases: ["replica"], replaceBackend: true });
    for (const svc of MOTO_SERVICES) {
      expect(text).toMatch(new RegExp(`\\n\\s+${svc}\\s+= "http://127\\.0\\.0\\.1:1234"\\n`));
    }
    expect(text).toContain('backend "local" {}');
    expect(text).toContain('alias = "replica"');
    expect(text.match(/provider "aws" \{/g)).toHaveLength(2);
  });

  test("prepared copy is fmt-clean and validates, including aliased provider and cloud block", async () => {
    const dir = await prepareModuleForMoto(ALIASED_MODULE, "http://127.0.0.1:1");
    try {
      expect(existsSync(join(dir, MOTO_OVERRIDE_FILE))).toBe(true);
      await fmtCheck(dir);
      await init(dir, { backend: false });
      const result = await validate(dir);
      expect(result.valid).toBe(true);
      expect(result.error_count).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  test("validate returns diagnostics with allowInvalid and throws the full output without it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pipegen-invalid-"));
    try {
      await writeFile(join(dir, "main.tf"), 'resource "aws_s3_bucket" "b" {\n  no_such_argument = 1\n}\n');
      await init(dir, { backend: false });
      const result = await validate(dir, { allowInvalid: true });
      expect(result.valid).toBe(false);
      expect(result.diagnostics.some((d) => d.severity === "error" && /Unsupported argument/.test(d.summary))).toBe(true);
      await expect(validate(dir)).rejects.toThrow(TerraformError);
      await expect(validate(dir)).rejects.toThrow(/Unsupported argument[\s\S]*--- stdout ---/);
      // fmt -check failure also throws with the output
      await writeFile(join(dir, "ugly.tf"), 'locals {\nx=1\n}\n');
      await expect(fmtCheck(dir)).rejects.toThrow(/ugly\.tf/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe("moto + terraform end to end", () => {
  let moto: MotoServer | undefined;
  const dirs: string[] = [];

  beforeAll(async () => {
    moto = await startMoto();
  }, 120_000);

  afterAll(async () => {
    await moto?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }, 60_000);

  test("moto answers on 127.0.0.1 only", async () => {
    expect(moto).toBeDefined();
    const m = moto!;
    expect(m.endpoint).toBe(`http://127.0.0.1:${m.port}`);
    const res = await fetch(`${m.endpoint}/moto-api/`);
    expect(res.status).toBeLessThan(500);
    expect(pidAlive(m.pid)).toBe(true);
    // Every listening socket on moto's port is bound to 127.0.0.1 (Linux /proc view).
    const portHex = m.port.toString(16).toUpperCase().padStart(4, "0");
    const listeners: string[] = [];
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      const text = await readFile(table, "utf8").catch(() => "");
      for (const line of text.split("\n").slice(1)) {
        const cols = line.trim().split(/\s+/);
        const [, local, , state] = cols;
        if (local?.endsWith(`:${portHex}`) && state === "0A") listeners.push(local);
      }
    }
    expect(listeners).toEqual([`0100007F:${portHex}`]);
  });

  test("tiny module: apply, clean re-plan, destroy", async () => {
    const m = moto!;
    const dir = await prepareModuleForMoto(TINY_MODULE, m.endpoint);
    dirs.push(dir);
    // The original backend "s3" and the non-existent profile would fail without the override.
    await fmtCheck(dir);
    await init(dir);
    // Provider linked from the shared plugin cache, not a 700 MB copy per working dir.
    const platformDir = join(dir, ".terraform", "providers", "registry.terraform.io", "hashicorp", "aws", "5.100.0", terraformPlatform());
    expect(lstatSync(platformDir).isSymbolicLink()).toBe(true);
    await apply(dir, { name_prefix: "pipegen-h1" });

    const out = await outputs(dir);
    expect(out.bucket).toBe("pipegen-h1-raw");
    expect(String(out.stream_arn)).toMatch(/^arn:aws:kinesis:us-east-1:123456789012:stream\/pipegen-h1-events$/);
    // local backend took over from the s3 one
    expect(existsSync(join(dir, "terraform.tfstate"))).toBe(true);

    // The resources really exist in moto, and default_tags from the module's own provider
    // block survived the override (provider override merges arguments, keeps default_tags).
    const tagging = await (await fetch(`${m.endpoint}/pipegen-h1-raw?tagging`)).text();
    expect(tagging).toContain("<Key>Project</Key><Value>pipegen</Value>");
    expect(tagging).toContain("<Key>ManagedBy</Key><Value>terraform</Value>");
    const versioning = await (await fetch(`${m.endpoint}/pipegen-h1-raw?versioning`)).text();
    expect(versioning).toContain("<Status>Enabled</Status>");

    const replan = await planDetailed(dir, { name_prefix: "pipegen-h1" });
    expectNoUnexpectedDrift(replan);

    await destroy(dir, { name_prefix: "pipegen-h1" });
    const state = JSON.parse(await readFile(join(dir, "terraform.tfstate"), "utf8")) as { resources: unknown[] };
    expect(state.resources).toEqual([]);
    const gone = await fetch(`${m.endpoint}/pipegen-h1-raw`, { method: "HEAD" });
    expect(gone.status).toBe(404);
  }, 480_000);

  test("aliased module: both providers go to moto, cloud block replaced", async () => {
    const m = moto!;
    const dir = await prepareModuleForMoto(ALIASED_MODULE, m.endpoint);
    dirs.push(dir);
    await init(dir);
    await apply(dir);
    // Both buckets exist in moto: the aliased provider (eu-west-2 in the module) was
    // redirected too, and forced to us-east-1.
    for (const bucket of ["pipegen-harness-primary", "pipegen-harness-replica"]) {
      const head = await fetch(`${m.endpoint}/${bucket}`, { method: "HEAD" });
      expect(head.status, bucket).toBe(200);
    }
    const state = JSON.parse(await readFile(join(dir, "terraform.tfstate"), "utf8")) as {
      resources: { name: string; instances: { attributes: { region: string } }[] }[];
    };
    expect(state.resources.map((r) => [r.name, r.instances[0]?.attributes.region])).toEqual([
      ["primary", "us-east-1"],
      ["replica", "us-east-1"],
    ]);
    // No re-plan/destroy here: each terraform command restarts the 700 MB provider (10-20 s
    // on a loaded 2-core box) and the tiny-module test already covers both.
  }, 300_000);

  test("stop() kills moto by PID and waits for it", async () => {
    const m = moto!;
    const pid = m.pid;
    await m.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    await m.stop(); // idempotent
    moto = undefined;
  }, 60_000);
});

describe("moto never outlives a crashed test process", () => {
  async function runChild(mode: "throw" | "hang"): Promise<{ motoPid: number; child: ReturnType<typeof spawn> }> {
    const child = spawn(process.execPath, ["--import", "tsx", MOTO_CHILD, mode], {
      cwd: join(here, "..", ".."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const motoPid = await new Promise<number>((resolvePid, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line && out.includes("\n")) resolvePid((JSON.parse(line) as { pid: number }).pid);
      });
      child.once("exit", (code) => reject(new Error(`child exited (${String(code)}) before reporting moto pid\n${out}\n${err}`)));
    });
    return { motoPid, child };
  }

  test("uncaught exception: the exit hook kills moto", async () => {
    const { motoPid, child } = await runChild("throw");
    expect(pidAlive(motoPid)).toBe(true);
    await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once("exit", () => r())));
    expect(await waitUntilGone(motoPid, 10_000)).toBe(true);
  }, 120_000);

  test("SIGKILLed test process: the watchdog kills moto", async () => {
    const { motoPid, child } = await runChild("hang");
    expect(pidAlive(motoPid)).toBe(true);
    child.kill("SIGKILL");
    expect(await waitUntilGone(motoPid, 15_000)).toBe(true);
  }, 120_000);
});

describe("drift allowlist (unit)", () => {
  const plan = (resource_changes: PlanJson["resource_changes"], output_changes?: PlanJson["output_changes"]): PlanJson => ({
    format_version: "1.2",
    resource_changes,
    ...(output_changes ? { output_changes } : {}),
  });

  const kinesisTagDrift = {
    address: "aws_kinesis_stream.events",
    mode: "managed" as const,
    type: "aws_kinesis_stream",
    name: "events",
    change: {
      actions: ["update"],
      before: { name: "s", shard_count: 1, tags: {}, tags_all: {} },
      after: { name: "s", shard_count: 1, tags: { Stream: "events" }, tags_all: { Stream: "events", Project: "pipegen" } },
      after_unknown: {},
    },
  };

  test("allowlisted kinesis tag drift is explained, not unexpected", () => {
    const p = plan([kinesisTagDrift]);
    expect(unexpectedChanges(p)).toEqual([]);
    expect(explainedChanges(p).map((e) => e.path).sort()).toEqual(["tags.Stream", "tags_all.Project", "tags_all.Stream"]);
  });

  test("a change outside the allowlist is reported", () => {
    const drift = structuredClone(kinesisTagDrift);
    drift.change.after.shard_count = 2;
    const unexpected = unexpectedChanges(plan([drift]));
    expect(unexpected).toHaveLength(1);
    expect(unexpected[0]!.address).toBe("aws_kinesis_stream.events");
    expect(unexpected[0]!.attributes.map((a) => a.path)).toEqual(["shard_count"]);
    expect(formatDrift(unexpected)).toMatch(/shard_count: 1 -> 2/);
  });

  test("same attribute on another resource type is NOT explained", () => {
    const p = plan([{ ...kinesisTagDrift, address: "aws_sqs_queue.q", type: "aws_sqs_queue", name: "q" }]);
    expect(unexpectedChanges(p).map((u) => u.address)).toEqual(["aws_sqs_queue.q"]);
  });

  test("allowlisted attribute in a replace/create/delete action is NOT explained", () => {
    for (const actions of [["delete", "create"], ["create"], ["delete"], ["read"]]) {
      const c = structuredClone(kinesisTagDrift);
      c.change.actions = actions;
      expect(unexpectedChanges(plan([c])), actions.join("+")).toHaveLength(1);
    }
  });

  test("no-op changes are ignored; output changes are reported", () => {
    const noop = structuredClone(kinesisTagDrift);
    noop.change.actions = ["no-op"];
    expect(unexpectedChanges(plan([noop]))).toEqual([]);
    const withOutput = plan([], { arn: { actions: ["update"], before: "a", after: "b" } });
    expect(unexpectedChanges(withOutput).map((u) => u.address)).toEqual(["output.arn"]);
  });

  test("policy drift is allowed only when the JSON is equivalent", () => {
    const policy = (before: string, after: string) =>
      plan([
        {
          address: "aws_iam_role.r",
          mode: "managed",
          type: "aws_iam_role",
          name: "r",
          change: { actions: ["update"], before: { assume_role_policy: before }, after: { assume_role_policy: after }, after_unknown: {} },
        },
      ]);
    const a = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}';
    const reformatted = '{\n  "Statement": [ { "Action": "sts:AssumeRole", "Effect": "Allow" } ],\n  "Version": "2012-10-17"\n}';
    const different = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole"}]}';
    expect(unexpectedChanges(policy(a, reformatted))).toEqual([]);
    expect(unexpectedChanges(policy(a, different))).toHaveLength(1);
    expect(unexpectedChanges(policy(a, "not json"))).toHaveLength(1);
  });

  test("unknown-after-apply values count as changes", () => {
    const c = structuredClone(kinesisTagDrift);
    c.change.before = { ...c.change.before, arn: "x" } as typeof c.change.before;
    c.change.after_unknown = { arn: true } as typeof c.change.after_unknown;
    const u = unexpectedChanges(plan([c]));
    expect(u).toHaveLength(1);
    expect(u[0]!.attributes).toEqual([{ path: "arn", before: "x", after: undefined, afterUnknown: true }]);
    expect(attributeChanges(c.change).some((a) => a.path === "arn")).toBe(true);
  });

  test("every allowlist entry names an exact type, path and reason", () => {
    for (const e of MOTO_DRIFT_ALLOWLIST) {
      expect(e.resourceType).toMatch(/^aws_[a-z0-9_]+$/);
      expect(e.attributePath).toMatch(/^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$/);
      expect(e.reason.length).toBeGreaterThan(20);
    }
  });
});
