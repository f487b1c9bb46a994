import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { RenderedFile } from "../../emit/emit.ts";
import { formatHcl } from "../../emit/format-hcl.ts";
import { hclString } from "../../emit/hcl-literal.ts";
import { render, sharedTemplate } from "../../emit/templates.ts";
import type { ManagedModule, PolicyDocument } from "../deploy-policy/derive.ts";
import { DeployPolicyError, deriveDeployPolicy, deriveReadPolicy, scanGenerated, splitPolicy } from "../deploy-policy/derive.ts";
import { policyDiff } from "../deploy-policy/diff.ts";
import { UNSCOPED_ACTIONS } from "../deploy-policy/resource-actions.ts";
import { hclPolicy } from "./hcl-policy.ts";

/** What `pipegen bootstrap` was asked for (CLI flags describe the run, see STYLE.md). */
export interface BootstrapOptions {
  /** GitHub repository, OWNER/REPO, whose workflows may assume the roles. */
  repo: string;
  /** Region of the state bucket and the bootstrap resources. */
  region: string;
  /** Deployment environments the apply role trusts; default: every environments/<env>.tfvars in generated/. */
  environments?: string[];
  /** Folder with the generated modules, relative to cwd. */
  generatedDir: string;
  cwd: string;
}

/** Everything bootstrap writes, per folder (relative to the output folder), plus the derived policies. */
export interface BootstrapResult {
  /** Folder (relative to the output folder: "", "aws", "github") → files in it. */
  folders: Map<string, RenderedFile[]>;
  modules: ManagedModule[];
  environments: string[];
  deployPolicy: PolicyDocument;
  readPolicy: PolicyDocument;
  /** Things the run allows but a reviewer should know. */
  warnings: string[];
}

/** GitHub Actions' OIDC issuer (https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services). */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
/**
 * Every bootstrap resource is named `pipegen-…` (roles, policies, state buckets, key alias). A pipeline
 * named `pipegen` or `pipegen-…` would make the deploy policy's `<pipeline>-*` patterns cover them,
 * letting the apply role change its own rights or the states, so such names are refused.
 */
export const RESERVED_PREFIX = "pipegen";
/** The repository this project's committed bootstrap/ was generated for. */
export const PLACEHOLDER_REPO = "example-org/pipegen-pipelines";
/** Job names of the pipegen workflows that must pass before merging into main. */
export const REQUIRED_STATUS_CHECKS = ["check", "test"] as const;

const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$/;
const ENVIRONMENT = /^[a-z][a-z0-9]{0,9}$/;

/** Thrown for bad flags (exit code 2); DeployPolicyError (exit 1) is for modules the policy cannot cover. */
export class BootstrapUsageError extends Error {
  override readonly name = "BootstrapUsageError";
}

/** Checks the flags; returns the problems (empty when valid). */
export function optionProblems(o: { repo: string; region: string; environments?: string[] }): string[] {
  const out: string[] = [];
  if (!REPO.test(o.repo) || o.repo.split("/")[1]!.replace(/\./g, "") === "") out.push(`--repo must be OWNER/REPO as GitHub spells it, got "${o.repo}"`);
  if (!REGION.test(o.region)) out.push(`--region must be an AWS region such as us-east-1, got "${o.region}"`);
  for (const e of o.environments ?? []) {
    if (!ENVIRONMENT.test(e)) out.push(`--environments: "${e}" is not an environment name (1-10 lower-case letters or digits, starting with a letter)`);
  }
  if (o.environments && new Set(o.environments).size !== o.environments.length) out.push("--environments lists a name twice");
  return out;
}

const hclList = (xs: readonly string[]): string => `[${xs.map(hclString).join(", ")}]`;
const file = (path: string, text: string): RenderedFile => ({ path, data: Buffer.from(text.endsWith("\n") ? text : `${text}\n`, "utf8") });
const tfFile = (path: string, text: string): RenderedFile => ({ path, data: Buffer.from(formatHcl(text), "utf8") });
const tmpl = (name: string, view: object): string => render(sharedTemplate(`bootstrap/${name}.hbs`), view);

const IGNORE_WILDCARDS =
  "#trivy:ignore:AVD-AWS-0057 pipeline resources do not exist before apply, so statements name them by the pipeline prefix <pipeline>-* (keys by their pipegen:pipeline tag) and use Resource * only for the reviewed actions without resource-level permissions (UNSCOPED_ACTIONS in src/delivery/deploy-policy/resource-actions.ts)";
const IGNORE_PASSROLE =
  "#trivy:ignore:AVD-AWS-0342 Terraform must hand each Lambda function its execution role: iam:PassRole is limited to role/<pipeline>-* and iam:PassedToService lambda.amazonaws.com";

function policyViews(docs: PolicyDocument[], kind: "deploy" | "plan-read", what: string) {
  return docs.map((doc, i) => {
    const wildcard = doc.Statement.some((s) => s.Resource.some((r) => r.includes("*")));
    const passRole = doc.Statement.some((s) => s.Action.includes("iam:PassRole"));
    const unscoped = doc.Statement.filter((s) => s.Resource.includes("*"));
    const comments = [
      `# ${what} (part ${i + 1} of ${docs.length}; IAM limits a managed policy to 6,144 characters).`,
      ...unscoped.map((s) => `# Statement ${s.Sid} uses Resource "*": ${s.Condition ? "narrowed by its Condition; " : ""}no resource-level permissions for ${s.Action.join(", ")}.`),
      ...(wildcard ? [IGNORE_WILDCARDS] : []),
      ...(passRole ? [IGNORE_PASSROLE] : []),
    ];
    return {
      name: `${kind.replace("-", "_")}_${i + 1}`,
      physical: `pipegen-${kind}-${i + 1}`,
      description: hclString(`${what} (part ${i + 1} of ${docs.length}), derived by pipegen from generated/.`),
      comments: comments.join("\n"),
      policy: hclPolicy(doc),
    };
  });
}

/** The review copy of a policy: pretty JSON, placeholders kept. */
export function policyJson(doc: PolicyDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * Derives both policies from generated/ and renders bootstrap/ in memory (nothing is written;
 * the caller writes all folders or none). Throws DeployPolicyError when generated/ manages a type
 * the policy cannot cover, BootstrapUsageError for bad flags.
 */
export async function renderBootstrap(o: BootstrapOptions): Promise<BootstrapResult> {
  const problems = optionProblems(o);
  if (problems.length) throw new BootstrapUsageError(problems.join("\n"));
  const modules = await scanGenerated(resolve(o.cwd, o.generatedDir), o.generatedDir.replace(/\/$/, ""));
  for (const m of modules) {
    if (m.pipeline === RESERVED_PREFIX || m.pipeline.startsWith(`${RESERVED_PREFIX}-`)) {
      throw new DeployPolicyError(
        `pipeline name "${m.pipeline}" would let the deploy policy's ${m.pipeline}-* patterns cover the bootstrap's own resources (pipegen-apply, pipegen-tfstate-…); rename the pipeline`,
      );
    }
  }
  const environments = o.environments ?? [...new Set(modules.flatMap((m) => m.environments))].sort();
  if (!environments.length) throw new BootstrapUsageError(`no environments: ${o.generatedDir}/*/environments/ has no .tfvars files; pass --environments dev,prod`);
  // Environments in other accounts get their own bootstrap there, so a subset is allowed, with a warning.
  const missing = modules.flatMap((m) => m.environments.filter((e) => !environments.includes(e)).map((e) => `${m.pipeline}/${e}`));
  const warnings = missing.length
    ? [`--environments leaves out ${missing.join(", ")}: this account's apply role cannot deploy them (fine if they live in another account with its own bootstrap)`]
    : [];

  const deployPolicy = deriveDeployPolicy(modules);
  const readPolicy = deriveReadPolicy(modules);
  const [owner, repoName] = o.repo.split("/") as [string, string];
  const command = `pipegen bootstrap --repo ${o.repo} --region ${o.region} --environments ${environments.join(",")}${o.generatedDir === "generated" ? "" : ` --generated ${o.generatedDir}`}`;
  const header = `# Generated by \`${command}\` from ${o.generatedDir}/. Do not edit: re-run it (and review the policy diff it prints).`;
  const pipelines = modules.map((m) => m.pipeline);
  const states = pipelines.flatMap((p) => environments.map((e) => ({ pipeline: p, environment: e, key: `${p}/${e}.tfstate` })));
  const view = {
    header,
    command,
    repo: o.repo,
    owner,
    repoName,
    region: o.region,
    oidcHost: GITHUB_OIDC_HOST,
    repoLiteral: hclString(o.repo),
    ownerLiteral: hclString(owner),
    repoNameLiteral: hclString(repoName),
    regionLiteral: hclString(o.region),
    environmentsList: hclList(environments),
    pipelinesList: hclList(pipelines),
    planSubjects: hclList([`repo:${o.repo}:pull_request`, `repo:${o.repo}:ref:refs/heads/main`]),
    applySubjects: hclList(environments.map((e) => `repo:${o.repo}:environment:${e}`)),
    statePrefixes: pipelines.map((p) => hclString(`/${p}/*`).slice(1, -1)),
    lockKeys: states.map((s) => hclString(`/${s.key}.tflock`).slice(1, -1)),
    backendConfigs: states.map((s) => ({ name: hclString(`${s.pipeline}/${s.environment}`), key: s.key })),
    deployPolicies: policyViews(splitPolicy(deployPolicy), "deploy", "Deploy policy of the apply role"),
    readPolicies: policyViews(splitPolicy(readPolicy), "plan-read", "Read-only policy of the plan role"),
    environments: environments.map((e) => ({ name: e, literal: hclString(e) })),
    statusChecks: hclList(REQUIRED_STATUS_CHECKS),
    statusCheckNames: REQUIRED_STATUS_CHECKS.map((c) => `\`${c}\``).join(", "),
    pipelineNames: pipelines.map((p) => `\`${p}\``).join(", "),
    environmentNames: environments.map((e) => `\`${e}\``).join(", "),
    unscoped: Object.entries(UNSCOPED_ACTIONS).map(([action, why]) => ({ action, why })),
    stateKeys: states.map((s) => s.key),
    placeholderNote:
      o.repo === PLACEHOLDER_REPO
        ? `\n**${PLACEHOLDER_REPO} is a placeholder.** Regenerate with your repository before applying:\n\n\`\`\`sh\nnpx pipegen bootstrap --repo OWNER/REPO\n\`\`\`\n\nThe OWNER/REPO casing must match GitHub's: the subjects are compared with StringEquals.`
        : "",
  };

  const aws = ["versions.tf", "providers.tf", "variables.tf", "main.tf", "oidc.tf", "state.tf", "plan_role.tf", "apply_role.tf", "outputs.tf"].map((f) =>
    tfFile(f, tmpl(`aws/${f}`, view)),
  );
  aws.push(file("deploy-policy.json", policyJson(deployPolicy)), file("plan-policy.json", policyJson(readPolicy)));
  const github = ["versions.tf", "main.tf", "outputs.tf"].map((f) => tfFile(f, tmpl(`github/${f}`, view)));
  github.push(file("README.md", tmpl("github/README.md", view)));
  const root = [file("README.md", tmpl("README.md", view))];
  const sort = (fs: RenderedFile[]): RenderedFile[] => fs.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { folders: new Map([["", root], ["aws", sort(aws)], ["github", sort(github)]]), modules, environments, deployPolicy, readPolicy, warnings };
}

/** The deploy policy committed in `<out>/aws/deploy-policy.json`, if there is a readable one. */
export function committedPolicy(outDir: string, name = "deploy-policy.json"): PolicyDocument | undefined {
  const path = resolve(outDir, "aws", name);
  if (!existsSync(path)) return undefined;
  try {
    const doc = JSON.parse(readFileSync(path, "utf8")) as PolicyDocument;
    return Array.isArray(doc.Statement) ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** The diff a run prints: how the committed deploy and read policies would change. */
export function bootstrapPolicyDiff(outDir: string, r: BootstrapResult): string {
  const parts: string[] = [];
  const deploy = policyDiff(committedPolicy(outDir), r.deployPolicy);
  if (deploy) parts.push(`deploy policy (apply role) changes:\n${deploy}`);
  const read = policyDiff(committedPolicy(outDir, "plan-policy.json"), r.readPolicy);
  if (read) parts.push(`read policy (plan role) changes:\n${read}`);
  return parts.join("");
}
