/**
 * Running terraform for `pipegen run --local`, hermetically: no TF_* or AWS_* variable of the
 * user's shell leaks in (so no real account can be touched), an empty CLI config, dummy
 * credentials, and providers from the local mirror via `-plugin-dir` (never the network). The
 * ~700 MB provider binary is linked from a shared plugin cache instead of copied per run.
 */
import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { findPluginDir, requireTool } from "./tools.ts";

/** A terraform command that failed, with its output. */
export class TerraformError extends Error {
  constructor(args: string[], code: number | null, readonly output: string) {
    super(`terraform ${args.join(" ")} failed (exit ${String(code)}):\n${withoutProgress(output).slice(-8000)}`);
  }
}

/**
 * Terraform's output without its every-10-seconds "Still creating..." lines: a resource that hangs
 * for minutes would otherwise push the lines that say what failed out of the error message.
 */
export function withoutProgress(output: string): string {
  return output.replace(/^.*: Still (?:creating|modifying|destroying|reading)\.\.\. \[[^\]\n]*elapsed\]$\n?/gm, "");
}

/** The environment every terraform command runs with. */
async function terraformEnv(workDir: string, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("TF_") && !k.startsWith("AWS_") && k !== "CHECKPOINT_DISABLE") env[k] = v;
  const rc = join(workDir, ".pipegen-empty.tfrc");
  await writeFile(rc, "# intentionally empty: pipegen run --local\n");
  return {
    ...env,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    TF_CLI_CONFIG_FILE: rc,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: join(workDir, ".no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, ".no-aws-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
}

/** Runs `terraform <args>` in `dir`; `onLine` sees stdout line by line; throws TerraformError on failure. */
export async function terraform(dir: string, args: string[], o: { env?: Record<string, string>; onLine?: (line: string) => void; signal?: AbortSignal } = {}): Promise<string> {
  const bin = requireTool("terraform");
  const env = await terraformEnv(dir, o.env);
  return new Promise((resolveRun, reject) => {
    const child = spawn(bin, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let partial = "";
    child.stdout.on("data", (c: Buffer) => {
      const text = c.toString("utf8");
      out += text;
      if (o.onLine) {
        const lines = (partial + text).split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) o.onLine(l);
      }
    });
    child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
    // Terraform stops its provider plugins itself on SIGTERM (and saves state first).
    const abort = () => child.kill("SIGTERM");
    o.signal?.addEventListener("abort", abort, { once: true });
    child.once("error", reject);
    child.once("close", (code) => {
      o.signal?.removeEventListener("abort", abort);
      if (code === 0) resolveRun(out);
      else reject(new TerraformError(args, code, `${out}\n${err}`));
    });
  });
}

function platform(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch === "x64" ? "amd64" : process.arch === "ia32" ? "386" : process.arch;
  return `${os}_${arch}`;
}

async function sameSize(a: string, b: string): Promise<boolean> {
  try {
    return (await stat(a)).size === (await stat(b)).size;
  } catch {
    return false;
  }
}

/** Fills (once, atomically) a shared plugin cache from the mirror so init links the provider instead of copying it. */
async function pluginCache(pluginDir: string): Promise<string> {
  const cacheDir = join(tmpdir(), `pipegen-tf-plugin-cache-${userInfo().uid}`);
  const plat = platform();
  const registry = join(pluginDir, "registry.terraform.io");
  for (const ns of await readdir(registry)) {
    for (const type of await readdir(join(registry, ns)).catch(() => [] as string[])) {
      for (const version of await readdir(join(registry, ns, type)).catch(() => [] as string[])) {
        const rel = join("registry.terraform.io", ns, type, version, plat);
        const files = await readdir(join(pluginDir, rel)).catch(() => undefined);
        if (!files) continue;
        const dst = join(cacheDir, rel);
        const complete = async () => (await Promise.all(files.map((f) => sameSize(join(pluginDir, rel, f), join(dst, f))))).every(Boolean);
        if (await complete()) continue;
        await mkdir(join(dst, ".."), { recursive: true });
        const staging = await mkdtemp(`${cacheDir}.staging-`);
        try {
          await cp(join(pluginDir, rel), join(staging, plat), { recursive: true, preserveTimestamps: true });
          if (await complete()) continue;
          await rm(dst, { recursive: true, force: true });
          await rename(join(staging, plat), dst).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== "ENOTEMPTY" && e.code !== "EEXIST") throw e;
          });
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
      }
    }
  }
  return cacheDir;
}

/** `terraform init` from the local provider mirror. */
export async function init(dir: string): Promise<void> {
  const pluginDir = findPluginDir();
  const cache = await pluginCache(pluginDir);
  await terraform(dir, ["init", "-input=false", "-no-color", `-plugin-dir=${pluginDir}`], { env: { TF_PLUGIN_CACHE_DIR: cache, TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE: "true" } });
}

/** `terraform apply -auto-approve` with variables. */
export async function apply(dir: string, vars: Record<string, string>, onLine?: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const args = ["apply", "-auto-approve", "-input=false", "-no-color", ...Object.entries(vars).map(([k, v]) => `-var=${k}=${v}`)];
  await terraform(dir, args, { ...(onLine ? { onLine } : {}), ...(signal ? { signal } : {}) });
}

/** One resource in `terraform show -json`. */
export interface StateResource {
  address: string;
  type: string;
  name: string;
  values: Record<string, any>;
}

/** The root module's managed resources after apply. */
export async function stateResources(dir: string): Promise<StateResource[]> {
  const shown = JSON.parse(await terraform(dir, ["show", "-json", "-no-color"])) as { values?: { root_module?: { resources?: Array<StateResource & { mode: string }> } } };
  return (shown.values?.root_module?.resources ?? []).filter((r) => r.mode === "managed").map(({ address, type, name, values }) => ({ address, type, name, values }));
}
