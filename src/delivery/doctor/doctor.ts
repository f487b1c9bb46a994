import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { assetPath } from "../../assets.ts";
import { UsageError } from "../../diagnostics/diagnostic.ts";
import type { Check } from "./checks.ts";
import { fail, ok, warn } from "./checks.ts";
import type { CallerIdentity } from "./identity.ts";
import { describePrincipal, getCallerIdentity, IdentityError, isLongLived } from "./identity.ts";
import { builtPipelines, readLockedProviders, readRequirements, readTfvars } from "./module-files.ts";
import { probeTerraform } from "./terraform-cli.ts";
import { satisfies } from "./versions.ts";

export interface DoctorOptions {
  cwd: string;
  pipeline?: string;
  environment?: string;
  expectedAccount?: string;
}

/** The pipeline (and environment) the run is about, and the modules whose requirements apply. */
interface Target {
  generatedDir: string;
  pipeline?: string;
  environment?: string;
  modules: string[];
}

/** Resolve --pipeline/--environment against generated/; a usage error when they do not fit. */
function resolveTarget(o: DoctorOptions): Target {
  const generatedDir = join(o.cwd, "generated");
  const built = builtPipelines(generatedDir);
  let pipeline = o.pipeline;
  if (pipeline === undefined && o.environment !== undefined) {
    if (built.length !== 1) {
      throw new UsageError(`--environment needs --pipeline: generated/ holds ${built.length ? built.join(", ") : "no built pipeline"}`);
    }
    pipeline = built[0];
  }
  return {
    generatedDir,
    ...(pipeline !== undefined ? { pipeline } : {}),
    ...(o.environment !== undefined ? { environment: o.environment } : {}),
    modules: pipeline !== undefined ? [pipeline] : built,
  };
}

/** Node against pipegen's own `engines.node`. */
function nodeCheck(): Check {
  const pkg = JSON.parse(readFileSync(assetPath("package.json"), "utf8")) as { engines?: { node?: string } };
  const required = pkg.engines?.node;
  const version = process.versions.node;
  if (!required) return ok(`Node ${version}`);
  const met = satisfies(version, required);
  if (met === undefined) return warn(`Node ${version}: cannot read pipegen's engines.node constraint ${JSON.stringify(required)}`);
  return met ? ok(`Node ${version} (pipegen requires ${required})`) : fail(`Node ${version} is too old: pipegen requires ${required}`, "install a newer Node (e.g. with nvm or actions/setup-node)");
}

/** Terraform on PATH against each module's required_version, and locked providers against required_providers. */
async function toolChecks(cwd: string, t: Target): Promise<Check[]> {
  const checks: Check[] = [];
  const probe = await probeTerraform(cwd);
  const requirements = await Promise.all(
    t.modules.map(async (m) => {
      const dir = join(t.generatedDir, m);
      return existsSync(join(dir, "versions.tf")) ? { m, dir, req: await readRequirements(dir) } : { m, dir, req: undefined };
    }),
  );
  const needs = requirements.map(({ m, req }) => (req?.requiredVersion ? `${m} requires ${req.requiredVersion}` : undefined)).filter((x) => x !== undefined);
  if (!probe.found) {
    checks.push(fail(`Terraform: not found (${probe.why})`, `install Terraform${needs.length ? ` (${needs.join("; ")})` : ""} and put it on PATH; plan and apply need it`));
  } else if (requirements.length === 0) {
    checks.push(ok(`Terraform ${probe.version}`, "no generated module to compare it with (run `pipegen build`)"));
  }
  for (const { m, dir, req } of requirements) {
    const rel = relative(cwd, dir);
    if (!req) {
      checks.push(fail(`${m}: no generated module at ${rel}`, `built pipelines: ${builtPipelines(t.generatedDir).join(", ") || "none"}; run \`pipegen build\``));
      continue;
    }
    if (probe.found && req.requiredVersion) {
      const met = satisfies(probe.version, req.requiredVersion);
      if (met === undefined) checks.push(warn(`Terraform ${probe.version}: cannot read ${m}'s required_version ${JSON.stringify(req.requiredVersion)}`));
      else if (met) checks.push(ok(`Terraform ${probe.version} (${m} requires ${req.requiredVersion})`));
      else checks.push(fail(`Terraform ${probe.version} does not meet ${m}'s required_version ${req.requiredVersion}`, "install a matching Terraform (e.g. hashicorp/setup-terraform with terraform_version)"));
    }
    const locked = await readLockedProviders(dir);
    for (const p of req.providers) {
      const wants = p.constraint ? `requires ${p.constraint}` : "no version constraint";
      const version = locked?.get(p.source);
      if (!locked) checks.push(warn(`${p.source} for ${m}: not initialized (no ${join(rel, ".terraform.lock.hcl")}); ${wants}`, `\`terraform -chdir=${rel} init\` selects and locks a matching version`));
      else if (!version) checks.push(warn(`${p.source} for ${m}: not in ${join(rel, ".terraform.lock.hcl")}; ${wants}`, `run \`terraform -chdir=${rel} init -upgrade\``));
      else if (!p.constraint || satisfies(version, p.constraint)) checks.push(ok(`${p.source} ${version} locked for ${m} (${wants})`));
      else checks.push(fail(`${p.source} ${version} locked for ${m} does not meet ${p.constraint}`, `run \`terraform -chdir=${rel} init -upgrade\` and commit the new lock file`));
    }
  }
  return checks;
}

/** The account the run must use: --expected-account, else the environment's tfvars. */
async function expectedAccount(o: DoctorOptions, t: Target): Promise<{ account?: string; source: string; problem?: Check }> {
  if (o.expectedAccount) return { account: o.expectedAccount, source: "--expected-account" };
  if (!t.pipeline || !t.environment) {
    return { source: "", problem: warn("expected account: not checked", "name the pipeline and environment (--pipeline, --environment) or pass --expected-account") };
  }
  const envDir = join(t.generatedDir, t.pipeline, "environments");
  const file = join(envDir, `${t.environment}.tfvars`);
  const rel = relative(o.cwd, file);
  if (!existsSync(file)) {
    const known = existsSync(envDir) ? readdirSync(envDir).filter((f) => f.endsWith(".tfvars")).map((f) => f.slice(0, -".tfvars".length)).sort() : [];
    return { source: rel, problem: fail(`environment ${t.environment} of ${t.pipeline}: ${rel} not found`, `environments of ${t.pipeline}: ${known.join(", ") || "none"}`) };
  }
  const value = (await readTfvars(file)).expected_account_id;
  if (typeof value === "string" && /^\d{12}$/.test(value)) return { account: value, source: rel };
  return {
    source: rel,
    problem: warn(
      `expected account: ${t.environment} of ${t.pipeline} declares none (no expected_account_id in ${rel})`,
      `set environments.${t.environment}.account_id in the pipeline file so Terraform refuses any other account`,
    ),
  };
}

function identityDetails(id: CallerIdentity): string[] {
  const p = describePrincipal(id.arn);
  const lines = [`principal: ${id.arn}`];
  if (p.kind === "assumed-role") lines.push(`role: ${p.name}`, `session: ${p.session}`);
  else if (p.kind === "user") lines.push(`IAM user: ${p.name} (no session: long-lived keys)`);
  else if (p.kind === "federated-user") lines.push(`federated user: ${p.name}`);
  const endpoint = process.env.AWS_ENDPOINT_URL_STS ?? process.env.AWS_ENDPOINT_URL;
  if (endpoint) lines.push(`endpoint: ${endpoint} (from AWS_ENDPOINT_URL${process.env.AWS_ENDPOINT_URL_STS ? "_STS" : ""})`);
  return lines;
}

/** Credentials, the account they resolve to, and whether they are a role session. */
async function awsChecks(o: DoctorOptions, t: Target): Promise<Check[]> {
  const expected = await expectedAccount(o, t);
  let id: CallerIdentity;
  try {
    id = await getCallerIdentity();
  } catch (e) {
    if (!(e instanceof IdentityError)) throw e;
    const hint = e.noCredentials
      ? "locally: `aws sso login` or set AWS_PROFILE; in GitHub Actions: aws-actions/configure-aws-credentials with role-to-assume"
      : "check that the credentials are current (expired session?) and the network reaches STS";
    return [fail(`AWS credentials: ${e.noCredentials ? "none found" : "rejected"}`, e.message, hint), ...(expected.problem ? [expected.problem] : [])];
  }
  const checks = [ok(`AWS credentials resolve to account ${id.account}`, ...identityDetails(id))];
  if (expected.problem) checks.push(expected.problem);
  else if (expected.account === id.account) checks.push(ok(`account ${id.account} is the expected one (${expected.source})`));
  else {
    checks.push(
      fail(
        `wrong AWS account: expected ${expected.account} (${expected.source}), found ${id.account}`,
        `the credentials belong to ${id.arn}`,
        "hint: wrong profile or role? check AWS_PROFILE (locally) or the role-to-assume of this environment (CI), then run `pipegen doctor` again",
      ),
    );
  }
  if (isLongLived(id)) {
    const root = describePrincipal(id.arn).kind === "root";
    checks.push(
      warn(
        root ? "the credentials are the account's root user: never deploy with them" : "long-lived IAM user keys, not a role session",
        `${id.accessKeyId?.startsWith("AKIA") ? `access key ${id.accessKeyId.slice(0, 4)}… never expires; ` : ""}prefer temporary credentials: OIDC role-to-assume in CI, \`aws sso login\` or an assumed role locally`,
      ),
    );
  }
  return checks;
}

/** Every check, in the order they are printed. */
export async function runDoctor(o: DoctorOptions): Promise<{ heading: string; checks: Check[] }> {
  if (o.expectedAccount !== undefined && !/^\d{12}$/.test(o.expectedAccount)) {
    throw new UsageError(`--expected-account must be a 12-digit AWS account id, got "${o.expectedAccount}"`);
  }
  for (const [flag, value] of [["--pipeline", o.pipeline], ["--environment", o.environment]] as const) {
    if (value !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value)) throw new UsageError(`${flag} "${value}" is not a pipeline or environment name`);
  }
  const t = resolveTarget(o);
  const scope = [t.pipeline ? `pipeline ${t.pipeline}` : undefined, t.environment ? `environment ${t.environment}` : undefined].filter(Boolean);
  const [tools, aws] = await Promise.all([toolChecks(o.cwd, t), awsChecks(o, t)]);
  return { heading: `pipegen doctor${scope.length ? ` (${scope.join(", ")})` : ""}`, checks: [nodeCheck(), ...tools, ...aws] };
}
