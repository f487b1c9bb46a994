import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { KinesisClient, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { ListObjectsV2Command, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { MotoServer } from "../support/moto.ts";
import { pidAlive, startMoto } from "../support/moto.ts";
import { prepareModuleForMoto } from "../support/emulated-module.ts";
import { apply, destroy, init, outputs, planDetailed } from "../support/terraform.ts";
import { explainedChanges, formatDrift, unexpectedChanges, MOTO_DRIFT_ALLOWLIST } from "../support/drift-allowlist.ts";
import { loadBundledHandler } from "../support/bundles.ts";
import { applyMotoQuirks, MOTO_APPLY_QUIRKS } from "../support/moto-quirks.ts";
import { kinesisEvent, readStream, windowEvent } from "./kinesis-events.ts";

// The reference module applied to a real AWS API emulator, its bundled handlers driven with real
// Kinesis records read back from the emulated stream, then destroyed with data in the buckets.
const moduleDir = join(import.meta.dirname, "../../generated/temperature");
const devVars = { environment: "dev", ephemeral: true };
let moto: MotoServer;
let work: string;
let out: Record<string, any>;
let kinesis: KinesisClient;
let s3: S3Client;
let ddb: DynamoDBClient;
const savedEnv = { ...process.env };

type Handler = (e: unknown) => Promise<any>;
const fn = (name: string) => loadBundledHandler<Handler>(join(moduleDir, "dist", `${name}.zip`));

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
  });
  const config = { endpoint: moto.endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
  kinesis = new KinesisClient({ ...config, requestHandler: new NodeHttpHandler() });
  s3 = new S3Client({ ...config, forcePathStyle: true });
  ddb = new DynamoDBClient(config);
  work = await prepareModuleForMoto(moduleDir, moto.endpoint);
  const touched = await applyMotoQuirks(work);
  expect(touched).toEqual(["aws_s3_bucket_policy.access_logs", "aws_s3_bucket_policy.lake"]);
  console.log(MOTO_APPLY_QUIRKS.map((q) => `emulator quirk ${q.id} on ${touched.join(", ")}: ${q.change} — ${q.reason}`).join("\n"));
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

describe("reference pipeline on moto", () => {
  it("re-plans with no changes after apply (known emulator differences listed and printed)", async () => {
    const plan = await planDetailed(work, devVars);
    const unexpected = unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST);
    const explained = explainedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST);
    if (explained.length) console.log(`allowlisted emulator drift:\n${formatDrift([], explained)}`);
    expect(unexpected, formatDrift(unexpected)).toEqual([]);
  });

  let expectedAverage = 0;
  let expectedPerDevice: Record<string, { sum: number; n: number }> = {};

  it("the generator handler writes records_per_run records into the stream", async () => {
    process.env.PIPEGEN_STREAM = out.readings_stream_name;
    const result = await (await fn("simulator"))({});
    expect(result).toEqual({ put: 25 });
    // One implausible reading (dropped by the filter) and one poison record (not JSON).
    await kinesis.send(new PutRecordCommand({ StreamName: out.readings_stream_name, PartitionKey: "sensor-9", Data: Buffer.from(JSON.stringify({ device_id: "sensor-9", temperature: 999, recorded_at: new Date().toISOString() })) }));
    await kinesis.send(new PutRecordCommand({ StreamName: out.readings_stream_name, PartitionKey: "sensor-1", Data: Buffer.from("{not json") }));
    const shards = await readStream(kinesis, out.readings_stream_name);
    const all = shards.flatMap((s) => s.records);
    expect(all).toHaveLength(27);
    const good = all.map((r) => r.data.toString()).filter((t) => t.startsWith("{\"")).map((t) => JSON.parse(t)).filter((r) => r.temperature <= 150);
    expect(good).toHaveLength(25);
    for (const r of good) {
      expect(["sensor-1", "sensor-2", "sensor-3"]).toContain(r.device_id);
      expect(r.temperature).toBeGreaterThanOrEqual(18);
      expect(r.temperature).toBeLessThanOrEqual(32);
    }
    expectedAverage = good.reduce((a, r) => a + r.temperature, 0) / good.length;
    expectedPerDevice = {};
    for (const r of good) {
      const e = (expectedPerDevice[r.device_id] ??= { sum: 0, n: 0 });
      e.sum += r.temperature;
      e.n += 1;
    }
  });

  it("the lake handler lands raw readings under raw/dt=…, reports only the poison record, and a replay adds nothing", async () => {
    process.env.PIPEGEN_BUCKET_LAKE = out.lake_bucket_name;
    const handler = await fn("lake");
    const shards = await readStream(kinesis, out.readings_stream_name);
    const failures: string[] = [];
    for (const shard of shards.filter((s) => s.records.length)) {
      const res = await handler(kinesisEvent(out.readings_stream_arn, shard));
      failures.push(...res.batchItemFailures.map((f: { itemIdentifier: string }) => f.itemIdentifier));
    }
    const poison = shards.flatMap((s) => s.records).find((r) => r.data.toString() === "{not json")!;
    expect(failures).toEqual([poison.sequenceNumber]);
    const list = async () => (await s3.send(new ListObjectsV2Command({ Bucket: out.lake_bucket_name }))).Contents ?? [];
    const objects = await list();
    expect(objects.length).toBeGreaterThan(0);
    let lines = 0;
    for (const o of objects) {
      expect(o.Key).toMatch(/^raw\/dt=\d{4}-\d{2}-\d{2}\/shardId-\d+\/\d+(-\d+)?\.jsonl$/);
      const body = await (await s3.send(new GetObjectCommand({ Bucket: out.lake_bucket_name, Key: o.Key! }))).Body!.transformToString();
      lines += body.trim().split("\n").length;
    }
    // 25 generated + the implausible one (the lake keeps raw readings; only the poison fails).
    expect(lines).toBe(26);
    for (const shard of shards.filter((s) => s.records.length)) await handler(kinesisEvent(out.readings_stream_arn, shard));
    expect((await list()).map((o) => o.Key)).toEqual(objects.map((o) => o.Key));
  });

  it("the aggregate handler carries tumbling-window state and writes one averaged item per device", async () => {
    process.env.PIPEGEN_TABLE_AVERAGES = out.averages_table_name;
    const handler = await fn("per_device");
    const window = { start: "2026-11-25T10:00:00Z", end: "2026-11-25T10:05:00Z" };
    const shards = await readStream(kinesis, out.readings_stream_name);
    for (const shard of shards.filter((s) => s.records.length)) {
      const half = Math.ceil(shard.records.length / 2);
      const first = await handler(windowEvent(out.readings_stream_arn, shard, shard.records.slice(0, half), window, {}, false));
      const second = await handler(windowEvent(out.readings_stream_arn, shard, shard.records.slice(half), window, first.state, false));
      const poison = shard.records.find((r) => r.data.toString() === "{not json");
      const failed = [...first.batchItemFailures, ...second.batchItemFailures].map((f: { itemIdentifier: string }) => f.itemIdentifier);
      expect(failed).toEqual(poison ? [poison.sequenceNumber] : []);
      const final = await handler(windowEvent(out.readings_stream_arn, shard, [], window, second.state, true));
      expect(final.state).toEqual({});
    }
    const items = (await ddb.send(new ScanCommand({ TableName: out.averages_table_name }))).Items ?? [];
    expect(items.map((i) => i.device_id!.S).sort()).toEqual(Object.keys(expectedPerDevice).sort());
    for (const item of items) {
      const e = expectedPerDevice[item.device_id!.S!]!;
      expect(item.window_start!.S).toBe(window.start);
      expect(Number(item.readings!.N)).toBe(e.n);
      expect(Number(item.average_temperature!.N)).toBeCloseTo(e.sum / e.n, 6);
      expect(Number(item.expires_at!.N)).toBeGreaterThan(Date.parse(window.start) / 1000 + 34 * 86400);
    }
  });

  it("the API handler answers the count-weighted average, per device, 400 and 404", async () => {
    process.env.PIPEGEN_TABLE_AVERAGES = out.averages_table_name;
    const handler = await fn("temperature_api");
    const get = (rawPath: string, q?: Record<string, string>) =>
      handler({ version: "2.0", routeKey: `GET ${rawPath}`, rawPath, rawQueryString: new URLSearchParams(q).toString(), queryStringParameters: q ?? null, requestContext: { http: { method: "GET", path: rawPath } } });
    const all = await get("/api/v1/temperature");
    expect(all.statusCode).toBe(200);
    expect(JSON.parse(all.body).average).toBeCloseTo(expectedAverage, 6);
    const [device, e] = Object.entries(expectedPerDevice)[0]!;
    const one = await get("/api/v1/temperature", { device_id: device });
    expect(one.statusCode).toBe(200);
    expect(JSON.parse(one.body).average).toBeCloseTo(e.sum / e.n, 6);
    const bad = await get("/api/v1/temperature", { colour: "red" });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/device_id/);
    const missing = await get("/api/v1/nothing-here");
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body)).toHaveProperty("error");
  });

  it("destroys the ephemeral environment with objects in the data and access-log buckets", async () => {
    await s3.send(new PutObjectCommand({ Bucket: `temperature-dev-access-logs-123456789012`, Key: "lake/2026-11-25-log", Body: "log line" }));
    const before = (await s3.send(new ListObjectsV2Command({ Bucket: out.lake_bucket_name }))).KeyCount ?? 0;
    expect(before).toBeGreaterThan(0);
    await destroy(work, devVars);
    const after = await s3.send(new ListObjectsV2Command({ Bucket: out.lake_bucket_name })).catch((e: Error) => e);
    expect(after).toBeInstanceOf(Error);
    expect((after as Error).name).toBe("NoSuchBucket");
  });
});
