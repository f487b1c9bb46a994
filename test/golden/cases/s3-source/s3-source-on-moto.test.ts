import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { GetBucketNotificationConfigurationCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, GetObjectCommand } from "@aws-sdk/client-s3";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { MotoServer } from "../../../support/moto.ts";
import { pidAlive, startMoto } from "../../../support/moto.ts";
import { prepareModuleForMoto } from "../../../support/emulated-module.ts";
import { apply, destroy, init, outputs, planDetailed } from "../../../support/terraform.ts";
import { explainedChanges, formatDrift, unexpectedChanges, MOTO_DRIFT_ALLOWLIST } from "../../../support/drift-allowlist.ts";
import { loadBundledHandler } from "../../../support/bundles.ts";
import { applyMotoQuirks } from "../../../support/moto-quirks.ts";
import type { S3Event } from "../../../../src/runtime/index.ts";

// The s3-source golden module applied to moto: the landing bucket, its notification and the
// function's permission are created, a CSV file uploaded under the landing prefix is processed by
// the BUNDLED handler (moto cannot run Lambda code, so the test hands it the S3 event of the upload),
// the lake holds the paid orders, the bad line is parked in the DLQ, a redelivered event overwrites
// instead of duplicating, a re-plan shows no changes, and destroy succeeds with objects in the buckets.
const moduleDir = join(import.meta.dirname, "expected/landing");
const devVars = { environment: "dev", ephemeral: true };
let moto: MotoServer;
let work: string;
let out: Record<string, any>;
let s3: S3Client;
let sqs: SQSClient;
const savedEnv = { ...process.env };

type Handler = (e: S3Event) => Promise<{ objects: number; lines: number; written: number; filtered: number; failed: number }>;

const CSV = [
  "order_id,store,amount,paid,created_at",
  "o1,berlin,12.50,true,2026-11-25T10:00:00Z",
  "o2,paris,3,false,2026-11-25T10:00:01Z",
  '"o3","paris, rive gauche",7,TRUE,2026-11-26T09:30:00Z',
  "o4,rome,lots,true,2026-11-26T09:31:00Z",
].join("\r\n");

async function keys(bucket: string, prefix: string): Promise<string[]> {
  return ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
}

async function drain(url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const msgs = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages ?? [];
    if (!msgs.length) return bodies;
    bodies.push(...msgs.map((m) => m.Body!));
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}

/** The ObjectCreated event S3 sends for an object version (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html). */
async function objectCreated(bucket: string, key: string): Promise<S3Event> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: "us-east-1",
        eventTime: head.LastModified!.toISOString(),
        eventName: "ObjectCreated:Put",
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "lake",
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeURIComponent(key).replace(/%2F/g, "/"), size: head.ContentLength!, eTag: head.ETag!.replace(/"/g, ""), versionId: head.VersionId!, sequencer: "0055AED6DCD90281E5" },
        },
      },
    ],
  };
}

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
  });
  s3 = new S3Client({ forcePathStyle: true });
  sqs = new SQSClient({});
  work = await prepareModuleForMoto(moduleDir, moto.endpoint);
  expect(await applyMotoQuirks(work)).toEqual(["aws_s3_bucket_policy.access_logs", "aws_s3_bucket_policy.drops", "aws_s3_bucket_policy.lake"]);
  await init(work);
  await apply(work, devVars);
  out = await outputs(work);
}, 600_000);

afterAll(async () => {
  process.env = savedEnv;
  if (work) rmSync(work, { recursive: true, force: true });
  if (moto) {
    const pid = moto.pid;
    await moto.stop();
    expect(pidAlive(pid)).toBe(false);
  }
});

describe("s3 source pipeline on moto", () => {
  it("re-plans with no changes after apply (known emulator differences listed and printed)", async () => {
    const plan = await planDetailed(work, devVars);
    const explained = explainedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST);
    if (explained.length) console.log(`allowlisted emulator drift:\n${formatDrift([], explained)}`);
    expect(unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST), formatDrift(unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST))).toEqual([]);
    expect(out.drops_bucket_name).toBe("landing-dev-drops-123456789012");
    expect(out.drops_landing_prefix).toBe("incoming/orders/");
  });

  it("the bucket notifies the function for created objects under the prefix with the suffix", async () => {
    const fnArn = `arn:aws:lambda:us-east-1:123456789012:function:${out.lake_function_name}`;
    const n = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: out.drops_bucket_name }));
    expect(n.LambdaFunctionConfigurations).toHaveLength(1);
    const c = n.LambdaFunctionConfigurations![0]!;
    expect([c.Id, c.LambdaFunctionArn, c.Events]).toEqual(["lake", fnArn, ["s3:ObjectCreated:*"]]);
    const rules = Object.fromEntries((c.Filter?.Key?.FilterRules ?? []).map((r) => [String(r.Name).toLowerCase(), r.Value]));
    expect(rules).toEqual({ prefix: "incoming/orders/", suffix: ".csv" });
  });

  it("the bundled handler stores the paid orders of an uploaded CSV, parks the bad line, and a redelivery overwrites", async () => {
    const key = "incoming/orders/2026-11-26 drop.csv";
    await s3.send(new PutObjectCommand({ Bucket: out.drops_bucket_name, Key: key, Body: CSV, ContentType: "text/csv" }));
    const event = await objectCreated(out.drops_bucket_name, key);
    process.env.PIPEGEN_SOURCE_BUCKET_DROPS = out.drops_bucket_name;
    process.env.PIPEGEN_BUCKET_LAKE = out.lake_bucket_name;
    process.env.PIPEGEN_DLQ_URL = out.lake_dead_letter_queue_url;
    const handler = await loadBundledHandler<Handler>(join(moduleDir, "dist/lake.zip"));

    expect(await handler(event)).toEqual({ objects: 1, lines: 4, written: 2, filtered: 1, failed: 1 });
    const stored = await keys(out.lake_bucket_name, "orders/");
    // One object per date partition of created_at, named by the upload's identity and the chunk's first line.
    expect(stored.map((k) => k.replace(/object-[0-9a-f]{24}/, "object-<id>"))).toEqual([
      "orders/dt=2026-11-25/object-<id>/0000000002.jsonl",
      "orders/dt=2026-11-26/object-<id>/0000000002.jsonl",
    ]);
    const lines = [];
    for (const k of stored) lines.push(...(await (await s3.send(new GetObjectCommand({ Bucket: out.lake_bucket_name, Key: k }))).Body!.transformToString()).trim().split("\n").map((l) => JSON.parse(l)));
    expect(lines).toEqual([
      { order_id: "o1", store: "berlin", amount: 12.5, paid: true, created_at: "2026-11-25T10:00:00Z" },
      { order_id: "o3", store: "paris, rive gauche", amount: 7, paid: true, created_at: "2026-11-26T09:30:00Z" },
    ]);
    const parked = (await drain(out.lake_dead_letter_queue_url)).map((b) => JSON.parse(b));
    expect(parked).toEqual([
      {
        source: "drops",
        bucket: out.drops_bucket_name,
        key,
        versionId: event.Records![0]!.s3.object.versionId,
        eTag: event.Records![0]!.s3.object.eTag,
        error: "bad lines",
        badLines: 1,
        lines: [{ line: 5, reason: "field 'amount' is not a number" }],
        truncated: false,
      },
    ]);

    // Lambda may deliver an asynchronous event more than once: the same keys are written again.
    await handler(event);
    expect(await keys(out.lake_bucket_name, "orders/")).toEqual(stored);
  });

  it("destroys the environment with files in the landing bucket and the lake", async () => {
    expect((await keys(out.drops_bucket_name, "incoming/")).length).toBeGreaterThan(0);
    await destroy(work, devVars);
    for (const b of [out.drops_bucket_name, out.lake_bucket_name]) {
      expect(await s3.send(new HeadBucketCommand({ Bucket: b })).catch((e: Error) => e)).toBeInstanceOf(Error);
    }
  });
});
