import { afterAll, describe, expect, it } from "vitest";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { main } from "../../src/cli/main.ts";
import { PLACEHOLDER_REPO, renderBootstrap } from "../../src/delivery/bootstrap/bootstrap.ts";
import type { PolicyDocument } from "../../src/delivery/deploy-policy/index.ts";
import { MANAGED_POLICY_LIMIT, policySize } from "../../src/delivery/deploy-policy/index.ts";
import { fmtCheck, init, validate } from "../support/terraform.ts";
import { checkModule, formatViolations } from "../security/check-module.ts";
import { loadModule } from "../security/load-module.ts";
import { policyOf } from "../security/policy.ts";

const repo = join(import.meta.dirname, "../..");
const committed = join(repo, "bootstrap");
const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));
const temp = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { cwd, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** A workspace with this repository's generated/ and committed bootstrap/. */
function workspace(): string {
  const cwd = temp("pipegen-bootstrap-");
  cpSync(join(repo, "generated"), join(cwd, "generated"), { recursive: true });
  cpSync(committed, join(cwd, "bootstrap"), { recursive: true });
  return cwd;
}

const OIDC = "token.actions.githubusercontent.com";

describe("pipegen bootstrap (CLI)", () => {
  it("the committed bootstrap/ is up to date with generated/ (--check)", async () => {
    const r = await run(repo, "bootstrap", "--repo", PLACEHOLDER_REPO, "--check");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toBe("bootstrap/ up to date (2 pipelines: sales-batch, temperature)\n");
  });

  it("--check exits 1 after a hand edit or an extra file, writing nothing; a run restores it and keeps override files", async () => {
    const cwd = workspace();
    expect((await run(cwd, "bootstrap", "--repo", PLACEHOLDER_REPO, "--check")).code).toBe(0);
    const edited = join(cwd, "bootstrap/aws/apply_role.tf");
    appendFileSync(edited, "# hand edit\n");
    writeFileSync(join(cwd, "bootstrap/aws/extra.tf"), "# not generated\n");
    writeFileSync(join(cwd, "bootstrap/aws/backend_override.tf"), 'terraform {\n  backend "s3" {}\n}\n');
    rmSync(join(cwd, "bootstrap/github/README.md"));
    const before = readFileSync(edited, "utf8");
    const r = await run(cwd, "bootstrap", "--repo", PLACEHOLDER_REPO, "--check");
    expect(r.code).toBe(1);
    expect(r.err).toContain("bootstrap/ is stale");
    expect(r.err).toContain("  bootstrap/aws/apply_role.tf (differs)\n");
    expect(r.err).toContain("  bootstrap/aws/extra.tf (not generated)\n");
    expect(r.err).toContain("  bootstrap/github/README.md (missing)\n");
    expect(r.err).not.toContain("backend_override.tf");
    expect(readFileSync(edited, "utf8")).toBe(before);

    const w = await run(cwd, "bootstrap", "--repo", PLACEHOLDER_REPO);
    expect(w.code, w.err).toBe(0);
    expect(w.out).toContain("wrote bootstrap/aws/apply_role.tf\n");
    expect(w.out).toContain("removed bootstrap/aws/extra.tf\n");
    expect(w.out).toContain("deploy and plan policies unchanged\n");
    expect(existsSync(join(cwd, "bootstrap/aws/backend_override.tf"))).toBe(true);
    expect(readFileSync(edited, "utf8")).toBe(readFileSync(join(committed, "aws/apply_role.tf"), "utf8"));
    expect((await run(cwd, "bootstrap", "--repo", PLACEHOLDER_REPO, "--check")).code).toBe(0);
  });

  it("--check also fails when generated/ changed under it, and prints the policy diff", async () => {
    const cwd = workspace();
    // A second pipeline appears in generated/ (a copy of the reference module under another name).
    const src = join(cwd, "generated/temperature");
    const dst = join(cwd, "generated/humidity");
    cpSync(src, dst, { recursive: true });
    const mainTf = join(dst, "main.tf");
    writeFileSync(mainTf, readFileSync(mainTf, "utf8").replace('name_prefix = "temperature-${var.environment}"', 'name_prefix = "humidity-${var.environment}"').replace(/("pipegen:pipeline"\s*=\s*)"temperature"/, '$1"humidity"'));
    const r = await run(cwd, "bootstrap", "--repo", PLACEHOLDER_REPO, "--check");
    expect(r.code).toBe(1);
    expect(r.err).toContain("  bootstrap/aws/deploy-policy.json (differs)\n");
    expect(r.err).toContain("deploy policy (apply role) changes:\n  ~ statement CloudWatchAlarms\n    + resource arn:${partition}:cloudwatch:us-east-1:${account}:alarm:humidity-*\n");
    expect(r.err).toContain("    + resource arn:${partition}:s3:::humidity-*\n");
    expect(r.err).toContain('    + condition StringEquals aws:ResourceTag/pipegen:pipeline = ["humidity","sales-batch","temperature"]\n');
    expect(r.err).toContain('    - condition StringEquals aws:ResourceTag/pipegen:pipeline = ["sales-batch","temperature"]\n');
  });

  it("bad flags are usage errors (exit 2) and write nothing", async () => {
    const cwd = temp("pipegen-bootstrap-usage-");
    cpSync(join(repo, "generated"), join(cwd, "generated"), { recursive: true });
    for (const argv of [
      ["bootstrap"],
      ["bootstrap", "--repo", "not-a-repo"],
      ["bootstrap", "--repo", "org/*"],
      ["bootstrap", "--repo", "a/b", "--region", "mars-1"],
      ["bootstrap", "--repo", "a/b", "--environments", "Prod"],
    ]) {
      const r = await run(cwd, ...argv);
      expect(r.code, `${argv.join(" ")}: ${r.err}`).toBe(2);
      expect(existsSync(join(cwd, "bootstrap")), argv.join(" ")).toBe(false);
    }
  });

  it("--environments may name a subset (another account bootstraps the rest), with a warning", async () => {
    const cwd = temp("pipegen-bootstrap-subset-");
    cpSync(join(repo, "generated"), join(cwd, "generated"), { recursive: true });
    const r = await run(cwd, "bootstrap", "--repo", "a/b", "--environments", "prod");
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("warning: --environments leaves out sales-batch/dev, temperature/dev: this account's apply role cannot deploy them");
    const apply = readFileSync(join(cwd, "bootstrap/aws/apply_role.tf"), "utf8");
    expect(apply).toContain('"token.actions.githubusercontent.com:sub" = ["repo:a/b:environment:prod"]');
    expect(readFileSync(join(cwd, "bootstrap/aws/plan_role.tf"), "utf8")).not.toContain("dev.tfstate");
  });

  it("refuses a pipeline whose prefix would cover the bootstrap's own resources (exit 1)", async () => {
    const cwd = temp("pipegen-bootstrap-clash-");
    const dir = join(cwd, "generated/pipegen");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "main.tf"), 'locals {\n  name_prefix = "pipegen-${var.environment}"\n}\n\nresource "aws_sqs_queue" "q" {\n  name = "${local.name_prefix}-q"\n}\n');
    writeFileSync(join(dir, "variables.tf"), 'variable "region" {\n  type    = string\n  default = "us-east-1"\n}\n');
    const r = await run(cwd, "bootstrap", "--repo", "a/b", "--environments", "dev");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pipeline name "pipegen" would let the deploy policy's pipegen-\* patterns cover the bootstrap's own resources \(pipegen-apply/);
    expect(existsSync(join(cwd, "bootstrap"))).toBe(false);
  });

  it("is deterministic: two renders are byte-identical and hold no absolute path", async () => {
    const a = await renderBootstrap({ repo: "octo/pipes", region: "eu-west-1", generatedDir: "generated", cwd: repo });
    const b = await renderBootstrap({ repo: "octo/pipes", region: "eu-west-1", generatedDir: "generated", cwd: repo });
    for (const [folder, files] of a.folders) {
      const other = b.folders.get(folder)!;
      expect(other.map((f) => f.path)).toEqual(files.map((f) => f.path));
      files.forEach((f, i) => {
        expect(other[i]!.data.equals(f.data), `${folder}/${f.path}`).toBe(true);
        expect(f.data.toString(), `${folder}/${f.path}`).not.toContain(repo);
      });
    }
    const apply = a.folders.get("aws")!.find((f) => f.path === "apply_role.tf")!.data.toString();
    expect(apply).toContain('"repo:octo/pipes:environment:dev", "repo:octo/pipes:environment:prod"');
    expect(a.folders.get("aws")!.find((f) => f.path === "variables.tf")!.data.toString()).toContain('default     = "eu-west-1"');
    expect(a.folders.get("")![0]!.data.toString()).not.toContain("is a placeholder");
  });
});

/** Statements of a policy attribute as the security checker reads them (jsonencode → JSON), comparable to a PolicyDocument. */
function readStatements(model: Awaited<ReturnType<typeof loadModule>>, type: string, name: string, attribute: string) {
  const block = model.resources[type]![name]!;
  const doc = policyOf(model, block, attribute)!;
  expect(doc.problems).toEqual([]);
  return doc.statements;
}

describe("bootstrap/aws (committed)", () => {
  const dir = join(committed, "aws");

  it("is terraform fmt clean", async () => {
    await fmtCheck(dir);
  });

  it("inits from the local provider mirror and validates with zero diagnostics", async () => {
    const work = temp("pipegen-bootstrap-validate-");
    cpSync(dir, work, { recursive: true });
    await init(work, { backend: false });
    const v = await validate(work);
    expect(v.valid).toBe(true);
    expect(v.diagnostics.map((d) => `${d.severity}: ${d.summary}`)).toEqual([]);
  });

  it("has zero security-rule violations; its only ignores are the reasoned ones on the derived policies", async () => {
    const r = await checkModule(dir);
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
    for (const id of ["PIPE-005", "AVD-AWS-0057", "AVD-AWS-0342", "AVD-AWS-0065", "PIPE-011", "PIPE-014", "AVD-AWS-0132"]) expect(r.applied).toContain(id);
    const ignoredOn = [...new Set(r.ignored.map((i) => `${i.id} ${i.resource}`))].sort();
    // One reasoned ignore per derived policy document (split at IAM's size limit), plus PassRole on the first.
    const derived = Object.keys((await loadModule(dir)).resources.aws_iam_policy ?? {}).sort();
    expect(derived.length).toBeGreaterThan(1);
    expect(ignoredOn).toEqual([...derived.map((n) => `AVD-AWS-0057 aws_iam_policy.${n}`), "AVD-AWS-0342 aws_iam_policy.deploy_1"]);
  });

  it("trusts exactly: plan role = pull requests + main, apply role = only the deployment environments, both with the sts audience", async () => {
    const model = await loadModule(dir);
    const subjects = (role: string) => {
      const [st, ...rest] = readStatements(model, "aws_iam_role", role, "assume_role_policy");
      expect(rest).toEqual([]);
      expect(st!.effect).toBe("Allow");
      expect(st!.actions).toEqual(["sts:AssumeRoleWithWebIdentity"]);
      expect(st!.principals).toEqual([{ type: "Federated", ids: ["${aws_iam_openid_connect_provider.github.arn}"] }]);
      expect(st!.conditions.filter((c) => c.variable === `${OIDC}:aud`)).toEqual([{ test: "StringEquals", variable: `${OIDC}:aud`, values: ["sts.amazonaws.com"] }]);
      const sub = st!.conditions.filter((c) => c.variable === `${OIDC}:sub`);
      expect(sub.map((c) => c.test)).toEqual(["StringEquals"]);
      return sub[0]!.values;
    };
    expect(subjects("plan")).toEqual([`repo:${PLACEHOLDER_REPO}:pull_request`, `repo:${PLACEHOLDER_REPO}:ref:refs/heads/main`]);
    expect(subjects("apply")).toEqual([`repo:${PLACEHOLDER_REPO}:environment:dev`, `repo:${PLACEHOLDER_REPO}:environment:prod`]);
  });

  it("the aws_iam_policy documents attached to the apply role are exactly deploy-policy.json, each under the size limit", async () => {
    const model = await loadModule(dir);
    const json = JSON.parse(readFileSync(join(dir, "deploy-policy.json"), "utf8")) as PolicyDocument;
    const fill = (s: string) => s.replace("${partition}", "${data.aws_partition.current.partition}").replace("${account}", "${data.aws_caller_identity.current.account_id}");
    const want = json.Statement.map((s) => ({
      sid: s.Sid,
      actions: s.Action,
      resources: s.Resource.map(fill),
      conditions: Object.entries(s.Condition ?? {}).flatMap(([test, byKey]) => Object.entries(byKey).map(([variable, values]) => ({ test, variable, values: values.map(fill) }))),
    }));
    const names = Object.keys(model.resources.aws_iam_policy!).filter((n) => n.startsWith("deploy_")).sort();
    const have = names.flatMap((n) => readStatements(model, "aws_iam_policy", n, "policy")).map((s) => ({ sid: s.sid, actions: s.actions, resources: s.resources, conditions: s.conditions }));
    expect(have).toEqual(want);
    const attached = Object.values(model.resources.aws_iam_role_policy_attachment!).filter((a) => a.body.role === "${aws_iam_role.apply.name}").map((a) => a.body.policy_arn);
    expect(attached.sort()).toEqual(names.map((n) => `\${aws_iam_policy.${n}.arn}`));
    expect(policySize(json)).toBeGreaterThan(MANAGED_POLICY_LIMIT); // hence the split
  });

  it("the state bucket is versioned, SSE-KMS with its own rotating key, private, TLS-only, logged, with noncurrent-version expiry", async () => {
    const model = await loadModule(dir);
    const r = model.resources;
    const sse = r.aws_s3_bucket_server_side_encryption_configuration!.state!.body as any;
    expect(sse.rule[0].apply_server_side_encryption_by_default[0]).toEqual({ sse_algorithm: "aws:kms", kms_master_key_id: "${aws_kms_key.state.arn}" });
    expect(r.aws_kms_key!.state!.body.enable_key_rotation).toBe(true);
    expect((r.aws_s3_bucket_versioning!.state!.body as any).versioning_configuration[0].status).toBe("Enabled");
    expect((r.aws_s3_bucket_logging!.state!.body as any).target_bucket).toBe("${aws_s3_bucket.state_logs.id}");
    expect((r.aws_s3_bucket_ownership_controls!.state!.body as any).rule[0].object_ownership).toBe("BucketOwnerEnforced");
    const lifecycle = (r.aws_s3_bucket_lifecycle_configuration!.state!.body as any).rule[0];
    expect(lifecycle.noncurrent_version_expiration[0].noncurrent_days).toBe(90);
    expect(lifecycle.expiration).toBeUndefined(); // current states never expire
    const plan = readStatements(model, "aws_iam_role_policy", "plan_state", "policy");
    // The plan role writes nothing but lock files.
    expect(plan.find((s) => s.sid === "WriteLockFiles")!.resources).toEqual([
      "${aws_s3_bucket.state.arn}/sales-batch/dev.tfstate.tflock",
      "${aws_s3_bucket.state.arn}/sales-batch/prod.tfstate.tflock",
      "${aws_s3_bucket.state.arn}/temperature/dev.tfstate.tflock",
      "${aws_s3_bucket.state.arn}/temperature/prod.tfstate.tflock",
    ]);
    expect(plan.filter((s) => s.actions.includes("s3:PutObject")).map((s) => s.sid)).toEqual(["WriteLockFiles"]);
  });
});

describe("bootstrap/github (committed; its provider is not in the offline mirror)", () => {
  const dir = join(committed, "github");

  it("is terraform fmt clean", async () => {
    await fmtCheck(dir);
  });

  it("parses, and protects main: 1 approving review, stale reviews dismissed, checks required, no force pushes or deletions, admins included", async () => {
    const parsed = (await parseHcl("main.tf", readFileSync(join(dir, "main.tf"), "utf8"))) as any;
    const rule = parsed.resource.github_branch_protection.main[0];
    expect(rule.pattern).toBe("main");
    expect(rule.repository_id).toBe("${local.repository}");
    expect(parsed.locals[0]).toEqual({ owner: "example-org", repository: "pipegen-pipelines" });
    expect(rule.required_pull_request_reviews[0].required_approving_review_count).toBe(1);
    expect(rule.required_pull_request_reviews[0].dismiss_stale_reviews).toBe(true);
    expect(rule.allows_force_pushes).toBe(false);
    expect(rule.allows_deletions).toBe(false);
    expect(rule.enforce_admins).toBe(true);
    expect(rule.required_status_checks[0]).toEqual({ strict: true, contexts: ["check", "test"] });
    const envs = parsed.resource.github_repository_environment;
    expect(Object.keys(envs).sort()).toEqual(["dev", "prod"]);
    for (const e of Object.values(envs) as any[]) expect(e[0].deployment_branch_policy[0]).toEqual({ protected_branches: true, custom_branch_policies: false });
    const versions = (await parseHcl("versions.tf", readFileSync(join(dir, "versions.tf"), "utf8"))) as any;
    expect(versions.terraform[0].required_providers[0].github.source).toBe("integrations/github");
    for (const f of ["outputs.tf"]) await parseHcl(f, readFileSync(join(dir, f), "utf8"));
  });

  it("its README says the provider is not available offline", () => {
    expect(readFileSync(join(dir, "README.md"), "utf8")).toMatch(/not in the local provider mirror/);
  });
});
