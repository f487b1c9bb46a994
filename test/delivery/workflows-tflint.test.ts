/**
 * .tflint.hcl and .trivyignore, the configuration the pull-request workflow lints and scans
 * with. tflint and trivy need the network (plugin download, check bundle), so CI is where they
 * run; here the claims the configuration makes about the generated code are checked against
 * every module in generated/:
 *  - the tags the tag rules demand are really there (provider default_tags for the
 *    pipeline-wide tags, each resource's own `tags` for pipegen:component, except the
 *    resource types the configuration excludes, which must still be needed);
 *  - the other rules enabled beyond the defaults hold (no inline_policy/managed_policy_arns on
 *    roles, no hard-coded `arn:aws:` partition);
 *  - every .trivyignore entry is one of the optional rows of SECURITY-RULES.md and says why.
 * Each checker also runs on a deliberately bad module or file.
 */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";

const repo = join(import.meta.dirname, "../..");

type Hcl = Record<string, any>;

/** Resource types of the AWS provider (5.100) that have no `tags` argument, among those pipegen emits or may emit. */
const UNTAGGABLE = new Set([
  "aws_apigatewayv2_authorizer",
  "aws_athena_named_query",
  "aws_apigatewayv2_deployment",
  "aws_apigatewayv2_integration",
  "aws_apigatewayv2_route",
  "aws_cloudwatch_dashboard",
  "aws_cloudwatch_event_target",
  "aws_cloudwatch_log_resource_policy",
  "aws_cloudwatch_log_subscription_filter",
  "aws_glue_catalog_table",
  "aws_glue_security_configuration",
  "aws_iam_role_policy",
  "aws_iam_role_policy_attachment",
  "aws_kinesis_stream_consumer",
  "aws_kms_alias",
  "aws_lambda_alias",
  "aws_lambda_function_event_invoke_config",
  "aws_lambda_permission",
  "aws_s3_bucket_lifecycle_configuration",
  "aws_s3_bucket_logging",
  "aws_s3_bucket_notification",
  "aws_s3_bucket_ownership_controls",
  "aws_s3_bucket_policy",
  "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_s3_bucket_versioning",
  "aws_scheduler_schedule",
  "aws_sns_topic_policy",
  "aws_sns_topic_subscription",
  "aws_sqs_queue_policy",
  "aws_sqs_queue_redrive_policy",
  "aws_xray_encryption_config",
]);

interface Module {
  dir: string;
  files: Map<string, string>;
  json: Hcl[];
}

async function loadModuleFromFiles(dir: string, files: Map<string, string>): Promise<Module> {
  const json: Hcl[] = [];
  for (const [name, text] of files) json.push((await parse(name, text)) as Hcl);
  return { dir, files, json };
}

async function loadModuleDir(dir: string): Promise<Module> {
  const names = readdirSync(dir).filter((f) => f.endsWith(".tf")).sort();
  return loadModuleFromFiles(dir, new Map(names.map((n) => [n, readFileSync(join(dir, n), "utf8")])));
}

interface Resource {
  type: string;
  name: string;
  body: Hcl;
}

function resources(mod: Module): Resource[] {
  const out: Resource[] = [];
  for (const j of mod.json) {
    for (const [type, byName] of Object.entries((j.resource ?? {}) as Hcl)) {
      for (const [name, blocks] of Object.entries(byName as Record<string, Hcl[]>)) {
        for (const body of blocks) out.push({ type, name, body });
      }
    }
  }
  return out;
}

function locals(mod: Module): Hcl {
  return Object.assign({}, ...mod.json.flatMap((j) => (j.locals ?? []) as Hcl[]));
}

/** Tag keys a `tags` value sets: an object literal, or an expression string naming quoted keys. */
function tagKeys(value: unknown, mod: Module): Set<string> {
  if (value && typeof value === "object" && !Array.isArray(value)) return new Set(Object.keys(value));
  if (typeof value !== "string") return new Set();
  const local = /^\$\{local\.([\w-]+)\}$/.exec(value.trim());
  if (local) return tagKeys(locals(mod)[local[1]!], mod);
  return new Set([...value.matchAll(/"([^"\\]+)"\s*=/g)].map((m) => m[1]!));
}

interface TflintConfig {
  plugins: Hcl;
  rules: Record<string, Hcl>;
}

async function readTflint(text: string): Promise<TflintConfig> {
  const j = (await parse(".tflint.hcl", text)) as Hcl;
  const first = (o: Hcl | undefined) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, (v as Hcl[])[0] ?? {}]));
  return { plugins: first(j.plugin), rules: first(j.rule) };
}

/** What the tag rules of .tflint.hcl would report on a module (mirrors tflint-ruleset-aws). */
function tagProblems(mod: Module, cfg: TflintConfig): string[] {
  const problems: string[] = [];
  const providerRule = cfg.rules.aws_provider_missing_default_tags;
  const resourceRule = cfg.rules.aws_resource_missing_tags;
  const providers = mod.json.flatMap((j) => ((j.provider ?? {}).aws ?? []) as Hcl[]);
  if (providers.length === 0) problems.push(`${mod.dir}: no provider "aws" block`);
  let providerTags = new Set<string>();
  for (const p of providers) {
    const defaults = (p.default_tags ?? []) as Hcl[];
    if (defaults.length === 0) {
      problems.push(`${mod.dir}: provider "aws" has no default_tags`);
      continue;
    }
    providerTags = tagKeys(defaults[0]!.tags, mod);
    for (const t of (providerRule?.tags ?? []) as string[]) {
      if (!providerTags.has(t)) problems.push(`${mod.dir}: provider default_tags lack ${t}`);
    }
  }
  const exclude = new Set((resourceRule?.exclude ?? []) as string[]);
  for (const r of resources(mod)) {
    if (UNTAGGABLE.has(r.type) || exclude.has(r.type)) continue;
    const own = tagKeys(r.body.tags, mod);
    for (const t of (resourceRule?.tags ?? []) as string[]) {
      if (!own.has(t) && !providerTags.has(t)) problems.push(`${mod.dir}: ${r.type}.${r.name} lacks tag ${t}`);
    }
  }
  return problems;
}

/** Other enabled-by-us rules: no deprecated role policy attributes, no hard-coded partition. */
function ruleProblems(mod: Module, cfg: TflintConfig): string[] {
  const problems: string[] = [];
  if (cfg.rules.aws_iam_role_deprecated_policy_attributes?.enabled === true) {
    for (const r of resources(mod).filter((r) => r.type === "aws_iam_role")) {
      for (const attr of ["inline_policy", "managed_policy_arns"]) {
        if (attr in r.body) problems.push(`${mod.dir}: aws_iam_role.${r.name} sets ${attr}`);
      }
    }
  }
  if (cfg.rules.aws_iam_role_policy_gov_friendly_arns?.enabled === true) {
    for (const [name, text] of mod.files) if (/arn:aws:/.test(text)) problems.push(`${mod.dir}/${name}: hard-coded arn:aws: partition`);
  }
  return problems;
}

/** Optional trivy rows of SECURITY-RULES.md that CI may ignore (rows 12-14). */
const IGNORABLE = new Set(["AVD-AWS-0170", "AVD-AWS-0171", "AVD-AWS-0172"]);

/** Every id line in .trivyignore is ignorable and directly preceded by a comment saying why. */
function trivyignoreProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (!IGNORABLE.has(line)) problems.push(`line ${i + 1}: ${line} is not an optional row of SECURITY-RULES.md`);
    const reason: string[] = [];
    for (let j = i - 1; j >= 0 && lines[j]!.trim().startsWith("#"); j--) reason.unshift(lines[j]!.trim().replace(/^#\s*/, ""));
    if (reason.join(" ").trim().length < 20) problems.push(`line ${i + 1}: ${line} has no comment saying why`);
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------

const tflintText = readFileSync(join(repo, ".tflint.hcl"), "utf8");
const generatedDirs = readdirSync(join(repo, "generated"))
  .map((d) => join(repo, "generated", d))
  .filter((d) => existsSync(join(d, "environments")));

describe(".tflint.hcl", () => {
  it("pins the AWS ruleset, uses the recommended Terraform preset, enables the rules SECURITY-RULES.md recommends", async () => {
    const cfg = await readTflint(tflintText);
    expect(cfg.plugins.aws).toMatchObject({ enabled: true, source: "github.com/terraform-linters/tflint-ruleset-aws" });
    expect(String(cfg.plugins.aws?.version)).toMatch(/^\d+\.\d+\.\d+$/);
    expect(cfg.plugins.terraform).toMatchObject({ enabled: true, preset: "recommended" });
    for (const rule of ["aws_iam_role_deprecated_policy_attributes", "aws_resource_missing_tags", "aws_provider_missing_default_tags"]) {
      expect(cfg.rules[rule]?.enabled, rule).toBe(true);
    }
    expect(cfg.rules.aws_resource_missing_tags?.tags).toEqual(expect.arrayContaining(["pipegen:pipeline", "pipegen:component"]));
    expect(cfg.rules.aws_provider_missing_default_tags?.tags).toEqual(expect.arrayContaining(["pipegen:pipeline"]));
  });

  it("there is at least one generated module to check it against", () => {
    expect(generatedDirs.map((d) => d.slice(repo.length + 1))).toContain("generated/temperature");
  });

  it.each(generatedDirs.map((d) => [d.slice(repo.length + 1), d]))("%s: carries every tag the tag rules demand", async (_, dir) => {
    const cfg = await readTflint(tflintText);
    expect(tagProblems(await loadModuleDir(dir), cfg)).toEqual([]);
  });

  it.each(generatedDirs.map((d) => [d.slice(repo.length + 1), d]))("%s: passes the other rules enabled beyond the defaults", async (_, dir) => {
    const cfg = await readTflint(tflintText);
    expect(ruleProblems(await loadModuleDir(dir), cfg)).toEqual([]);
  });

  it("every excluded resource type is still needed (some generated resource of it lacks pipegen:component)", async () => {
    const cfg = await readTflint(tflintText);
    const modules = await Promise.all(generatedDirs.map(loadModuleDir));
    for (const type of (cfg.rules.aws_resource_missing_tags?.exclude ?? []) as string[]) {
      expect(UNTAGGABLE.has(type), `${type} is untaggable, no need to exclude it`).toBe(false);
      const untagged = modules.flatMap((mod) =>
        resources(mod).filter((r) => r.type === type && !tagKeys(r.body.tags, mod).has("pipegen:component")),
      );
      expect(untagged.length, `${type}: every resource has pipegen:component now; drop it from exclude`).toBeGreaterThan(0);
    }
  });

  it("the checks report a module that breaks the configuration", async () => {
    const cfg = await readTflint(tflintText);
    const bad = await loadModuleFromFiles(
      "bad",
      new Map([
        ["providers.tf", 'provider "aws" {\n  region = "us-east-1"\n  default_tags {\n    tags = { "pipegen:pipeline" = "x" }\n  }\n}\n'],
        [
          "main.tf",
          [
            'resource "aws_sqs_queue" "q" {\n  name = "q"\n}',
            'resource "aws_sqs_queue_policy" "p" {\n  queue_url = "u"\n  policy = "{}"\n}',
            'resource "aws_lambda_event_source_mapping" "m" {\n  function_name = "f"\n}',
            'resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = "{}"\n  managed_policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]\n}',
          ].join("\n"),
        ],
      ]),
    );
    // The queue policy (untaggable) and the event source mapping (excluded) are not reported.
    expect(tagProblems(bad, cfg).sort()).toEqual([
      "bad: aws_iam_role.r lacks tag pipegen:component",
      "bad: aws_iam_role.r lacks tag pipegen:environment",
      "bad: aws_iam_role.r lacks tag pipegen:owner",
      "bad: aws_sqs_queue.q lacks tag pipegen:component",
      "bad: aws_sqs_queue.q lacks tag pipegen:environment",
      "bad: aws_sqs_queue.q lacks tag pipegen:owner",
      "bad: provider default_tags lack pipegen:environment",
      "bad: provider default_tags lack pipegen:owner",
    ]);
    expect(ruleProblems(bad, cfg)).toEqual(["bad: aws_iam_role.r sets managed_policy_arns", "bad/main.tf: hard-coded arn:aws: partition"]);
    const noDefaults = await loadModuleFromFiles("nd", new Map([["p.tf", 'provider "aws" {\n  region = "us-east-1"\n}\n']]));
    expect(tagProblems(noDefaults, cfg)).toEqual(['nd: provider "aws" has no default_tags']);
  });
});

describe(".trivyignore", () => {
  const text = readFileSync(join(repo, ".trivyignore"), "utf8");

  it("ignores exactly the optional S3 rows (MFA delete, CloudTrail data events), each with its reason", () => {
    expect(trivyignoreProblems(text)).toEqual([]);
    const ids = text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    expect(ids).toEqual(["AVD-AWS-0170", "AVD-AWS-0171", "AVD-AWS-0172"]);
  });

  it("the check reports unexplained or non-optional ids", () => {
    expect(trivyignoreProblems("AVD-AWS-0170\n# because\nAVD-AWS-0088\n")).toEqual([
      "line 1: AVD-AWS-0170 has no comment saying why",
      "line 3: AVD-AWS-0088 is not an optional row of SECURITY-RULES.md",
      "line 3: AVD-AWS-0088 has no comment saying why",
    ]);
  });
});
