/**
 * Point a generated Terraform root module at moto without editing any generated file.
 *
 * prepareModuleForMoto() copies the module into a fresh temp dir and adds ONE file,
 * `pipegen_moto_override.tf`, using Terraform's override-file merging. What Terraform
 * 1.11 actually does (checked against the real CLI + moto; see test/harness):
 *
 *  - `provider "aws" {}` in an override file is merged into the base block with the same
 *    name+alias ARGUMENT BY ARGUMENT: arguments we set replace the base's, arguments we do
 *    not mention are kept. So the base block's `default_tags { ... }` survives untouched
 *    (and reaches moto: the harness test checks the tags on the bucket).
 *  - A NESTED block in the override (our `endpoints {}`) replaces all base blocks of that
 *    type; base nested blocks of other types (default_tags, ignore_tags, ...) are kept.
 *    A base `assume_role {}` would therefore be kept too (moto's STS accepts AssumeRole).
 *  - Overriding the DEFAULT (unaliased) aws provider works even when the module has no
 *    `provider "aws"` block at all (Terraform treats the absent block as empty). An
 *    ALIASED provider may only be overridden if the base declares it, so we emit one
 *    override per alias actually declared in the module.
 *  - `profile = null` in the override removes a base `profile` (null == unset), so a
 *    named profile that does not exist on the test machine cannot break the provider.
 *  - `terraform { backend "local" {} }` in an override replaces the base `backend "s3"`
 *    and also a base `cloud {}` block. We only emit it when the module declares a backend
 *    or cloud block (a module with neither already uses the local backend).
 */
import { cp, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";

/** Every AWS service the project's generated modules may talk to. */
export const MOTO_SERVICES = [
  "s3",
  "kms",
  "kinesis",
  "dynamodb",
  "iam",
  "lambda",
  "logs",
  "cloudwatch",
  "sns",
  "sqs",
  "sts",
  "events",
  "scheduler",
  "apigatewayv2",
  "glue",
  "athena",
  "firehose",
  "sfn",
  "opensearch",
  "opensearchserverless",
  "xray",
] as const;

export const MOTO_OVERRIDE_FILE = "pipegen_moto_override.tf";
export const MOTO_REGION = "us-east-1";

export interface ModuleInfo {
  /** Aliases of the `provider "aws"` blocks declared in the root module (default one excluded). */
  awsProviderAliases: string[];
  /** Whether an unaliased `provider "aws"` block exists. */
  hasDefaultAwsProvider: boolean;
  /** Backend type declared in a `terraform {}` block, if any. */
  backendType?: string;
  /** Whether a `terraform { cloud {} }` block exists. */
  hasCloudBlock: boolean;
}

type Json = Record<string, unknown>;

function asArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  return v === undefined || v === null ? [] : [v];
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Read the root-module files (*.tf, *.tf.json, override files included) into JSON form. */
async function loadRootModule(dir: string): Promise<{ file: string; body: Json }[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile());
  const out: { file: string; body: Json }[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, e.name);
    if (e.name.endsWith(".tf.json")) {
      out.push({ file: e.name, body: JSON.parse(await readFile(path, "utf8")) as Json });
    } else if (e.name.endsWith(".tf")) {
      out.push({ file: e.name, body: (await parseHcl(e.name, await readFile(path, "utf8"))) as Json });
    }
  }
  return out;
}

/** Inspect a root module's provider/backend declarations (static parse, no terraform needed). */
export async function inspectModule(dir: string): Promise<ModuleInfo> {
  const files = await loadRootModule(dir);
  const aliases = new Set<string>();
  let hasDefault = false;
  let backendType: string | undefined;
  let hasCloud = false;
  const escaping: string[] = [];
  for (const { file, body } of files) {
    if (file === MOTO_OVERRIDE_FILE) continue;
    const providers = isObject(body.provider) ? body.provider : {};
    for (const block of asArray(providers.aws)) {
      if (!isObject(block)) continue;
      const alias = block.alias;
      if (typeof alias === "string" && alias !== "") aliases.add(alias);
      else hasDefault = true;
    }
    for (const tf of asArray(body.terraform)) {
      if (!isObject(tf)) continue;
      for (const backend of asArray(tf.backend)) {
        if (isObject(backend)) backendType = Object.keys(backend)[0] ?? backendType;
      }
      if (asArray(tf.cloud).length > 0) hasCloud = true;
    }
    const modules = isObject(body.module) ? body.module : {};
    for (const [name, blocks] of Object.entries(modules)) {
      for (const block of asArray(blocks)) {
        if (isObject(block) && typeof block.source === "string" && block.source.startsWith("../")) {
          escaping.push(`${file}: module "${name}" source = "${block.source}"`);
        }
      }
    }
  }
  if (escaping.length > 0) {
    throw new Error(
      `prepareModuleForMoto copies only the module directory ${dir}, but it references modules outside it:\n` +
        escaping.join("\n"),
    );
  }
  return {
    awsProviderAliases: [...aliases].sort(),
    hasDefaultAwsProvider: hasDefault,
    ...(backendType !== undefined ? { backendType } : {}),
    hasCloudBlock: hasCloud,
  };
}

/** Quote a value as an HCL string literal (JSON escaping plus template-sequence escaping). */
export function hclString(value: string): string {
  return JSON.stringify(value).replaceAll("${", "$${").replaceAll("%{", "%%{");
}

export interface OverrideOptions {
  endpoint: string;
  aliases?: string[];
  /** Emit `terraform { backend "local" {} }`. */
  replaceBackend?: boolean;
}

function providerOverride(endpoint: string, alias: string | undefined): string {
  const ep = hclString(endpoint);
  const width = Math.max(...MOTO_SERVICES.map((s) => s.length));
  const lines = [
    `provider "aws" {`,
    ...(alias !== undefined ? [`  alias = ${hclString(alias)}`, ``] : []),
    `  region                      = ${hclString(MOTO_REGION)}`,
    `  access_key                  = "testing"`,
    `  secret_key                  = "testing"`,
    `  token                       = null`,
    `  profile                     = null`,
    `  s3_use_path_style           = true`,
    `  skip_credentials_validation = true`,
    `  skip_metadata_api_check     = true`,
    `  skip_requesting_account_id  = false`,
    ``,
    `  endpoints {`,
    ...MOTO_SERVICES.map((s) => `    ${s.padEnd(width)} = ${ep}`),
    `  }`,
    `}`,
  ];
  return lines.join("\n");
}

/** The text of pipegen_moto_override.tf. */
export function renderMotoOverride(options: OverrideOptions): string {
  const parts = [
    "# Generated by the pipegen test harness (test/support/emulated-module.ts).",
    "# Terraform override file: merged argument-by-argument into the module's provider",
    "# blocks so every AWS API call goes to the local moto emulator. Nested blocks that are",
    "# not overridden here (default_tags, ignore_tags, ...) are kept from the module.",
    "",
  ];
  if (options.replaceBackend) {
    parts.push(`terraform {`, `  backend "local" {}`, `}`, "");
  }
  parts.push(providerOverride(options.endpoint, undefined), "");
  for (const alias of options.aliases ?? []) parts.push(providerOverride(options.endpoint, alias), "");
  return parts.join("\n");
}

/** Files/dirs of a module directory that must not be carried into the emulated copy. */
function shouldCopy(src: string, root: string): boolean {
  const rel = relative(root, src);
  if (rel === "") return true;
  const name = basename(src);
  if (name === ".terraform" || name === ".git") return false;
  if (name === "terraform.tfstate" || name.startsWith("terraform.tfstate.")) return false;
  if (name === ".terraform.tfstate.lock.info") return false;
  if (name.endsWith(".tfplan")) return false;
  return true;
}

/**
 * Copy the Terraform root module at `moduleDir` into a fresh temp dir and add
 * `pipegen_moto_override.tf` pointing every used AWS service at `endpoint`.
 * Returns the temp dir (the caller removes it when done).
 */
export async function prepareModuleForMoto(moduleDir: string, endpoint: string): Promise<string> {
  if (!/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
    throw new Error(`prepareModuleForMoto: endpoint must be a base URL like http://127.0.0.1:5000, got ${endpoint}`);
  }
  const info = await inspectModule(moduleDir);
  const target = await mkdtemp(join(tmpdir(), "pipegen-moto-module-"));
  await cp(moduleDir, target, { recursive: true, filter: (src) => shouldCopy(src, moduleDir) });
  const override = renderMotoOverride({
    endpoint: endpoint.replace(/\/$/, ""),
    aliases: info.awsProviderAliases,
    replaceBackend: info.backendType !== undefined || info.hasCloudBlock,
  });
  await writeFile(join(target, MOTO_OVERRIDE_FILE), override);
  return target;
}
