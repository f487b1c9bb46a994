import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { snsSink, streamHandler } from "../../src/runtime/index.ts";
import type { Contract, SinkItem } from "../../src/runtime/index.ts";
import { RECORD_ID_ATTRIBUTE } from "../../src/runtime/sns-sink.ts";
import { startMoto, type Moto } from "./moto.ts";
import { kinesisEvent, seq, SHARD } from "./events.ts";

// The SNS sink against moto_server: a queue subscribed to the topic sees what consumers would.
let moto: Moto;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  moto = await startMoto();
  const sns = new SNSClient({});
  sqs = new SQSClient({});
  const topic = await sns.send(new CreateTopicCommand({ Name: "pipegen-test-events" }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "subscriber" }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: "sqs", Endpoint: queueArn }));
  process.env.PIPEGEN_TOPIC_EVENTS = topic.TopicArn!;
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
}, 90_000);
afterAll(async () => {
  await moto?.stop();
});

interface Delivered {
  message: unknown;
  attributes: Record<string, { Type: string; Value: string }>;
}

/** Everything the subscribed queue holds (SNS envelopes, decoded), drained. */
async function drain(): Promise<Delivered[]> {
  const out: Delivered[] = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const msgs = r.Messages ?? [];
    if (msgs.length === 0) return out;
    for (const m of msgs) {
      const envelope = JSON.parse(m.Body!) as { Message: string; MessageAttributes?: Delivered["attributes"] };
      out.push({ message: JSON.parse(envelope.Message), attributes: envelope.MessageAttributes ?? {} });
    }
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}

const item = (n: number, record: Record<string, unknown>): SinkItem => ({ record, shardId: SHARD, sequenceNumber: seq(n), arrival: 1_718_000_000_123 });
const reading = (n: number) => ({ device_id: `d${n}`, temperature: 20 + n / 10, ok: n % 2 === 0, at: "2024-06-10T06:10:00Z" });

describe("snsSink against moto", () => {
  const sink = snsSink({ name: "events", topicEnv: "PIPEGEN_TOPIC_EVENTS", attributes: ["device_id", "ok", "temperature"] });

  it("publishes each record as its JSON in batches of 10, with the record id and typed attributes", async () => {
    const items = Array.from({ length: 23 }, (_, i) => item(i + 1, reading(i + 1)));
    expect(await sink.write(items)).toEqual({ failed: [] });
    const got = await drain();
    expect(got).toHaveLength(23);
    const byId = new Map(got.map((d) => [d.attributes[RECORD_ID_ATTRIBUTE]!.Value, d]));
    for (let n = 1; n <= 23; n++) {
      const d = byId.get(`${SHARD}:${seq(n)}`);
      expect(d?.message, `record ${n}`).toEqual(reading(n));
      expect(d!.attributes.device_id).toEqual({ Type: "String", Value: `d${n}` });
      expect(d!.attributes.temperature).toEqual({ Type: "Number", Value: String(20 + n / 10) });
      expect(d!.attributes.ok).toEqual({ Type: "String", Value: String(n % 2 === 0) });
    }
  });

  it("reports an entry SNS rejects (a message over 256 KiB) for its own record only", async () => {
    const big = { device_id: "big", temperature: 1, ok: true, at: "2024-06-10T06:10:00Z", note: "x".repeat(300_000) };
    const items = [item(1, reading(1)), item(2, big), item(3, reading(3)), item(4, reading(4))];
    expect(await sink.write(items)).toEqual({ failed: [seq(2)] });
    const got = await drain();
    expect(got.map((d) => d.attributes[RECORD_ID_ATTRIBUTE]!.Value).sort()).toEqual([1, 3, 4].map((n) => `${SHARD}:${seq(n)}`));
  });

  it("a stream handler reports only the rejected record as a batch item failure", async () => {
    const contract: Contract = { fields: { device_id: "string", temperature: "number" } };
    const handler = streamHandler({ contract, steps: [], sinks: [sink] });
    const big = { device_id: "big", temperature: 1, note: "y".repeat(270_000) };
    const event = kinesisEvent([reading(1), reading(2), big, reading(4)]);
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: seq(3) }] });
    expect((await drain()).map((d) => (d.message as { device_id: string }).device_id).sort()).toEqual(["d1", "d2", "d4"]);
  });

  it("fails every record when the topic does not exist (nothing was published)", async () => {
    process.env.PIPEGEN_TOPIC_MISSING = "arn:aws:sns:us-east-1:123456789012:no-such-topic";
    const missing = snsSink({ name: "missing", topicEnv: "PIPEGEN_TOPIC_MISSING" });
    const items = [item(1, reading(1)), item(2, reading(2))];
    expect((await missing.write(items)).failed.sort()).toEqual([seq(1), seq(2)]);
  });
});
