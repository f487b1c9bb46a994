/**
 * Discovery of the external tools the Terraform/moto test harness needs.
 *
 * Nothing here is hard-coded to one machine: executables are looked up on PATH at run
 * time and the provider mirror is searched under a few well-known roots (or taken from
 * PIPEGEN_TF_PLUGIN_DIR). When something is missing these functions THROW a
 * MissingToolError whose message says exactly what is missing and how to get it: a
 * test that needs Terraform must fail loudly on a machine without it, never pass or skip.
 */
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, resolve, basename } from "node:path";

/** Provider the harness needs from the local mirror (the version the project pins). */
export const AWS_PROVIDER = { namespace: "hashicorp", type: "aws", version: "5.100.0" } as const;

/** Env var that overrides the provider mirror search. */
export const PLUGIN_DIR_ENV = "PIPEGEN_TF_PLUGIN_DIR";

export class MissingToolError extends Error {
  override readonly name = "MissingToolError";
  constructor(
    readonly tool: string,
    detail: string,
  ) {
    super(
      [
        "",
        "=".repeat(78),
        `MISSING TOOL: ${tool}`,
        detail,
        "This test needs it and FAILS on purpose rather than skipping.",
        "=".repeat(78),
      ].join("\n"),
    );
  }
}

/** How to get each tool the harness knows about (used in error messages). */
const HOW_TO_GET: Record<string, string> = {
  terraform:
    "Install the Terraform CLI (>= 1.5) and put `terraform` on PATH " +
    "(e.g. the HashiCorp apt repository package `terraform`, or unzip the release binary into /usr/local/bin).",
  moto_server:
    "Install the AWS API emulator moto with its server extra and put `moto_server` on PATH: " +
    "`pip install 'moto[server]'` (or `pipx install 'moto[server]'`).",
};

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Look an executable up on PATH; undefined when it is not there. */
export function findOnPath(name: string, pathVar: string | undefined = process.env.PATH): string | undefined {
  if (name.includes("/")) return isExecutableFile(name) ? resolve(name) : undefined;
  for (const dir of (pathVar ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Absolute path of an executable on PATH, or throw a MissingToolError saying how to get it. */
export function requireTool(name: string, howToGet?: string): string {
  const found = findOnPath(name);
  if (found) return found;
  const how = howToGet ?? HOW_TO_GET[name] ?? `Install \`${name}\` and make sure it is on PATH.`;
  throw new MissingToolError(
    name,
    `The executable \`${name}\` was not found on PATH (PATH=${process.env.PATH ?? "<unset>"}).\n${how}`,
  );
}

export function findTerraform(): string {
  return requireTool("terraform");
}

export function findMotoServer(): string {
  return requireTool("moto_server");
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** True when `<root>/registry.terraform.io/hashicorp/aws/<version>/` exists with at least one platform dir. */
function hasAwsProvider(parent: string): boolean {
  const versionDir = join(parent, "registry.terraform.io", AWS_PROVIDER.namespace, AWS_PROVIDER.type, AWS_PROVIDER.version);
  if (!isDir(versionDir)) return false;
  try {
    return readdirSync(versionDir).some((entry) => isDir(join(versionDir, entry)));
  } catch {
    return false;
  }
}

/** Breadth-first search (bounded depth) for directories named registry.terraform.io below `root`. */
function searchMirror(root: string, maxDepth: number): string | undefined {
  let frontier = [root];
  for (let depth = 0; depth <= maxDepth && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of frontier) {
      if (hasAwsProvider(dir)) return dir;
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        continue;
      }
      for (const entry of entries) {
        // Never descend into the mirror itself, VCS dirs, or node_modules-style trees.
        if (entry === "registry.terraform.io" || entry.startsWith(".git") || entry === "node_modules") continue;
        const child = join(dir, entry);
        if (isDir(child)) next.push(child);
      }
    }
    frontier = next;
  }
  return undefined;
}

/** Well-known roots searched for a filesystem mirror, in order. */
export function pluginSearchRoots(): string[] {
  const home = homedir();
  const xdgData = process.env.XDG_DATA_HOME || join(home, ".local", "share");
  const roots = [
    join(home, ".terraform.d", "plugins"),
    join(home, ".terraform.d"),
    join(xdgData, "terraform", "plugins"),
    "/opt",
    "/usr/local/share",
    "/usr/share",
    "/usr/local/lib",
  ];
  return [...new Set(roots)].filter(isDir);
}

/**
 * The directory to pass as `terraform init -plugin-dir=...`: the PARENT of a
 * `registry.terraform.io` tree holding hashicorp/aws 5.100.0.
 *
 * PIPEGEN_TF_PLUGIN_DIR may name either that parent or the registry.terraform.io dir itself.
 */
export function findPluginDir(): string {
  const override = process.env[PLUGIN_DIR_ENV];
  if (override) {
    const abs = resolve(override);
    const parent = basename(abs) === "registry.terraform.io" ? resolve(abs, "..") : abs;
    if (hasAwsProvider(parent)) return parent;
    throw new MissingToolError(
      `terraform provider mirror (${AWS_PROVIDER.namespace}/${AWS_PROVIDER.type} ${AWS_PROVIDER.version})`,
      `${PLUGIN_DIR_ENV}=${override} does not contain ` +
        `registry.terraform.io/${AWS_PROVIDER.namespace}/${AWS_PROVIDER.type}/${AWS_PROVIDER.version}/<os>_<arch>/.\n` +
        "Point it at the directory that CONTAINS registry.terraform.io (or at registry.terraform.io itself).",
    );
  }
  const roots = pluginSearchRoots();
  for (const root of roots) {
    const found = searchMirror(root, 3);
    if (found) return found;
  }
  throw new MissingToolError(
    `terraform provider mirror (${AWS_PROVIDER.namespace}/${AWS_PROVIDER.type} ${AWS_PROVIDER.version})`,
    "No local filesystem mirror directory `registry.terraform.io/" +
      `${AWS_PROVIDER.namespace}/${AWS_PROVIDER.type}/${AWS_PROVIDER.version}/<os>_<arch>/\` was found.\n` +
      `Searched (depth 3): ${roots.join(", ") || "<no existing roots>"}.\n` +
      "This machine has no internet, so Terraform cannot download the provider. Create a mirror with\n" +
      `  terraform providers mirror <DIR>   (on a machine with access, for a module requiring aws ${AWS_PROVIDER.version})\n` +
      `and copy it here, then set ${PLUGIN_DIR_ENV}=<DIR> (the directory that contains registry.terraform.io).`,
  );
}
