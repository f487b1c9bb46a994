/**
 * Finding the machine tools `pipegen run --local` needs, at run time: `terraform` and `moto_server`
 * on PATH, and a filesystem mirror of the hashicorp/aws provider (a folder named
 * `registry.terraform.io`, searched under ~/.terraform.d, /opt, /usr/local/share, /usr/share, or
 * given by PIPEGEN_TF_PLUGIN_DIR). A missing tool is an error that says what is missing and how to
 * get it; nothing is downloaded.
 */
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, delimiter, join, resolve } from "node:path";

/** Env var naming the provider mirror (the folder containing registry.terraform.io, or that folder itself). */
export const PLUGIN_DIR_ENV = "PIPEGEN_TF_PLUGIN_DIR";

/** A tool `pipegen run --local` needs is not installed. */
export class MissingToolError extends Error {
  override readonly name = "MissingToolError";
  constructor(
    readonly tool: string,
    detail: string,
  ) {
    super(`missing tool: ${tool}\n${detail}`);
  }
}

const HOW_TO_GET: Record<string, string> = {
  terraform: "Install the Terraform CLI (>= 1.5) and put `terraform` on PATH (HashiCorp's apt/yum repository, or the release zip unpacked into /usr/local/bin).",
  moto_server: "Install the AWS API emulator moto with its server extra so `moto_server` is on PATH: `pip install 'moto[server]'` (or `pipx install 'moto[server]'`); or pass `--endpoint URL` of an emulator you run yourself.",
};

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Absolute path of an executable on PATH, or a MissingToolError saying how to get it. */
export function requireTool(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  throw new MissingToolError(name, `\`${name}\` was not found on PATH.\n${HOW_TO_GET[name] ?? `Install \`${name}\`.`}`);
}

/** True when `<parent>/registry.terraform.io/hashicorp/aws/<version>/<platform>/` exists. */
function hasAwsProvider(parent: string): boolean {
  const aws = join(parent, "registry.terraform.io", "hashicorp", "aws");
  try {
    return readdirSync(aws).some((v) => isDir(join(aws, v)) && readdirSync(join(aws, v)).some((p) => isDir(join(aws, v, p))));
  } catch {
    return false;
  }
}

function searchMirror(root: string, maxDepth: number): string | undefined {
  let frontier = [root];
  for (let depth = 0; depth <= maxDepth && frontier.length; depth++) {
    const next: string[] = [];
    for (const dir of frontier) {
      if (hasAwsProvider(dir)) return dir;
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        continue;
      }
      for (const e of entries) {
        if (e === "registry.terraform.io" || e.startsWith(".git") || e === "node_modules") continue;
        if (isDir(join(dir, e))) next.push(join(dir, e));
      }
    }
    frontier = next;
  }
  return undefined;
}

/** The folder to pass as `terraform init -plugin-dir=…`: the parent of a registry.terraform.io tree holding hashicorp/aws. */
export function findPluginDir(): string {
  const override = process.env[PLUGIN_DIR_ENV];
  if (override) {
    const abs = resolve(override);
    const parent = basename(abs) === "registry.terraform.io" ? resolve(abs, "..") : abs;
    if (hasAwsProvider(parent)) return parent;
    throw new MissingToolError("terraform provider mirror (hashicorp/aws)", `${PLUGIN_DIR_ENV}=${override} holds no registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/.`);
  }
  const home = homedir();
  const roots = [join(home, ".terraform.d", "plugins"), join(home, ".terraform.d"), join(process.env.XDG_DATA_HOME || join(home, ".local", "share"), "terraform", "plugins"), "/opt", "/usr/local/share", "/usr/share", "/usr/local/lib"].filter(isDir);
  for (const root of [...new Set(roots)]) {
    const found = searchMirror(root, 3);
    if (found) return found;
  }
  throw new MissingToolError(
    "terraform provider mirror (hashicorp/aws)",
    `No folder registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/ was found under ${roots.join(", ") || "(no search roots exist)"} (depth 3).\n` +
      `Create one with \`terraform providers mirror <DIR>\` on a machine with network access and set ${PLUGIN_DIR_ENV}=<DIR>.`,
  );
}
