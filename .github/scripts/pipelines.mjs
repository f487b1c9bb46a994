#!/usr/bin/env node
// Computes the job matrices of the pipelines-* workflows from the repository itself, so
// the workflows need no third-party "changed files" action and the logic is tested
// locally (test/delivery/workflows-scripts.test.ts runs this file against scratch git repos).
//
//   node .github/scripts/pipelines.mjs changed --base <rev> [--head <rev>] [--all-when <path>]...
//   node .github/scripts/pipelines.mjs ephemeral [--environment dev] [--only <pipeline>]
//
// A pipeline is a directory generated/<name>/ holding environments/*.tfvars; its environments
// are the names of those files. Every result is printed as `key=<json>` lines and, when
// $GITHUB_OUTPUT is set, appended there as step outputs:
//
//   changed:   pipelines     ["a","b"]                      pipelines whose generated/<p>/ changed
//              matrix        [{"pipeline":"a","environment":"dev"},...]   every environment, dev first
//              matrix_dev    the dev entries of matrix       (applied first)
//              matrix_later  every other entry, prod last    (applied after all of matrix_dev)
//   ephemeral: pipelines     pipelines whose environments/<env>.tfvars says `ephemeral = true`
//
// Names that could not have come from pipegen (the schema allows ^[a-z][a-z0-9-]{1,23}$ for
// pipelines and ^[a-z][a-z0-9]{0,9}$ for environments) make the script fail instead of
// flowing into shell commands and S3 keys.
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const PIPELINE_NAME = /^[a-z][a-z0-9-]{1,23}$/;
const ENVIRONMENT_NAME = /^[a-z][a-z0-9]{0,9}$/;
const ZERO_SHA = /^0+$/;

function fail(message) {
  process.stderr.write(`pipelines.mjs: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const opts = { command, base: "", head: "HEAD", allWhen: [], environment: "dev", only: "", root: process.cwd() };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = rest[i + 1];
    const take = () => {
      if (value === undefined) fail(`${flag} needs a value`);
      i++;
      return value;
    };
    switch (flag) {
      case "--base":
        opts.base = take();
        break;
      case "--head":
        opts.head = take();
        break;
      case "--all-when":
        opts.allWhen.push(take());
        break;
      case "--environment":
        opts.environment = take();
        break;
      case "--only":
        opts.only = take();
        break;
      case "--root":
        opts.root = take();
        break;
      default:
        fail(`unknown argument ${flag}`);
    }
  }
  return opts;
}

function isDir(p) {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** dev first, prod last, anything else alphabetically in between. */
function environmentRank(name) {
  if (name === "dev") return 0;
  if (name === "prod") return 2;
  return 1;
}

function sortEnvironments(names) {
  return [...names].sort((a, b) => environmentRank(a) - environmentRank(b) || a.localeCompare(b));
}

/** Every pipeline module under generated/, with its environments. */
function listPipelines(root) {
  const generated = join(root, "generated");
  if (!isDir(generated)) return [];
  const result = [];
  for (const name of readdirSync(generated).sort()) {
    const envDir = join(generated, name, "environments");
    if (!isDir(envDir)) continue;
    if (!PIPELINE_NAME.test(name)) fail(`generated/${name}: not a pipeline name pipegen can produce`);
    const environments = readdirSync(envDir)
      .filter((f) => f.endsWith(".tfvars"))
      .map((f) => f.slice(0, -".tfvars".length));
    for (const env of environments) {
      if (!ENVIRONMENT_NAME.test(env)) fail(`generated/${name}/environments/${env}.tfvars: not an environment name pipegen can produce`);
    }
    if (environments.length > 0) result.push({ name, environments: sortEnvironments(environments) });
  }
  return result;
}

function git(root, args) {
  return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function revisionExists(root, rev) {
  try {
    git(root, ["cat-file", "-e", `${rev}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

function emit(outputs) {
  const lines = Object.entries(outputs).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  process.stdout.write(lines.join("\n") + "\n");
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, lines.join("\n") + "\n");
}

function changed(opts) {
  const pipelines = listPipelines(opts.root);
  let selected;
  if (!opts.base || ZERO_SHA.test(opts.base) || !revisionExists(opts.root, opts.base)) {
    // First push of a branch, a force push whose old head is gone, or no base given:
    // nothing to diff against, so every pipeline counts as changed.
    process.stderr.write(`pipelines.mjs: base revision '${opts.base}' not available; selecting every pipeline\n`);
    selected = new Set(pipelines.map((p) => p.name));
  } else {
    const files = git(opts.root, ["diff", "--name-only", "--no-renames", opts.base, opts.head])
      .split("\n")
      .filter(Boolean);
    const everything = files.some((f) => opts.allWhen.includes(f));
    selected = new Set();
    for (const p of pipelines) {
      if (everything || files.some((f) => f.startsWith(`generated/${p.name}/`))) selected.add(p.name);
    }
  }
  const chosen = pipelines.filter((p) => selected.has(p.name));
  const matrix = chosen.flatMap((p) => p.environments.map((environment) => ({ pipeline: p.name, environment })));
  const byEnvironment = (a, b) =>
    environmentRank(a.environment) - environmentRank(b.environment) ||
    a.environment.localeCompare(b.environment) ||
    a.pipeline.localeCompare(b.pipeline);
  matrix.sort(byEnvironment);
  emit({
    pipelines: chosen.map((p) => p.name),
    matrix,
    matrix_dev: matrix.filter((m) => m.environment === "dev"),
    matrix_later: matrix.filter((m) => m.environment !== "dev"),
  });
}

/** `ephemeral = true` as an HCL top-level attribute line (comments after it allowed). */
const EPHEMERAL_TRUE = /^\s*ephemeral\s*=\s*true\s*(?:(?:#|\/\/).*)?$/m;

function ephemeral(opts) {
  if (!ENVIRONMENT_NAME.test(opts.environment)) fail(`--environment ${opts.environment}: not an environment name`);
  if (opts.only && !PIPELINE_NAME.test(opts.only)) fail(`--only ${opts.only}: not a pipeline name`);
  const names = [];
  for (const p of listPipelines(opts.root)) {
    if (opts.only && p.name !== opts.only) continue;
    const file = join(opts.root, "generated", p.name, "environments", `${opts.environment}.tfvars`);
    if (existsSync(file) && EPHEMERAL_TRUE.test(readFileSync(file, "utf8"))) names.push(p.name);
  }
  emit({ pipelines: names });
}

const opts = parseArgs(process.argv.slice(2));
if (opts.command === "changed") changed(opts);
else if (opts.command === "ephemeral") ephemeral(opts);
else fail("usage: pipelines.mjs changed --base <rev> [--head <rev>] [--all-when <path>]... | ephemeral [--environment dev] [--only <pipeline>]");
