// `pipegen doctor` against a real moto_server on 127.0.0.1: its STS answers GetCallerIdentity
// with account 123456789012 (a user `moto` for plain keys, an assumed-role ARN for AssumeRole
// credentials). The CLI runs in-process through main() in a temp workspace holding a copy of the
// reference module's versions.tf and environments; AWS variables are set per test and restored.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { main } from "../../src/cli/main.ts";
import { describePrincipal, isLongLived } from "../../src/delivery/doctor/identity.ts";
import { parseTerraformVersion } from "../../src/delivery/doctor/terraform-cli.ts";
import { parseConstraint, satisfies } from "../../src/delivery/doctor/versions.ts";
import type { MotoServer } from "../support/moto.ts";
import { startMoto } from "../support/moto.ts";

const repo = join(import.meta.dirname, "../..");
const MOTO_ACCOUNT = "123456789012";
let moto: MotoServer;
const temps: string[] = [];

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
  temps.forEach((t) => rmSync(t, { recursive: true, force: true }));
});

// --- AWS environment, set per test and restored in place ---------------------------------
let saved: NodeJS.ProcessEnv;
function setEnv(vars: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
beforeEach(() => {
  saved = { ...process.env };
  const none = join(tmpdir(), "pipegen-doctor-no-such-file");
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
  setEnv({
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: none,
    AWS_SHARED_CREDENTIALS_FILE: none,
    AWS_EC2_METADATA_DISABLED: "true",
  });
});
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  setEnv(saved);
});

/** A workspace with generated/temperature/{versions.tf, environments/} copied from the repo. */
function workspace(): string {
  const cwd = mkdtempSync(join(tmpdir(), "pipegen-doctor-"));
  temps.push(cwd);
  const mod = join(cwd, "generated/temperature");
  mkdirSync(mod, { recursive: true });
  cpSync(join(repo, "generated/temperature/versions.tf"), join(mod, "versions.tf"));
  cpSync(join(repo, "generated/temperature/environments"), join(mod, "environments"), { recursive: true });
  return cwd;
}

async function doctor(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["doctor", ...argv], { cwd, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe("pipegen doctor against moto's STS", () => {
  it("matching --expected-account: exit 0, names the account and the principal", async () => {
    const r = await doctor(workspace(), "--expected-account", MOTO_ACCOUNT);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain(`✓ AWS credentials resolve to account ${MOTO_ACCOUNT}`);
    expect(r.out).toContain(`    principal: arn:aws:sts::${MOTO_ACCOUNT}:user/moto`);
    expect(r.out).toContain(`    endpoint: ${moto.endpoint} (from AWS_ENDPOINT_URL)`);
    expect(r.out).toContain(`✓ account ${MOTO_ACCOUNT} is the expected one (--expected-account)`);
    expect(r.out).toMatch(/^✓ Node \d+\.\d+\.\d+ \(pipegen requires >=20\.19\)$/m);
    expect(r.out).toMatch(/^✓ Terraform \d+\.\d+\.\d+ \(temperature requires >= 1\.5\.0\)$/m);
  });

  it("mismatched --expected-account: exit 1, saying which account was expected, which was found, and a hint", async () => {
    const r = await doctor(workspace(), "--expected-account", "111111111111");
    expect(r.code).toBe(1);
    expect(r.out).toContain(`✗ wrong AWS account: expected 111111111111 (--expected-account), found ${MOTO_ACCOUNT}`);
    expect(r.out).toContain("hint: wrong profile or role? check AWS_PROFILE (locally) or the role-to-assume of this environment (CI)");
    expect(r.err).toBe(`pipegen doctor: 1 check failed: wrong AWS account: expected 111111111111 (--expected-account), found ${MOTO_ACCOUNT}\n`);
  });

  it("takes the expected account from generated/<pipeline>/environments/<env>.tfvars", async () => {
    const cwd = workspace();
    const envs = join(cwd, "generated/temperature/environments");
    writeFileSync(join(envs, "prod.tfvars"), `environment         = "prod"\nexpected_account_id = "${MOTO_ACCOUNT}"\n`);
    writeFileSync(join(envs, "staging.tfvars"), `environment         = "staging"\nexpected_account_id = "111111111111"\n`);

    const prod = await doctor(cwd, "--pipeline", "temperature", "--environment", "prod");
    expect(prod.code, prod.out).toBe(0);
    expect(prod.out.split("\n")[0]).toBe("pipegen doctor (pipeline temperature, environment prod)");
    expect(prod.out).toContain(`✓ account ${MOTO_ACCOUNT} is the expected one (generated/temperature/environments/prod.tfvars)`);

    // --environment alone picks the only built pipeline.
    const staging = await doctor(cwd, "--environment", "staging");
    expect(staging.code).toBe(1);
    expect(staging.out).toContain(`✗ wrong AWS account: expected 111111111111 (generated/temperature/environments/staging.tfvars), found ${MOTO_ACCOUNT}`);

    // --expected-account wins over the tfvars.
    expect((await doctor(cwd, "--environment", "staging", "--expected-account", MOTO_ACCOUNT)).code).toBe(0);
  });

  it("an environment without a declared account, or an unknown one, is reported", async () => {
    const cwd = workspace();
    const dev = await doctor(cwd, "--environment", "dev");
    expect(dev.code).toBe(0);
    expect(dev.out).toContain("! expected account: dev of temperature declares none (no expected_account_id in generated/temperature/environments/dev.tfvars)");
    const qa = await doctor(cwd, "--environment", "qa");
    expect(qa.code).toBe(1);
    expect(qa.out).toContain("✗ environment qa of temperature: generated/temperature/environments/qa.tfvars not found\n    environments of temperature: dev, prod");
  });

  it("warns (exit 0) about long-lived IAM user keys: moto's default caller is a user; AKIA keys never expire", async () => {
    const r = await doctor(workspace(), "--expected-account", MOTO_ACCOUNT);
    expect(r.code).toBe(0);
    expect(r.out).toContain("    IAM user: moto (no session: long-lived keys)");
    expect(r.out).toContain("! long-lived IAM user keys, not a role session");
    setEnv({ AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE" });
    const akia = await doctor(workspace(), "--expected-account", MOTO_ACCOUNT);
    expect(akia.code).toBe(0);
    expect(akia.out).toContain("    access key AKIA… never expires; prefer temporary credentials");
  });

  it("a role session (AssumeRole credentials, ASIA…) prints the role and session, and no key warning", async () => {
    const sts = new STSClient({ endpoint: moto.endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/pipegen-apply`, RoleSessionName: "GitHubActions" }));
    sts.destroy();
    expect(c?.AccessKeyId).toMatch(/^ASIA/);
    setEnv({ AWS_ACCESS_KEY_ID: c!.AccessKeyId!, AWS_SECRET_ACCESS_KEY: c!.SecretAccessKey!, AWS_SESSION_TOKEN: c!.SessionToken! });
    const r = await doctor(workspace(), "--expected-account", MOTO_ACCOUNT);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`    principal: arn:aws:sts::${MOTO_ACCOUNT}:assumed-role/pipegen-apply/GitHubActions\n    role: pipegen-apply\n    session: GitHubActions\n`);
    expect(r.out).not.toContain("long-lived");
  });

  it("no credentials at all: the credentials check fails with what to do", async () => {
    setEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    const r = await doctor(workspace(), "--expected-account", MOTO_ACCOUNT);
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ AWS credentials: none found");
    expect(r.out).toContain("aws-actions/configure-aws-credentials with role-to-assume");
  });
});

describe("pipegen doctor: tool versions", () => {
  it("terraform missing from PATH fails the terraform check loudly, naming what the module requires", async () => {
    const path = (process.env.PATH ?? "").split(delimiter).filter((d) => d && !existsSync(join(d, "terraform")));
    setEnv({ PATH: path.join(delimiter) });
    const r = await doctor(workspace(), "--expected-account", MOTO_ACCOUNT);
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ Terraform: not found (`terraform` is not on PATH)\n    install Terraform (temperature requires >= 1.5.0) and put it on PATH");
    expect(r.err).toContain("1 check failed: Terraform: not found");
  });

  it("the provider in .terraform.lock.hcl is checked against required_providers; no lock file is 'not initialized'", async () => {
    const cwd = workspace();
    const notInit = await doctor(cwd, "--expected-account", MOTO_ACCOUNT);
    expect(notInit.out).toContain("! hashicorp/aws for temperature: not initialized (no generated/temperature/.terraform.lock.hcl); requires >= 5.100, < 7.0");
    const lock = (v: string) =>
      `# This file is maintained automatically by "terraform init".\n\nprovider "registry.terraform.io/hashicorp/aws" {\n  version     = "${v}"\n  constraints = ">= 5.100.0, < 7.0.0"\n  hashes = [\n    "h1:placeholder=",\n  ]\n}\n`;
    writeFileSync(join(cwd, "generated/temperature/.terraform.lock.hcl"), lock("6.2.0"));
    const good = await doctor(cwd, "--expected-account", MOTO_ACCOUNT);
    expect(good.code).toBe(0);
    expect(good.out).toContain("✓ hashicorp/aws 6.2.0 locked for temperature (requires >= 5.100, < 7.0)");
    writeFileSync(join(cwd, "generated/temperature/.terraform.lock.hcl"), lock("5.99.1"));
    const old = await doctor(cwd, "--expected-account", MOTO_ACCOUNT);
    expect(old.code).toBe(1);
    expect(old.out).toContain("✗ hashicorp/aws 5.99.1 locked for temperature does not meet >= 5.100, < 7.0");
  });

  it("usage errors exit 2", async () => {
    const cwd = workspace();
    expect((await doctor(cwd, "--expected-account", "12345")).code).toBe(2);
    expect((await doctor(cwd, "--pipeline", "../etc")).code).toBe(2);
    cpSync(join(cwd, "generated/temperature"), join(cwd, "generated/other"), { recursive: true });
    const r = await doctor(cwd, "--environment", "prod");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--environment needs --pipeline: generated/ holds other, temperature");
  });
});

describe("doctor helpers", () => {
  it.each([
    ["1.11.4", ">= 1.5.0", true],
    ["1.4.9", ">= 1.5.0", false],
    ["5.100.0", ">= 5.100, < 7.0", true],
    ["6.99.0", ">= 5.100, < 7.0", true],
    ["7.0.0", ">= 5.100, < 7.0", false],
    ["5.99.1", ">= 5.100, < 7.0", false],
    ["20.19.0", ">=20.19", true],
    ["20.18.3", ">=20.19", false],
    ["22.1.0", ">=20.19 <23", true],
    ["1.5.7", "~> 1.5.0", true],
    ["1.6.0", "~> 1.5.0", false],
    ["1.9.0", "~> 1.5", true],
    ["2.0.0", "~> 1.5", false],
    ["1.3.0", "!= 1.3.0", false],
    ["1.12.0-beta1", ">= 1.5.0", true],
    ["1.2.3", "1.2.3", true],
  ] as const)("%s satisfies %s: %s", (v, c, want) => {
    expect(satisfies(v, c)).toBe(want);
  });

  it("unsupported constraint syntax is not guessed", () => {
    expect(parseConstraint("^20.19")).toBeUndefined();
    expect(parseConstraint(">=18 || >=20")).toBeUndefined();
    expect(satisfies("20.19.0", "latest")).toBeUndefined();
  });

  it.each([
    ["arn:aws:sts::123456789012:assumed-role/pipegen-plan/GitHubActions", { kind: "assumed-role", name: "pipegen-plan", session: "GitHubActions" }],
    ["arn:aws:iam::123456789012:user/ops/alice", { kind: "user", name: "alice" }],
    ["arn:aws:sts::123456789012:user/moto", { kind: "user", name: "moto" }],
    ["arn:aws:iam::123456789012:root", { kind: "root" }],
    ["arn:aws-us-gov:sts::123456789012:federated-user/bob", { kind: "federated-user", name: "bob" }],
    ["not an arn", { kind: "other" }],
  ] as const)("%s → %j", (arn, want) => {
    expect(describePrincipal(arn)).toEqual(want);
  });

  it("long-lived: users, root, or AKIA keys; not role sessions", () => {
    expect(isLongLived({ account: "1", arn: "arn:aws:iam::123456789012:root" })).toBe(true);
    expect(isLongLived({ account: "1", arn: "arn:aws:sts::123456789012:assumed-role/r/s", accessKeyId: "ASIAXXXX" })).toBe(false);
    expect(isLongLived({ account: "1", arn: "arn:aws:sts::123456789012:federated-user/x", accessKeyId: "AKIAXXXX" })).toBe(true);
  });

  it("reads terraform's version from -json output, also behind a wrapper that adds lines", () => {
    expect(parseTerraformVersion('{"terraform_version":"1.11.4","platform":"linux_amd64"}')).toBe("1.11.4");
    expect(parseTerraformVersion('[command]/usr/bin/terraform version -json\n{\n "terraform_version": "1.9.8"\n}\n')).toBe("1.9.8");
    expect(parseTerraformVersion("Terraform v1.5.7\non linux_amd64\n")).toBe("1.5.7");
  });
});
