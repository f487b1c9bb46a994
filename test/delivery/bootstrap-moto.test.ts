import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectsCommand, HeadObjectCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import type { MotoServer } from "../support/moto.ts";
import { pidAlive, startMoto } from "../support/moto.ts";
import { prepareModuleForMoto } from "../support/emulated-module.ts";
import { applyMotoQuirks, MOTO_APPLY_QUIRKS } from "../support/moto-quirks.ts";
import { apply, destroy, init, outputs, planDetailed, runTerraform } from "../support/terraform.ts";
import { explainedChanges, formatDrift, MOTO_DRIFT_ALLOWLIST, unexpectedChanges } from "../support/drift-allowlist.ts";
import { PLACEHOLDER_REPO } from "../../src/delivery/bootstrap/bootstrap.ts";

// bootstrap/aws applied to the AWS API emulator: apply → no-change re-plan → use the state bucket
// as a generated module's backend (with the backend config the module outputs) → destroy.
const moduleDir = join(import.meta.dirname, "../../bootstrap/aws");
const OIDC = "token.actions.githubusercontent.com";
let moto: MotoServer;
let work: string;
let out: Record<string, any>;
let s3: S3Client;
const started = Date.now();
const temps: string[] = [];

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({ endpoint: moto.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });
  work = await prepareModuleForMoto(moduleDir, moto.endpoint);
  const touched = await applyMotoQuirks(work);
  expect(touched).toEqual(["aws_s3_bucket_policy.state", "aws_s3_bucket_policy.state_logs"]);
  console.log(MOTO_APPLY_QUIRKS.map((q) => `emulator quirk ${q.id} on ${touched.join(", ")}: ${q.change} — ${q.reason}`).join("\n"));
  await init(work);
  await apply(work);
  out = await outputs(work);
  console.log(`bootstrap/aws: init + apply on moto took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 600_000);

afterAll(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
  temps.forEach((t) => rmSync(t, { recursive: true, force: true }));
  if (moto) {
    const pid = moto.pid;
    await moto.stop();
    expect(pidAlive(pid)).toBe(false);
  }
  console.log(`bootstrap/aws on moto: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
});

/** Deletes every object version and delete marker of a bucket (versioned buckets refuse DeleteBucket otherwise). */
async function emptyBucket(bucket: string): Promise<number> {
  let n = 0;
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId! }));
    if (!objects.length) return n;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
    n += objects.length;
  }
}

let shown: any;
/** The applied state's value of a resource attribute (`terraform show -json`), i.e. what the emulator returned. */
async function stateValue(address: string, attribute: string): Promise<any> {
  shown ??= JSON.parse((await runTerraform(work, ["show", "-json", "-no-color"])).stdout);
  const r = shown.values.root_module.resources.find((x: any) => x.address === address);
  return r.values[attribute];
}

describe("bootstrap/aws on moto", () => {
  it("re-plans with no changes after apply (known emulator differences listed and printed)", async () => {
    const plan = await planDetailed(work);
    const unexpected = unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST);
    const explained = explainedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST);
    if (explained.length) console.log(`allowlisted emulator drift:\n${formatDrift([], explained)}`);
    expect(unexpected, formatDrift(unexpected)).toEqual([]);
  });

  it("outputs the role ARNs, the state bucket, the repository variables and one backend config per pipeline and environment", () => {
    expect(out.plan_role_arn).toBe("arn:aws:iam::123456789012:role/pipegen-plan");
    expect(out.apply_role_arn).toBe("arn:aws:iam::123456789012:role/pipegen-apply");
    expect(out.oidc_provider_arn).toBe(`arn:aws:iam::123456789012:oidc-provider/${OIDC}`);
    expect(out.state_bucket_name).toBe("pipegen-tfstate-123456789012-us-east-1");
    expect(out.github_repository_variables).toEqual({
      AWS_REGION: "us-east-1",
      AWS_PLAN_ROLE_ARN: out.plan_role_arn,
      AWS_APPLY_ROLE_ARN: out.apply_role_arn,
      TF_STATE_BUCKET: out.state_bucket_name,
    });
    expect([out.pipelines, out.environments]).toEqual([["sales-batch", "temperature"], ["dev", "prod"]]);
    expect(out.backend_configs).toEqual({
      "sales-batch/dev": "bucket=pipegen-tfstate-123456789012-us-east-1 key=sales-batch/dev.tfstate region=us-east-1 use_lockfile=true",
      "sales-batch/prod": "bucket=pipegen-tfstate-123456789012-us-east-1 key=sales-batch/prod.tfstate region=us-east-1 use_lockfile=true",
      "temperature/dev": "bucket=pipegen-tfstate-123456789012-us-east-1 key=temperature/dev.tfstate region=us-east-1 use_lockfile=true",
      "temperature/prod": "bucket=pipegen-tfstate-123456789012-us-east-1 key=temperature/prod.tfstate region=us-east-1 use_lockfile=true",
    });
  });

  it("the roles' stored trust policies pin the audience and exactly the expected subjects", async () => {
    const trust = async (role: string) => {
      const doc = JSON.parse(await stateValue(`aws_iam_role.${role}`, "assume_role_policy"));
      expect(doc.Statement).toHaveLength(1);
      const st = doc.Statement[0];
      expect(st.Action).toBe("sts:AssumeRoleWithWebIdentity");
      expect(st.Principal).toEqual({ Federated: out.oidc_provider_arn });
      expect(Object.keys(st.Condition)).toEqual(["StringEquals"]);
      expect(st.Condition.StringEquals[`${OIDC}:aud`]).toBe("sts.amazonaws.com");
      return st.Condition.StringEquals[`${OIDC}:sub`];
    };
    expect(await trust("plan")).toEqual([`repo:${PLACEHOLDER_REPO}:pull_request`, `repo:${PLACEHOLDER_REPO}:ref:refs/heads/main`]);
    expect(await trust("apply")).toEqual([`repo:${PLACEHOLDER_REPO}:environment:dev`, `repo:${PLACEHOLDER_REPO}:environment:prod`]);
    expect(await stateValue("aws_iam_openid_connect_provider.github", "client_id_list")).toEqual(["sts.amazonaws.com"]);
  });

  it("a module initialised with the output backend config keeps its state (S3 native lock file) in the bucket, encrypted with the state key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pipegen-backend-probe-"));
    temps.push(dir);
    writeFileSync(join(dir, "main.tf"), 'terraform {\n  backend "s3" {}\n}\n\nresource "terraform_data" "probe" {\n  input = "pipegen"\n}\n');
    // Only the emulator settings are added; the output string is used as-is, one -backend-config per key=value.
    writeFileSync(
      join(dir, "moto.s3.tfbackend"),
      `endpoints = { s3 = "${moto.endpoint}" }\nuse_path_style = true\nskip_credentials_validation = true\nskip_requesting_account_id = true\nskip_metadata_api_check = true\n`,
    );
    const args = (out.backend_configs["temperature/dev"] as string).split(" ").map((kv) => `-backend-config=${kv}`);
    await runTerraform(dir, ["init", "-input=false", "-no-color", ...args, "-backend-config=moto.s3.tfbackend"]);
    await runTerraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color"]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: out.state_bucket_name, Key: "temperature/dev.tfstate" }));
    expect(head.ServerSideEncryption).toBe("aws:kms");
    expect(out.state_kms_key_arn).toContain(head.SSEKMSKeyId!.split("/").pop()!);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: out.state_bucket_name }));
    // The state, and the lock file: written while init and apply ran (versioning keeps it), deleted after.
    expect([...new Set((versions.Versions ?? []).map((v) => v.Key))].sort()).toEqual(["temperature/dev.tfstate", "temperature/dev.tfstate.tflock"]);
    expect((versions.DeleteMarkers ?? []).filter((m) => m.IsLatest).map((m) => m.Key)).toEqual(["temperature/dev.tfstate.tflock"]);
  });

  it("destroys cleanly (after emptying the versioned buckets, which S3 never deletes with objects in them)", async () => {
    // Stop access logging first, or the emulator keeps delivering logs of the destroy's own requests.
    await runTerraform(work, ["destroy", "-auto-approve", "-input=false", "-no-color", "-target=aws_s3_bucket_logging.state"]);
    const removed = (await emptyBucket(out.state_bucket_name)) + (await emptyBucket(`pipegen-tfstate-logs-123456789012-us-east-1`));
    expect(removed).toBeGreaterThan(0);
    await destroy(work);
    const left = JSON.parse((await runTerraform(work, ["show", "-json", "-no-color"])).stdout);
    expect(left.values?.root_module?.resources ?? []).toEqual([]);
  }, 300_000);
});
