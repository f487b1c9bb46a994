// Failure injection: a `function` transform throws on one poison record. Driven by the local event
// source mapping (src/local/poller.ts) over a real emulated Kinesis stream, with the bundled handler
// writing to emulated DynamoDB through a counting proxy and failures parked in emulated SQS:
//  - the poison record is reported as a batch item failure (and nothing else is),
//  - bisect isolates it, it is retried max_retries times alone, then described in the dead-letter queue,
//  - every other record lands exactly once, and a replay of the same batch creates no duplicates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
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
import { kinesisEvent, type ShardRecord } from "../../src/local/events.ts";
import { localAwsEnv, setEnv } from "../../src/local/env.ts";

import { streamSettings } from "../../src/plan/functions.ts";

const SPEC = `pipeline: poison
record: { id: string, value: number }
defaults:
  lambda: { batch_size: 10, batching_window_seconds: 0, max_retries: 2 }
sources:
  events: { type: kinesis }
transforms:
  check: { type: function, inputs: [events] }
sinks:
  store: { type: dynamodb, inputs: [check], key: { partition: id } }
`;
const USER_CODE = `// Throws on the poison record; everything else passes through with a mark.
export function transform(record: Record<string, unknown>): Record<string, unknown> {
  if (record.value === 13) throw new Error("poison record");
  return { ...record, checked: true };
}
`;

const ids = Array.from({ length: 20 }, (_, i) => `r${String(i + 1).padStart(2, "0")}`);
const POISON = "r13";
const config = (endpoint: string) => ({ endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } });

let cwd: string;
let cp: CompiledPipeline;
let moto: Emulator;
let proxy: Server;
let proxyEndpoint: string;
let restoreEnv: () => void;
let ddb: DynamoDBClient;
let kinesis: KinesisClient;
let sqs: SQSClient;
let handler: Handler;
const writes = new Map<string, number>();
const invocations: Array<{ ids: string[]; reported: string[] }> = [];
let settings: MappingSettings;
let records: ShardRecord[] = [];
let poisonSeq = "";

/** Forwards every request to moto and counts DynamoDB item writes per `id`. */
function countingProxy(target: string): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const op = String(req.headers["x-amz-target"] ?? "");
      if (op.endsWith(".BatchWriteItem") || op.endsWith(".PutItem")) {
        const j = JSON.parse(body.toString("utf8"));
        const items = op.endsWith(".PutItem") ? [j.Item] : Object.values(j.RequestItems as Record<string, Array<{ PutRequest: { Item: unknown } }>>).flat().map((r) => r.PutRequest.Item);
        for (const it of items as Array<{ id: { S: string } }>) writes.set(it.id.S, (writes.get(it.id.S) ?? 0) + 1);
      }
      const u = new URL(target);
      const fwd = request({ host: u.hostname, port: u.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 500, r.headers);
        r.pipe(res);
      });
      fwd.end(body);
    });
  });
  return new Promise((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, () => resolve(server)));
}

async function scanIds(): Promise<Array<Record<string, unknown>>> {
  const items = (await ddb.send(new ScanCommand({ TableName: "poison-test-store" }))).Items ?? [];
  return items.map((i) => ({ id: i.id!.S, value: Number(i.value!.N), checked: i.checked!.BOOL })).sort((a, b) => (a.id! < b.id! ? -1 : 1));
}

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), "pipegen-poison-"));
  mkdirSync(join(cwd, "pipelines/poison"), { recursive: true });
  writeFileSync(join(cwd, "pipelines/poison.yaml"), SPEC);
  writeFileSync(join(cwd, "pipelines/poison/check.ts"), USER_CODE);
  const o = await compileForLocal("pipelines/poison.yaml", cwd);
  expect(o.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  cp = o.compiled!;
  moto = await startMoto();
  proxy = await countingProxy(moto.endpoint);
  const addr = proxy.address() as { port: number };
  proxyEndpoint = `http://127.0.0.1:${addr.port}`;
  const c = config(moto.endpoint);
  ddb = new DynamoDBClient(c);
  kinesis = new KinesisClient({ ...c, requestHandler: ddb.config.requestHandler });
  sqs = new SQSClient(c);
  await kinesis.send(new CreateStreamCommand({ StreamName: "poison-test-events", ShardCount: 1 }));
  await ddb.send(new CreateTableCommand({ TableName: "poison-test-store", KeySchema: [{ AttributeName: "id", KeyType: "HASH" }], AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }], BillingMode: "PAY_PER_REQUEST" }));
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "poison-test-store-dlq" }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  // The handler's SDK clients read the endpoint from the environment, as on Lambda; its writes go through the proxy.
  restoreEnv = setEnv({ ...localAwsEnv(proxyEndpoint), PIPEGEN_TABLE_STORE: "poison-test-store" });
  handler = await loadHandler(zipEntryCode(cp.zips.get("store")!, "store.zip"), "failure-injection");
  const unit = cp.units.find((u) => u.id === "store")!;
  const plan = streamSettings(unit);
  if (!plan) throw new Error("store is not a stream function");
  settings = {
    unitId: "store",
    functionArn: "arn:aws:lambda:us-east-1:123456789012:function:poison-test-store",
    streamName: "poison-test-events",
    streamArn: "arn:aws:kinesis:us-east-1:123456789012:stream/poison-test-events",
    region: "us-east-1",
    batchSize: plan.batchSize,
    batchingWindowSeconds: plan.batchingWindowSeconds,
    maxRetries: plan.maxRetries,
    maxRecordAgeSeconds: plan.maxRecordAgeSeconds,
    // The function template always sets these (see generated/*/<function>.tf).
    bisect: true,
    reportBatchItemFailures: true,
    tumblingWindowSeconds: 0,
    onFailure: { arn: queueArn, url: queueUrl },
  };
  const put = await kinesis.send(new PutRecordsCommand({ StreamName: "poison-test-events", Records: ids.map((id, i) => ({ PartitionKey: "p", Data: Buffer.from(JSON.stringify({ id, value: i + 1 })) })) }));
  expect(put.FailedRecordCount ?? 0).toBe(0);
  records = put.Records!.map((r, i) => ({ data: Buffer.from(JSON.stringify({ id: ids[i], value: i + 1 })), partitionKey: "p", sequenceNumber: r.SequenceNumber!, arrivalMs: Date.now() }));
  poisonSeq = records[ids.indexOf(POISON)]!.sequenceNumber;
  const idOf = new Map(records.map((r, i) => [r.sequenceNumber, ids[i]!]));

  const stats = new FunctionStats();
  const notices: string[] = [];
  const poller = new MappingPoller(settings, {
    kinesis,
    sqs,
    clock: new SimClock(1),
    stats,
    notice: (m) => notices.push(m),
    pollMs: 50,
    invoke: async (event) => {
      const res = await captured(() => handler(event));
      const batch = (event as { Records: Array<{ kinesis: { sequenceNumber: string } }> }).Records.map((r) => idOf.get(r.kinesis.sequenceNumber)!);
      const reported = res.ok ? ((res.value as { batchItemFailures: Array<{ itemIdentifier: string }> }).batchItemFailures ?? []).map((f) => idOf.get(f.itemIdentifier)!) : ["<threw>"];
      invocations.push({ ids: batch, reported });
      return res;
    },
  });
  const ctl = new AbortController();
  await poller.start(ctl.signal);
  poller.drain();
  const deadline = Date.now() + 60_000;
  while (!poller.drained && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  ctl.abort();
  await poller.stopped();
  expect(poller.drained, notices.join("\n")).toBe(true);
  expect(stats.parked).toBe(1);
}, 180_000);

afterAll(async () => {
  restoreEnv?.();
  kinesis?.destroy();
  ddb?.destroy();
  sqs?.destroy();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  if (moto) {
    const pid = moto.pid!;
    await moto.stop();
    expect(pidAlive(pid)).toBe(false);
  }
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe("a function transform throwing on one poison record", () => {
  it("reports that record, and only it, as a batch item failure", () => {
    const reported = invocations.flatMap((i) => i.reported);
    expect(reported.length).toBeGreaterThan(0);
    expect(new Set(reported)).toEqual(new Set([POISON]));
    // The first delivery is the event source mapping's batch of 10, with the poison in the middle.
    expect(invocations[1]).toEqual({ ids: ids.slice(10), reported: [POISON] });
  });

  it("is isolated by bisecting, retried max_retries times alone, then described in the dead-letter queue", async () => {
    const alone = invocations.filter((i) => i.ids.length === 1 && i.ids[0] === POISON);
    expect(alone).toHaveLength(settings.maxRetries + 1);
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: settings.onFailure!.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(got.Messages ?? []).toHaveLength(1);
    const msg = JSON.parse(got.Messages![0]!.Body!);
    expect(msg.requestContext).toMatchObject({ condition: "RetryAttemptsExhausted", approximateInvokeCount: settings.maxRetries + 1, functionArn: settings.functionArn });
    expect(msg.KinesisBatchInfo).toMatchObject({ shardId: expect.stringMatching(/^shardId-/), startSequenceNumber: poisonSeq, endSequenceNumber: poisonSeq, batchSize: 1, streamArn: settings.streamArn });
  });

  it("lands every other record exactly once: writes counted per key, rewrites only where the checkpoint redelivers", async () => {
    const items = await scanIds();
    expect(items.map((i) => i.id)).toEqual(ids.filter((id) => id !== POISON));
    for (const it of items) expect(it).toEqual({ id: it.id, value: Number(String(it.id).slice(1)), checked: true });
    expect(writes.has(POISON)).toBe(false);
    // Before the poison: written once. After it in the same batch: the checkpoint (at the poison)
    // redelivers them, so they are written again under the same key, an overwrite.
    for (const id of ids.slice(0, 12)) expect(writes.get(id), id).toBe(1);
    for (const id of ids.slice(13)) expect(writes.get(id), id).toBeGreaterThanOrEqual(1);
    console.log(`writes per record: ${ids.map((id) => `${id}×${writes.get(id) ?? 0}`).join(" ")}`);
  });

  it("a replay of the same batch reports the poison again and creates no duplicates", async () => {
    const before = await scanIds();
    const replay = await captured(() => handler(kinesisEvent({ streamArn: settings.streamArn, shardId: "shardId-000000000000", region: "us-east-1" }, records.slice(10))));
    if (!replay.ok) throw replay.error;
    const res = replay.value as { batchItemFailures: Array<{ itemIdentifier: string }> };
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: poisonSeq }]);
    expect(await scanIds()).toEqual(before);
    expect(before).toHaveLength(19);
  });
});
