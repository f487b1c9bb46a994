import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { kafkaHandler } from "../../src/runtime/index.ts";
import type { Contract, KafkaEvent, KafkaRecord, Sink, SinkItem, Step } from "../../src/runtime/index.ts";

// The MSK handler on events shaped as Lambda delivers them (records grouped by topic-partition,
// base64 values, millisecond timestamps): what is written, filtered, parked, and when the batch fails.
const contract: Contract = { fields: { order_id: "string", amount: "number", created_at: "timestamp" } };
const ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/shop/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";
const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64");
const order = (order_id: string, amount: number) => ({ order_id, amount, created_at: "2026-11-25T10:00:00Z" });

function rec(topic: string, partition: number, offset: number, value: unknown): KafkaRecord {
  return { topic, partition, offset, timestamp: 1_764_064_800_000 + offset, timestampType: "CREATE_TIME", key: b64("k"), value: value === null ? null : b64(value), headers: [] };
}

function event(...records: KafkaRecord[]): KafkaEvent {
  const grouped: Record<string, KafkaRecord[]> = {};
  for (const r of records) (grouped[`${r.topic}-${r.partition}`] ??= []).push(r);
  return { eventSource: "aws:kafka", eventSourceArn: ARN, bootstrapServers: "b-1.shop.kafka.us-east-1.amazonaws.com:9098", records: grouped };
}

/** In-memory sink; fails the offsets it is told to (per partition, as `<topic>-<partition>:<offset>`). */
function memorySink(fail: string[] = []): Sink & { batches: SinkItem[][] } {
  const batches: SinkItem[][] = [];
  return {
    name: "mem",
    batches,
    async write(items) {
      batches.push(items);
      return { failed: items.filter((i) => fail.includes(`${i.shardId}:${i.sequenceNumber}`)).map((i) => i.sequenceNumber) };
    },
  };
}

const sent: Array<{ QueueUrl: string; MessageBody: string }> = [];
let sendError: Error | undefined;
vi.mock("@aws-sdk/client-sqs", () => ({
  SQSClient: class {
    async send(cmd: { input: { QueueUrl: string; MessageBody: string } }) {
      if (sendError) throw sendError;
      sent.push(cmd.input);
      return {};
    }
  },
  SendMessageCommand: class {
    constructor(readonly input: unknown) {}
  },
}));

let logs: Array<Record<string, unknown>>;
beforeEach(() => {
  logs = [];
  sent.length = 0;
  sendError = undefined;
  process.env.PIPEGEN_DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/kafka-dev-archive-dlq";
  const capture = (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>);
  vi.spyOn(console, "log").mockImplementation(capture);
  vi.spyOn(console, "error").mockImplementation(capture);
});
afterEach(() => {
  delete process.env.PIPEGEN_DLQ_URL;
  vi.restoreAllMocks();
});

const options = { dlqEnv: "PIPEGEN_DLQ_URL" };

describe("kafkaHandler", () => {
  const unpaid: Step = (r) => ((r.amount as number) > 0 ? r : null);
  const explode: Step = (r) => {
    if (r.order_id === "boom") throw new Error("boom step");
    return r;
  };

  it("writes valid records per partition with topic-partition, offset and the partition's first offset as retry checkpoint", async () => {
    const sink = memorySink();
    const h = kafkaHandler({ contract, options, steps: [unpaid], sinks: [sink] });
    const res = await h(event(rec("orders", 0, 41, order("a", 5)), rec("orders", 0, 42, order("b", 0)), rec("orders", 1, 7, order("c", 3)), rec("orders", 0, 43, order("d", 1))));
    expect(res).toEqual({ received: 4, written: 3, filtered: 1, parked: 0 });
    // Offsets are unique per partition only, so each partition is its own sink batch.
    expect(sink.batches.map((b) => b.map((i) => [i.shardId, i.sequenceNumber, i.checkpoint, i.record.order_id]))).toEqual([
      [
        ["orders-0", "41", "41", "a"],
        ["orders-0", "43", "41", "d"],
      ],
      [["orders-1", "7", "7", "c"]],
    ]);
    expect(sink.batches[0]![0]!.arrival).toBe(1_764_064_800_041);
    expect(sent).toEqual([]);
  });

  it("parks bad JSON, tombstones, contract violations and step failures in the dead-letter queue, and still writes the rest", async () => {
    const sink = memorySink();
    const h = kafkaHandler({ contract, options, steps: [explode], sinks: [sink] });
    const big = "x".repeat(300_000);
    const res = await h(
      event(
        rec("orders", 0, 1, order("a", 5)),
        rec("orders", 0, 2, "{not json"),
        rec("orders", 0, 3, null),
        rec("orders", 0, 4, { order_id: "secret-value", amount: "12", created_at: "2026-11-25T10:00:00Z" }),
        rec("orders", 1, 9, order("boom", 1)),
        rec("orders", 1, 10, { ...order("e", 2), note: big, amount: "big" }),
      ),
    );
    expect(res).toEqual({ received: 6, written: 1, filtered: 0, parked: 5 });
    expect(sink.batches.flat().map((i) => i.record.order_id)).toEqual(["a"]);
    const parked = sent.map((m) => JSON.parse(m.MessageBody) as Record<string, unknown>);
    expect(sent.every((m) => m.QueueUrl === process.env.PIPEGEN_DLQ_URL)).toBe(true);
    expect(parked.map((p) => [p.topic, p.partition, p.offset, p.reason])).toEqual([
      ["orders", 0, 2, "invalid JSON"],
      ["orders", 0, 3, "record has no value (a tombstone)"],
      ["orders", 0, 4, "field 'amount' is not a number"],
      ["orders", 1, 9, "step threw Error: boom step"],
      ["orders", 1, 10, "field 'amount' is not a number"],
    ]);
    // The original value travels with the parked record so it can be replayed, unless SQS could not carry it.
    expect(Buffer.from(String(parked[0]!.value), "base64").toString()).toBe("{not json");
    expect(parked[0]!.eventSourceArn).toBe(ARN);
    expect(parked[4]).toMatchObject({ valueOmitted: true });
    expect(parked[4]!.value).toBeUndefined();
    // Logs carry coordinates and reasons, never values.
    expect(JSON.stringify(logs)).not.toContain("secret-value");
    expect(logs.find((l) => l.msg === "batch_summary")).toMatchObject({ received: 6, written: 1, parked: 5 });
  });

  it("throws when a sink fails an item, so Lambda retries the batch, and parks nothing before the sinks succeed", async () => {
    const sink = memorySink(["orders-1:7"]);
    const h = kafkaHandler({ contract, options, steps: [], sinks: [sink] });
    const batch = event(rec("orders", 0, 41, order("a", 5)), rec("orders", 1, 7, order("c", 3)), rec("orders", 1, 8, "{bad"));
    await expect(h(batch)).rejects.toThrow(/1 of 2 records were not written by every sink; the batch is retried/);
    expect(sent).toEqual([]);
    // The retry of the same batch carries the same ids and checkpoints: sinks overwrite what they stored.
    const again = memorySink();
    await kafkaHandler({ contract, options, steps: [], sinks: [again] })(batch);
    expect(again.batches.flat().map((i) => `${i.shardId}:${i.sequenceNumber}@${i.checkpoint}`)).toEqual(sink.batches.flat().map((i) => `${i.shardId}:${i.sequenceNumber}@${i.checkpoint}`));
    expect(sent).toHaveLength(1);
  });

  it("a throwing sink fails the batch too", async () => {
    const broken: Sink = { name: "broken", write: async () => Promise.reject(new Error("down")) };
    await expect(kafkaHandler({ contract, options, steps: [], sinks: [memorySink(), broken] })(event(rec("orders", 0, 1, order("a", 1))))).rejects.toThrow(/not written/);
  });

  it("throws when a poison record cannot be parked, so it is not lost", async () => {
    sendError = new Error("AccessDenied");
    const h = kafkaHandler({ contract, options, steps: [], sinks: [memorySink()] });
    await expect(h(event(rec("orders", 0, 1, "{bad")))).rejects.toThrow(/could not park 1 of 1 failed records/);
    expect(logs.find((l) => l.msg === "park_failed")).toMatchObject({ records: 1, reason: "Error: AccessDenied" });
  });

  it("an empty batch does nothing", async () => {
    const sink = memorySink();
    expect(await kafkaHandler({ contract, options, steps: [], sinks: [sink] })({ eventSource: "aws:kafka", eventSourceArn: ARN, records: {} })).toEqual({ received: 0, written: 0, filtered: 0, parked: 0 });
    expect(sink.batches).toEqual([]);
  });
});
