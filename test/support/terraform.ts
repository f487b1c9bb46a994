/**
 * Run the Terraform CLI from tests, hermetically.
 *
 * Every command runs with `-no-color` in the given working directory and a private
 * environment built from scratch-ish: the inherited environment minus every TF_* and
 * AWS_* variable (so a developer's TF_LOG, TF_VAR_*, TF_CLI_CONFIG_FILE, AWS_PROFILE,
 * AWS_SESSION_TOKEN ... cannot leak in), plus
 *   TF_IN_AUTOMATION=1, TF_INPUT=0, CHECKPOINT_DISABLE=1,
 *   TF_CLI_CONFIG_FILE=<an empty temp file>  (no ~/.terraformrc needed or read),
 *   AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY=testing, AWS_REGION/AWS_DEFAULT_REGION=us-east-1,
 *   AWS_CONFIG_FILE/AWS_SHARED_CREDENTIALS_FILE=<nonexistent temp paths>, AWS_EC2_METADATA_DISABLED=true.
 * TF_DATA_DIR is left unset: the working dirs are temp dirs, so the default `.terraform`
 * inside them is already private. init() additionally sets TF_PLUGIN_CACHE_DIR to a shared,
 * pre-filled cache so the 700 MB provider binary is symlinked rather than copied per dir.
 *
 * Failures throw a TerraformError carrying the command, exit code and full stdout/stderr.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { findPluginDir, findTerraform } from "./tools.ts";

export interface TfResult {
  args: string[];
  cwd: string;
  code: number;
  stdout: string;
  stderr: string;
}

export class TerraformError extends Error {
  override readonly name = "TerraformError";
  constructor(
    readonly result: TfResult,
    why: string,
  ) {
    super(
      `terraform ${result.args.join(" ")} (in ${result.cwd}) ${why}\n` +
        `--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    );
  }
}

export interface RunOptions {
  /** Extra environment variables (applied last). */
  env?: Record<string, string>;
  /** Exit codes that count as success. Default [0]. */
  okCodes?: number[];
  /** Kill terraform after this long. Default 10 min. */
  timeoutMs?: number;
}

// --- private CLI config ------------------------------------------------------

let privateDir: string | undefined;
function harnessTempDir(): string {
  if (!privateDir) {
    const dir = mkdtempSync(join(tmpdir(), "pipegen-tf-env-"));
    privateDir = dir;
    writeFileSync(join(dir, "empty.tfrc"), "# intentionally empty: pipegen test harness\n");
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return privateDir;
}

/** The hermetic environment every terraform command of the harness runs with. */
export function terraformEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dir = harnessTempDir();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (k.startsWith("TF_") || k.startsWith("AWS_") || k === "CHECKPOINT_DISABLE") continue;
    env[k] = v;
  }
  Object.assign(env, {
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    TF_CLI_CONFIG_FILE: join(dir, "empty.tfrc"),
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: join(dir, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-aws-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  });
  return env;
}

/** Run `terraform <args...>` in `cwd`; throws TerraformError unless the exit code is in okCodes. */
export function runTerraform(cwd: string, args: string[], options: RunOptions = {}): Promise<TfResult> {
  const bin = findTerraform();
  const okCodes = options.okCodes ?? [0];
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  return new Promise<TfResult>((resolveRun, reject) => {
    const child = spawn(bin, args, { cwd, env: terraformEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM"); // terraform stops its provider plugins itself on SIGTERM
      setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
    }, timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${bin} ${args.join(" ")}: ${e.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const result: TfResult = {
        args,
        cwd,
        code: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      };
      if (timedOut) reject(new TerraformError(result, `timed out after ${timeoutMs} ms`));
      else if (code === null) reject(new TerraformError(result, `was killed by ${String(signal)}`));
      else if (!okCodes.includes(code)) reject(new TerraformError(result, `failed with exit code ${code}`));
      else resolveRun(result);
    });
  });
}

// --- variables ---------------------------------------------------------------

export type TfVars = Record<string, unknown>;

/** Run `fn` with `-var-file=<temp json>` args for `vars` (none when vars is empty). */
async function withVarFile<T>(vars: TfVars | undefined, fn: (args: string[]) => Promise<T>): Promise<T> {
  if (!vars || Object.keys(vars).length === 0) return fn([]);
  const dir = await mkdtemp(join(tmpdir(), "pipegen-tfvars-"));
  const file = join(dir, "vars.tfvars.json");
  await writeFile(file, JSON.stringify(vars, null, 2));
  try {
    return await fn([`-var-file=${file}`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// --- commands ----------------------------------------------------------------

/** `terraform fmt -check -recursive -diff`; throws listing the unformatted files and the diff. */
export async function fmtCheck(dir: string): Promise<void> {
  await runTerraform(dir, ["fmt", "-check", "-recursive", "-diff", "-no-color"]);
}

export interface InitOptions {
  /** false => `-backend=false` (validate-only workflows). Default true. */
  backend?: boolean;
  /** Provider mirror parent dir; default findPluginDir(). */
  pluginDir?: string;
}

/** Terraform's name for this machine's platform, e.g. linux_amd64. */
export function terraformPlatform(): string {
  const arch = ({ x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" } as Record<string, string>)[process.arch];
  return `${process.platform}_${arch ?? process.arch}`;
}

async function sameSize(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    return sa.size === sb.size;
  } catch {
    return false;
  }
}

/**
 * Shared provider plugin cache, pre-populated from the mirror.
 *
 * Without it `terraform init -plugin-dir=...` COPIES the ~700 MB aws provider binary into
 * every working dir's .terraform. With TF_PLUGIN_CACHE_DIR pointing at a cache that already
 * holds the package, init only symlinks it. We fill the cache ourselves (copy to a temp dir,
 * then atomic rename) so concurrent test processes never see a half-written binary and
 * Terraform always gets a cache hit (it never writes into the cache, let alone the mirror).
 */
export async function ensurePluginCache(pluginDir: string): Promise<string> {
  // Shared across test runs (global-setup.ts gives each run its own TMPDIR and removes it).
  const cacheDir = join(process.env.PIPEGEN_TEST_SHARED_TMP ?? tmpdir(), `pipegen-tf-plugin-cache-${userInfo().uid}`);
  const platform = terraformPlatform();
  const registry = join(pluginDir, "registry.terraform.io");
  for (const ns of await readdir(registry)) {
    for (const type of await readdir(join(registry, ns)).catch(() => [] as string[])) {
      for (const version of await readdir(join(registry, ns, type)).catch(() => [] as string[])) {
        const rel = join("registry.terraform.io", ns, type, version, platform);
        const src = join(pluginDir, rel);
        const files = await readdir(src).catch(() => undefined);
        if (!files) continue;
        const dst = join(cacheDir, rel);
        const complete = (await Promise.all(files.map((f) => sameSize(join(src, f), join(dst, f))))).every(Boolean);
        if (complete) continue;
        await mkdir(join(dst, ".."), { recursive: true });
        // Staging lives NEXT TO the cache (same filesystem, so rename is atomic), not inside it.
        const staging = await mkdtemp(`${cacheDir}.staging-`);
        try {
          await cp(src, join(staging, platform), { recursive: true, preserveTimestamps: true });
          // Re-check: another process may have completed the cache while we copied.
          const nowComplete = (await Promise.all(files.map((f) => sameSize(join(src, f), join(dst, f))))).every(Boolean);
          if (nowComplete) continue;
          await rm(dst, { recursive: true, force: true }); // only a broken leftover reaches here
          await rename(join(staging, platform), dst).catch(async (err: NodeJS.ErrnoException) => {
            // Another process won the race with a complete copy: fine.
            if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
          });
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
      }
    }
  }
  return cacheDir;
}

/**
 * `terraform init -input=false -plugin-dir=<mirror>` (never touches the network). The
 * provider is linked from the shared plugin cache (see ensurePluginCache), not copied.
 */
export async function init(dir: string, options: InitOptions = {}): Promise<TfResult> {
  const pluginDir = options.pluginDir ?? findPluginDir();
  const cacheDir = await ensurePluginCache(pluginDir);
  const args = ["init", "-input=false", "-no-color", `-plugin-dir=${pluginDir}`];
  if (options.backend === false) args.push("-backend=false");
  return runTerraform(dir, args, {
    env: { TF_PLUGIN_CACHE_DIR: cacheDir, TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE: "true" },
  });
}

export interface Diagnostic {
  severity: "error" | "warning";
  summary: string;
  detail?: string;
  address?: string;
  range?: { filename: string; start: { line: number; column: number }; end: { line: number; column: number } };
  snippet?: unknown;
}

export interface ValidateResult {
  format_version: string;
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: Diagnostic[];
}

export function formatDiagnostics(diags: Diagnostic[]): string {
  return diags
    .map((d) => {
      const where = d.range ? ` (${d.range.filename}:${d.range.start.line}:${d.range.start.column})` : "";
      return `${d.severity.toUpperCase()}: ${d.summary}${where}${d.detail ? `\n    ${d.detail}` : ""}`;
    })
    .join("\n");
}

/**
 * `terraform validate -json`, parsed. Throws (with the formatted diagnostics and full output)
 * when the module is invalid, unless `allowInvalid` is set, in which case the caller inspects
 * `valid`/`diagnostics` itself. Needs a prior init (init(dir, { backend: false }) suffices).
 */
export async function validate(dir: string, options: { allowInvalid?: boolean } = {}): Promise<ValidateResult> {
  const res = await runTerraform(dir, ["validate", "-json", "-no-color"], { okCodes: [0, 1] });
  let parsed: ValidateResult;
  try {
    parsed = JSON.parse(res.stdout) as ValidateResult;
  } catch {
    throw new TerraformError(res, "printed output that is not JSON");
  }
  if (!parsed.valid && !options.allowInvalid) {
    throw new TerraformError(res, `reported an invalid module:\n${formatDiagnostics(parsed.diagnostics)}`);
  }
  return parsed;
}

/** `terraform apply -auto-approve` with optional variables. */
export async function apply(dir: string, vars?: TfVars): Promise<TfResult> {
  return withVarFile(vars, (varArgs) =>
    runTerraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color", ...varArgs]),
  );
}

/** `terraform destroy -auto-approve` with optional variables. */
export async function destroy(dir: string, vars?: TfVars): Promise<TfResult> {
  return withVarFile(vars, (varArgs) =>
    runTerraform(dir, ["destroy", "-auto-approve", "-input=false", "-no-color", ...varArgs]),
  );
}

/** Subset of the `terraform show -json <planfile>` document the harness relies on. */
export interface PlanJson {
  format_version: string;
  terraform_version?: string;
  resource_changes?: PlanResourceChange[];
  resource_drift?: PlanResourceChange[];
  output_changes?: Record<string, PlanChange>;
  [key: string]: unknown;
}

export interface PlanChange {
  actions: string[];
  before: unknown;
  after: unknown;
  after_unknown?: unknown;
  before_sensitive?: unknown;
  after_sensitive?: unknown;
  replace_paths?: unknown[];
}

export interface PlanResourceChange {
  address: string;
  module_address?: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  index?: unknown;
  provider_name?: string;
  action_reason?: string;
  change: PlanChange;
}

export interface DetailedPlan {
  /** 0 = no changes, 2 = changes present (1 = error is thrown). */
  exitCode: 0 | 2;
  plan: PlanJson;
  /** Human-readable plan output (for failure messages). */
  stdout: string;
}

/**
 * `terraform plan -detailed-exitcode -out=<tmp>` then `terraform show -json <tmp>`.
 * Exit code 1 (error) throws; 0/2 are returned with the parsed plan.
 */
export async function planDetailed(dir: string, vars?: TfVars): Promise<DetailedPlan> {
  return withVarFile(vars, async (varArgs) => {
    const planDir = await mkdtemp(join(tmpdir(), "pipegen-plan-"));
    const planFile = join(planDir, "tfplan");
    try {
      const res = await runTerraform(
        dir,
        ["plan", "-detailed-exitcode", "-input=false", "-no-color", `-out=${planFile}`, ...varArgs],
        { okCodes: [0, 2] },
      );
      const shown = await runTerraform(dir, ["show", "-json", "-no-color", planFile]);
      let plan: PlanJson;
      try {
        plan = JSON.parse(shown.stdout) as PlanJson;
      } catch {
        throw new TerraformError(shown, "printed a plan that is not JSON");
      }
      return { exitCode: res.code as 0 | 2, plan, stdout: res.stdout };
    } finally {
      await rm(planDir, { recursive: true, force: true });
    }
  });
}

/** `terraform output -json`, parsed to { name: value }. */
export async function outputs(dir: string): Promise<Record<string, unknown>> {
  const res = await runTerraform(dir, ["output", "-json", "-no-color"]);
  const parsed = JSON.parse(res.stdout) as Record<string, { value: unknown }>;
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value]));
}
