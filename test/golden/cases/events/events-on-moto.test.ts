import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { KinesisClient, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { MotoServer } from "../../../support/moto.ts";
import { pidAlive, startMoto } from "../../../support/moto.ts";
import { prepareModuleForMoto } from "../../../support/emulated-module.ts";
import { apply, destroy, init, outputs, planDetailed } from "../../../support/terraform.ts";
import { explainedChanges, formatDrift, unexpectedChanges, MOTO_DRIFT_ALLOWLIST } from "../../../support/drift-allowlist.ts";
import { loadBundledHandler } from "../../../support/bundles.ts";
import { applyMotoQuirks } from "../../../support/moto-quirks.ts";
import { kinesisEvent, readStream } from "../../../e2e/kinesis-events.ts";

// The events golden module applied to moto: the topic and the buses are created, the bundled
// handlers publish real stream records that a subscribed queue and a rule's queue receive, a
// re-plan shows no changes, and destroy removes everything.
const moduleDir = join(import.meta.dirname, "expected/events");
const devVars = { environment: "dev", ephemeral: true };
let moto: MotoServer;
let work: string;
let out: Record<string, any>;
let kinesis: KinesisClient;
let sqs: SQSClient;
const savedEnv = { ...process.env };

type Handler = (e: unknown) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;
const fn = (name: string) => loadBundledHandler<Handler>(join(moduleDir, "dist", `${name}.zip`));

async function queue(name: string): Promise<{ url: string; arn: string }> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  return { url, arn };
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

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
  });
  kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
  sqs = new SQSClient({});
  work = await prepareModuleForMoto(moduleDir, moto.endpoint);
  expect(await applyMotoQuirks(work)).toEqual([]);
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

describe("events pipeline on moto", () => {
  it("re-plans with no changes after apply (known emulator differences listed and printed)", async () => {
    const plan = await planDetailed(work, devVars);
    const explained = explainedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST);
    if (explained.length) console.log(`allowlisted emulator drift:\n${formatDrift([], explained)}`);
    expect(unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST), formatDrift(unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST))).toEqual([]);
    expect(out.order_topic_topic_arn).toBe("arn:aws:sns:us-east-1:123456789012:events-dev-order-topic");
    expect(out.order_bus_event_bus_name).toBe("events-dev-order-bus");
  });

  it("the bundled handlers publish paid orders to the topic and the bus; only the poison record fails", async () => {
    const topicQueue = await queue("topic-subscriber");
    await new SNSClient({}).send(new SubscribeCommand({ TopicArn: out.order_topic_topic_arn, Protocol: "sqs", Endpoint: topicQueue.arn }));
    const busQueue = await queue("bus-subscriber");
    const events = new EventBridgeClient({});
    // The module outputs the pattern subscribers use: every event of the sink, and nothing else.
    await events.send(new PutRuleCommand({ Name: "paid-orders", EventBusName: out.order_bus_event_bus_name, EventPattern: out.order_bus_event_pattern }));
    await events.send(new PutTargetsCommand({ Rule: "paid-orders", EventBusName: out.order_bus_event_bus_name, Targets: [{ Id: "queue", Arn: busQueue.arn }] }));

    const orders = [
      { order_id: "o1", store: "berlin", amount: 12.5, paid: true, created_at: "2026-11-25T10:00:00Z" },
      { order_id: "o2", store: "paris", amount: 3, paid: false, created_at: "2026-11-25T10:00:01Z" },
      { order_id: "o3", store: "paris", amount: 7, paid: true, created_at: "2026-11-25T10:00:02Z" },
    ];
    for (const o of orders) await kinesis.send(new PutRecordCommand({ StreamName: out.orders_stream_name, PartitionKey: o.store, Data: Buffer.from(JSON.stringify(o)) }));
    await kinesis.send(new PutRecordCommand({ StreamName: out.orders_stream_name, PartitionKey: "x", Data: Buffer.from("{not json") }));
    const shards = (await readStream(kinesis, out.orders_stream_name)).filter((s) => s.records.length);
    const poison = shards.flatMap((s) => s.records).find((r) => r.data.toString() === "{not json")!;

    process.env.PIPEGEN_TOPIC_ORDER_TOPIC = out.order_topic_topic_arn;
    process.env.PIPEGEN_BUS_ORDER_BUS = out.order_bus_event_bus_name;
    for (const name of ["order_topic", "order_bus"]) {
      const handler = await fn(name);
      const failed: string[] = [];
      for (const shard of shards) failed.push(...(await handler(kinesisEvent(out.orders_stream_arn, shard))).batchItemFailures.map((f) => f.itemIdentifier));
      expect(failed, name).toEqual([poison.sequenceNumber]);
    }

    const paid = orders.filter((o) => o.paid);
    const messages = (await drain(topicQueue.url)).map((b) => JSON.parse(b) as { Message: string; MessageAttributes: Record<string, { Type: string; Value: string }> });
    expect(messages.map((m) => JSON.parse(m.Message)).sort((a, b) => (a.order_id < b.order_id ? -1 : 1))).toEqual(paid);
    for (const m of messages) {
      const o = JSON.parse(m.Message) as (typeof orders)[number];
      expect(m.MessageAttributes.store).toEqual({ Type: "String", Value: o.store });
      expect(m.MessageAttributes.amount).toEqual({ Type: "Number", Value: String(o.amount) });
      expect(m.MessageAttributes["pipegen-record-id"]!.Value).toMatch(/^shardId-\d+:\d+$/);
    }
    const delivered = (await drain(busQueue.url)).map((b) => JSON.parse(b) as { source: string; "detail-type": string; detail: unknown });
    expect(delivered.map((e) => [e.source, e["detail-type"]])).toEqual(paid.map(() => ["com.example.orders", "order_paid"]));
    expect(delivered.map((e) => e.detail).sort((a: any, b: any) => (a.order_id < b.order_id ? -1 : 1))).toEqual(paid);
  });

  it("destroys the environment", async () => {
    await destroy(work, devVars);
    const after = await new SNSClient({}).send(new SubscribeCommand({ TopicArn: out.order_topic_topic_arn, Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:123456789012:x" })).catch((e: Error) => e);
    expect(after).toBeInstanceOf(Error);
  });
});
