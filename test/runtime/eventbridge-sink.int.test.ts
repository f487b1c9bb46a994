import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { eventbridgeSink, streamHandler } from "../../src/runtime/index.ts";
import type { Contract, SinkItem } from "../../src/runtime/index.ts";
import { startMoto, type Moto } from "./moto.ts";
import { kinesisEvent, seq, SHARD } from "./events.ts";

// The EventBridge sink against moto_server: a rule on the bus routes the events to a queue,
// which is what a subscribing application would see.
const BUS = "pipegen-test-events";
const SOURCE = "pipegen.test";
let moto: Moto;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  moto = await startMoto();
  const events = new EventBridgeClient({});
  sqs = new SQSClient({});
  await events.send(new CreateEventBusCommand({ Name: BUS }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "subscriber" }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  await events.send(new PutRuleCommand({ Name: "to-queue", EventBusName: BUS, EventPattern: JSON.stringify({ source: [SOURCE] }) }));
  await events.send(new PutTargetsCommand({ Rule: "to-queue", EventBusName: BUS, Targets: [{ Id: "queue", Arn: queueArn }] }));
  process.env.PIPEGEN_BUS_EVENTS = BUS;
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
}, 90_000);
afterAll(async () => {
  await moto?.stop();
});

interface Delivered {
  source: string;
  "detail-type": string;
  time: string;
  detail: unknown;
}

/** Every event the rule delivered to the queue, drained. */
async function drain(): Promise<Delivered[]> {
  const out: Delivered[] = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const msgs = r.Messages ?? [];
    if (msgs.length === 0) return out;
    out.push(...msgs.map((m) => JSON.parse(m.Body!) as Delivered));
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}

const item = (n: number, record: Record<string, unknown>): SinkItem => ({ record, shardId: SHARD, sequenceNumber: seq(n), arrival: 1_718_000_000_123 });
const order = (n: number) => ({ order_id: `o${n}`, amount: n * 10, paid: n % 2 === 1 });

/** A client whose requests turn the Detail of entries marked `poison` into invalid JSON, so EventBridge rejects exactly those. */
function poisoningClient(): EventBridgeClient {
  const client = new EventBridgeClient({});
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Entries?: Array<{ Detail?: string }> };
      if (input.Entries) input.Entries = input.Entries.map((e) => (e.Detail?.includes('"poison":true') ? { ...e, Detail: "{not json" } : e));
      return next(args);
    },
    { step: "initialize", name: "poisonEntries" },
  );
  return client;
}

describe("eventbridgeSink against moto", () => {
  const sink = eventbridgeSink({ name: "events", busEnv: "PIPEGEN_BUS_EVENTS", source: SOURCE, detailType: "order_paid" });

  it("puts each record as the detail of one event, in batches of 10, with source, detail type and arrival time", async () => {
    // 12 records: two calls. moto takes ~0.2 s to route each event to the queue, so no more.
    const items = Array.from({ length: 12 }, (_, i) => item(i + 1, order(i + 1)));
    expect(await sink.write(items)).toEqual({ failed: [] });
    const got = await drain();
    expect(got).toHaveLength(12);
    expect(new Set(got.map((e) => e.source))).toEqual(new Set([SOURCE]));
    expect(new Set(got.map((e) => e["detail-type"]))).toEqual(new Set(["order_paid"]));
    expect(got.map((e) => e.detail).sort((a, b) => (a as { amount: number }).amount - (b as { amount: number }).amount)).toEqual(items.map((i) => i.record));
    expect(new Set(got.map((e) => Date.parse(e.time)))).toEqual(new Set([1_718_000_000_000]));
  });

  it("reports an entry EventBridge rejects for its own record only", async () => {
    const poisoned = eventbridgeSink({ name: "events", busEnv: "PIPEGEN_BUS_EVENTS", source: SOURCE, detailType: "order_paid" }, { client: poisoningClient() });
    const items = [item(1, order(1)), item(2, { ...order(2), poison: true }), item(3, order(3)), item(4, order(4))];
    expect(await poisoned.write(items)).toEqual({ failed: [seq(2)] });
    expect((await drain()).map((e) => (e.detail as { order_id: string }).order_id).sort()).toEqual(["o1", "o3", "o4"]);
  });

  it("a stream handler reports only the rejected record as a batch item failure", async () => {
    const contract: Contract = { fields: { order_id: "string", amount: "number" } };
    const poisoned = eventbridgeSink({ name: "events", busEnv: "PIPEGEN_BUS_EVENTS", source: SOURCE, detailType: "order_paid" }, { client: poisoningClient() });
    const handler = streamHandler({ contract, steps: [], sinks: [poisoned] });
    const event = kinesisEvent([order(1), order(2), { ...order(3), poison: true }, order(4)]);
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: seq(3) }] });
    expect((await drain()).map((e) => (e.detail as { order_id: string }).order_id).sort()).toEqual(["o1", "o2", "o4"]);
  });

  it("fails every record when the bus does not exist", async () => {
    process.env.PIPEGEN_BUS_MISSING = "no-such-bus";
    const missing = eventbridgeSink({ name: "missing", busEnv: "PIPEGEN_BUS_MISSING", source: SOURCE, detailType: "x" });
    expect((await missing.write([item(1, order(1)), item(2, order(2))])).failed.sort()).toEqual([seq(1), seq(2)]);
  });
});
