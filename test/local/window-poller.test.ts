// The local event source mapping with tumbling windows, over emulated Kinesis, driving the reference
// pipeline's bundled aggregate (per_device): window state carried between batches, a malformed record
// checkpointed, bisected, retried and parked in the dead-letter queue, every good reading counted once,
// and one item per device written at the window's final invocation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { CreateStreamCommand, KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { CreateTableCommand, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { compileForLocal, type CompiledPipeline } from "../../src/local/compiled.ts";
import { pidAlive, startMoto, type Emulator } from "../../src/local/moto.ts";
import { loadHandler, zipEntryCode, type Handler } from "../../src/local/bundles.ts";
import { captured } from "../../src/local/log-capture.ts";
import { MappingPoller, type MappingSettings } from "../../src/local/poller.ts";
import { SimClock } from "../../src/local/clock.ts";
import { FunctionStats } from "../../src/local/stats.ts";
import { localAwsEnv, setEnv } from "../../src/local/env.ts";

import { streamSettings } from "../../src/plan/functions.ts";

const repo = join(import.meta.dirname, "../..");
let cp: CompiledPipeline;
let moto: Emulator;
let restoreEnv: () => void;
let ddb: DynamoDBClient;
let kinesis: KinesisClient;
let sqs: SQSClient;
let handler: Handler;
let settings: MappingSettings;
const stats = new FunctionStats();
const events: Array<{ n: number; final: boolean; stateGroups: number; reported: number }> = [];
const temps: Record<string, number[]> = { "sensor-1": [20, 21, 22, 23, 24, 25], "sensor-2": [30, 31, 32] };
let poisonSeq = "";

beforeAll(async () => {
  const o = await compileForLocal("pipelines/temperature.yaml", repo);
  cp = o.compiled!;
  moto = await startMoto();
  const c = { endpoint: moto.endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
  ddb = new DynamoDBClient(c);
  kinesis = new KinesisClient({ ...c, requestHandler: ddb.config.requestHandler });
  sqs = new SQSClient(c);
  await kinesis.send(new CreateStreamCommand({ StreamName: "win-readings", ShardCount: 1 }));
  await ddb.send(new CreateTableCommand({ TableName: "win-averages", KeySchema: [{ AttributeName: "device_id", KeyType: "HASH" }, { AttributeName: "window_start", KeyType: "RANGE" }], AttributeDefinitions: [{ AttributeName: "device_id", AttributeType: "S" }, { AttributeName: "window_start", AttributeType: "S" }], BillingMode: "PAY_PER_REQUEST" }));
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: "win-per-device-dlq" }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  restoreEnv = setEnv({ ...localAwsEnv(moto.endpoint), PIPEGEN_TABLE_AVERAGES: "win-averages" });
  handler = await loadHandler(zipEntryCode(cp.zips.get("per_device")!, "per_device.zip"), "window-poller");
  const plan = streamSettings(cp.units.find((u) => u.id === "per_device")!);
  if (!plan || !plan.tumblingWindowSeconds) throw new Error("per_device is not a windowed stream function");
  settings = {
    unitId: "per_device",
    functionArn: "arn:aws:lambda:us-east-1:123456789012:function:win-per-device",
    streamName: "win-readings",
    streamArn: "arn:aws:kinesis:us-east-1:123456789012:stream/win-readings",
    region: "us-east-1",
    // Small batches so the window state must travel between invocations.
    batchSize: 4,
    batchingWindowSeconds: plan.batchingWindowSeconds,
    maxRetries: plan.maxRetries,
    maxRecordAgeSeconds: plan.maxRecordAgeSeconds,
    bisect: true,
    reportBatchItemFailures: true,
    tumblingWindowSeconds: Number(plan.tumblingWindowSeconds),
    onFailure: { arn, url },
  };
  const now = new Date().toISOString();
  const data = [
    ...temps["sensor-1"]!.slice(0, 2).map((t) => JSON.stringify({ device_id: "sensor-1", temperature: t, recorded_at: now })),
    "{not json",
    ...temps["sensor-1"]!.slice(2).map((t) => JSON.stringify({ device_id: "sensor-1", temperature: t, recorded_at: now })),
    ...temps["sensor-2"]!.map((t) => JSON.stringify({ device_id: "sensor-2", temperature: t, recorded_at: now })),
  ];
  const put = await kinesis.send(new PutRecordsCommand({ StreamName: "win-readings", Records: data.map((d) => ({ PartitionKey: "p", Data: Buffer.from(d) })) }));
  poisonSeq = put.Records![2]!.SequenceNumber!;
  // A simulated clock far faster than real time: the 5-minute window has ended by the time the
  // records are read, so its closing (the final invocation) is exercised without a drain.
  const poller = new MappingPoller(settings, {
    kinesis,
    sqs,
    clock: new SimClock(10_000),
    stats,
    notice: () => {},
    pollMs: 50,
    invoke: async (event) => {
      const e = event as { Records: unknown[]; isFinalInvokeForWindow: boolean };
      const res = await captured(() => handler(event));
      const v = (res.ok ? res.value : {}) as { state?: Record<string, string>; batchItemFailures?: unknown[] };
      events.push({ n: e.Records.length, final: e.isFinalInvokeForWindow, stateGroups: Object.keys(v.state ?? {}).length, reported: v.batchItemFailures?.length ?? 0 });
      return res;
    },
  });
  const ctl = new AbortController();
  await poller.start(ctl.signal);
  const deadline = Date.now() + 60_000;
  while (!events.some((x) => x.final) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  poller.drain();
  while (!poller.drained && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  ctl.abort();
  await poller.stopped();
}, 120_000);

afterAll(async () => {
  restoreEnv?.();
  kinesis?.destroy();
  ddb?.destroy();
  sqs?.destroy();
  if (moto) {
    const pid = moto.pid!;
    await moto.stop();
    expect(pidAlive(pid)).toBe(false);
  }
});

describe("local event source mapping with tumbling windows", () => {
  it("carries window state across batches and writes one item per device at the final invocation", async () => {
    const final = events.filter((e) => e.final);
    expect(final.length).toBeGreaterThanOrEqual(1);
    expect(events.filter((e) => !e.final).every((e) => e.n <= 4)).toBe(true);
    const items = (await ddb.send(new ScanCommand({ TableName: "win-averages" }))).Items ?? [];
    const byDevice = new Map<string, { n: number; sum: number }>();
    for (const i of items) {
      const d = byDevice.get(i.device_id!.S!) ?? { n: 0, sum: 0 };
      d.n += Number(i.readings!.N);
      d.sum += Number(i.average_temperature!.N) * Number(i.readings!.N);
      byDevice.set(i.device_id!.S!, d);
      expect(Date.parse(i.window_end!.S!) - Date.parse(i.window_start!.S!)).toBe(300_000);
    }
    // Every good reading folded exactly once, despite the retries after the malformed one.
    for (const [device, ts] of Object.entries(temps)) {
      expect(byDevice.get(device)?.n, device).toBe(ts.length);
      expect(byDevice.get(device)!.sum / ts.length).toBeCloseTo(ts.reduce((a, b) => a + b, 0) / ts.length, 9);
    }
  });

  it("checkpoints at the malformed record, isolates it, retries it and parks it in the dead-letter queue", async () => {
    expect(events.some((e) => e.reported > 1)).toBe(true); // the records after it were deferred, not folded
    expect(events.filter((e) => e.n === 1 && e.reported === 1)).toHaveLength(settings.maxRetries + 1);
    expect(stats.parked).toBe(1);
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: settings.onFailure!.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(got.Messages ?? []).toHaveLength(1);
    expect(JSON.parse(got.Messages![0]!.Body!).KinesisBatchInfo).toMatchObject({ startSequenceNumber: poisonSeq, endSequenceNumber: poisonSeq, batchSize: 1 });
  });
});
