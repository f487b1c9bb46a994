/**
 * SNS sink: every record becomes one message (its JSON) on a standard topic, 10 per PublishBatch
 * call. Standard topics deliver at least once and in no particular order, so a retried batch can
 * deliver a record twice: each message carries the attribute `pipegen-record-id` (shard and
 * sequence number, or the window item id), the same on every retry, for consumers to deduplicate.
 */
import type { MessageAttributeValue, PublishBatchRequestEntry, SNSClient } from "@aws-sdk/client-sns";
import type { Rec, Sink, SinkItem } from "./types.ts";
import type { RetryPolicy } from "./retry.ts";
import { snsClient } from "./clients.ts";
import { requireEnv } from "./env.ts";
import { publishAll, type Outgoing } from "./batch-publish.ts";

/** Options of {@link snsSink}. */
export interface SnsSinkOptions {
  name: string;
  /** Environment variable holding the topic ARN. */
  topicEnv: string;
  /** Record fields copied into message attributes, for subscription filter policies. */
  attributes?: string[];
}

/** Test seams: a client, retry policy and sleep of one's own. */
export interface SnsSinkDeps {
  client?: Pick<SNSClient, "send">;
  policy?: RetryPolicy;
  sleepFn?: (ms: number) => Promise<void>;
}

/** Message attribute with the record's stable id. */
export const RECORD_ID_ATTRIBUTE = "pipegen-record-id";
/** PublishBatch takes at most 10 entries. */
export const SNS_BATCH_MAX = 10;
/** A message (body and attributes) and a whole PublishBatch request are each limited to 256 KiB. */
export const SNS_MAX_BYTES = 262_144;

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");

/** The id consumers deduplicate by: the same for a record on every delivery attempt. */
export function recordId(item: Pick<SinkItem, "shardId" | "sequenceNumber">): string {
  return `${item.shardId}:${item.sequenceNumber}`;
}

/**
 * Message attributes of a record: the record id plus the listed fields. Numbers are `Number`
 * attributes, strings, timestamps and booleans `String` ones; absent, null, empty or non-finite
 * values are left out (SNS rejects empty attribute values).
 */
export function messageAttributes(record: Rec, id: string, fields: readonly string[] = []): Record<string, MessageAttributeValue> {
  const attrs: Record<string, MessageAttributeValue> = { [RECORD_ID_ATTRIBUTE]: { DataType: "String", StringValue: id } };
  for (const f of fields) {
    const v = record[f];
    if (typeof v === "number" && Number.isFinite(v)) attrs[f] = { DataType: "Number", StringValue: String(v) };
    else if (typeof v === "string" && v !== "") attrs[f] = { DataType: "String", StringValue: v };
    else if (typeof v === "boolean") attrs[f] = { DataType: "String", StringValue: String(v) };
  }
  return attrs;
}

/** Size SNS bills against its limit: the body plus each attribute's name, type and value. */
export function messageBytes(message: string, attrs: Record<string, MessageAttributeValue>): number {
  let n = utf8(message);
  for (const [name, a] of Object.entries(attrs)) n += utf8(name) + utf8(a.DataType ?? "") + utf8(a.StringValue ?? "");
  return n;
}

/** Publishes records to the topic; entries SNS rejects are reported failed, alone. */
export function snsSink(o: SnsSinkOptions, deps: SnsSinkDeps = {}): Sink {
  return {
    name: o.name,
    async write(items) {
      if (items.length === 0) return { failed: [] };
      const topicArn = requireEnv(o.topicEnv);
      const client = deps.client ?? (await snsClient());
      const { PublishBatchCommand } = await import("@aws-sdk/client-sns");
      const out: Outgoing<Omit<PublishBatchRequestEntry, "Id">>[] = items.map((it) => {
        const message = JSON.stringify(it.record);
        const attrs = messageAttributes(it.record, recordId(it), o.attributes);
        return { id: it.sequenceNumber, entry: { Message: message, MessageAttributes: attrs }, bytes: messageBytes(message, attrs) };
      });
      const failed = await publishAll(out, {
        sink: o.name,
        maxEntries: SNS_BATCH_MAX,
        maxBytes: SNS_MAX_BYTES,
        ...(deps.policy ? { policy: deps.policy } : {}),
        ...(deps.sleepFn ? { sleepFn: deps.sleepFn } : {}),
        async send(entries) {
          // Batch ids only need to be unique within the call: the index maps failures back.
          const res = await client.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries.map((e, i) => ({ Id: String(i), ...e })) }));
          return (res.Failed ?? []).map((f) => ({
            index: Number(f.Id),
            // SenderFault marks a problem with the entry itself; anything else is the service's and may pass on retry.
            retryable: f.SenderFault !== true,
            reason: `${f.Code ?? "Error"}: ${(f.Message ?? "").slice(0, 200)}`,
          }));
        },
      });
      return { failed };
    },
  };
}
