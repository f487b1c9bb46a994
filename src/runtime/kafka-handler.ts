/** Amazon MSK (Kafka) event source mapping handler. */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { KinesisStreamRecord } from "./events.ts";
import type { Contract, Sink, SinkItem, Step } from "./types.ts";
import { prepareRecord } from "./prepare.ts";
import { writeAll } from "./fanout.ts";
import { requireEnv } from "./env.ts";
import { errorReason, logJson } from "./log.ts";

/** One record of an MSK batch, as Lambda delivers it (key, value and header values are base64 or byte arrays). */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch (CREATE_TIME or LOG_APPEND_TIME). */
  timestamp: number;
  timestampType?: string;
  key?: string | null;
  /** Base64 of the record bytes; null for a tombstone. */
  value?: string | null;
  headers?: Array<Record<string, number[]>>;
}

/** Event of an Amazon MSK event source mapping: records grouped by `<topic>-<partition>`. */
export interface KafkaEvent {
  eventSource: string;
  eventSourceArn: string;
  bootstrapServers?: string;
  records: Record<string, KafkaRecord[]>;
}

/** What an invocation did with its records (Lambda ignores the response of a Kafka handler). */
export interface KafkaBatchSummary {
  received: number;
  written: number;
  filtered: number;
  /** Records that can never succeed (decode, contract or a transform failed), parked in the dead-letter queue. */
  parked: number;
}

/** Options of {@link kafkaHandler}; `options.dlqEnv` names the variable holding the dead-letter queue URL. */
export interface KafkaHandlerOptions {
  contract: Contract;
  options: { dlqEnv: string };
  steps: Step[];
  sinks: Sink[];
}

/**
 * SQS accepts messages up to 256 KiB; larger payloads are parked without their value (the
 * coordinates find it in Kafka). A literal: esbuild keeps computed module-level constants in every
 * bundle that imports the runtime, used or not.
 */
const MAX_PARKED_VALUE_CHARS = 196608;

let sqs: Promise<SQSClient> | undefined;
/** Shared SQS client, imported dynamically like the SNS client (only Kafka handlers need it). */
function sqsClient(): Promise<SQSClient> {
  sqs ??= import("@aws-sdk/client-sqs").then((m) => new m.SQSClient({}));
  return sqs;
}

/** The Kafka record in the shape prepareRecord reads, so decoding, the contract and steps behave exactly as for Kinesis. */
function asStreamRecord(r: KafkaRecord, arn: string): KinesisStreamRecord {
  return {
    kinesis: { kinesisSchemaVersion: "1.0", partitionKey: r.key ?? "", sequenceNumber: String(r.offset), data: r.value ?? "", approximateArrivalTimestamp: r.timestamp / 1000 },
    eventSource: "aws:kafka",
    eventVersion: "1.0",
    eventID: `${partitionKey(r)}:${r.offset}`,
    eventName: "aws:kafka:record",
    invokeIdentityArn: "",
    awsRegion: "",
    eventSourceARN: arn,
  };
}

/** The key Lambda groups records by, also the "shard" of the items: `<topic>-<partition>`. */
function partitionKey(r: Pick<KafkaRecord, "topic" | "partition">): string {
  return `${r.topic}-${r.partition}`;
}

interface Parked {
  record: KafkaRecord;
  reason: string;
}

/**
 * Handler for an Amazon MSK event source mapping in on-demand mode, where Lambda retries a failed
 * batch until it succeeds and accepts no partial batch response. Every record ends up written,
 * filtered (counted) or parked:
 * - a record that can never succeed (not base64 JSON, a tombstone, contract violation, a transform
 *   throwing) is sent to the function's dead-letter queue with its topic, partition, offset and
 *   reason (and its value when it fits in a message), so it cannot block its partition;
 * - when a sink fails any item the invocation throws, and Lambda redelivers the batch from the
 *   committed offsets. Items are keyed by topic-partition and offset, and each carries the first
 *   offset of its partition in the batch (where a retry restarts) as checkpoint, so a retried batch
 *   overwrites what an earlier attempt stored instead of duplicating it.
 * Poison records are parked only after every sink succeeded, so a retry does not park them twice.
 */
export function kafkaHandler(o: KafkaHandlerOptions): (event: KafkaEvent) => Promise<KafkaBatchSummary> {
  return async (event) => {
    const groups = Object.entries(event.records ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const parked: Parked[] = [];
    const perPartition: SinkItem[][] = [];
    let received = 0;
    let filtered = 0;
    for (const [, records] of groups) {
      const sorted = [...records].sort((a, b) => a.offset - b.offset);
      const items: SinkItem[] = [];
      for (const r of sorted) {
        received++;
        const p = r.value === null || r.value === undefined ? { kind: "failed" as const, reason: "record has no value (a tombstone)" } : await prepareRecord(asStreamRecord(r, event.eventSourceArn), o.contract, o.steps);
        if (p.kind === "failed") {
          logJson("warn", "record_failed", { partition: partitionKey(r), offset: r.offset, reason: p.reason });
          parked.push({ record: r, reason: p.reason });
        } else if (p.kind === "filtered") {
          filtered++;
        } else {
          items.push({ record: p.record, shardId: partitionKey(r), sequenceNumber: String(r.offset), arrival: r.timestamp, checkpoint: String(sorted[0]!.offset) });
        }
      }
      perPartition.push(items);
    }
    // Offsets are unique within a partition only: write each partition's items as one batch.
    const failed = await Promise.all(perPartition.map((items) => writeAll(o.sinks, items)));
    const sinkFailures = failed.reduce((n, s) => n + s.size, 0);
    const written = perPartition.reduce((n, items) => n + items.length, 0);
    if (sinkFailures > 0) {
      logJson("error", "batch_failed", { received, failed: sinkFailures, reason: "sink writes failed; Lambda retries the batch from the committed offsets" });
      throw new Error(`${sinkFailures} of ${written} records were not written by every sink; the batch is retried`);
    }
    if (parked.length) await park(o.options.dlqEnv, event.eventSourceArn, parked);
    logJson("info", "batch_summary", { received, written, filtered, parked: parked.length });
    return { received, written, filtered, parked: parked.length };
  };
}

/** Sends each poison record's coordinates and reason (and value when it fits) to the dead-letter queue; throws if any send fails. */
async function park(dlqEnv: string, eventSourceArn: string, list: Parked[]): Promise<void> {
  const queueUrl = requireEnv(dlqEnv);
  const client = await sqsClient();
  const { SendMessageCommand } = await import("@aws-sdk/client-sqs");
  const results = await Promise.allSettled(
    list.map(({ record: r, reason }) => {
      const value = r.value ?? null;
      const fits = value === null || value.length <= MAX_PARKED_VALUE_CHARS;
      const body = {
        source: "aws:kafka",
        eventSourceArn,
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        reason,
        ...(fits ? { value } : { valueOmitted: true, valueBase64Chars: value.length }),
      };
      return client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) }));
    }),
  );
  const errors = results.flatMap((res) => (res.status === "rejected" ? [errorReason(res.reason)] : []));
  if (errors.length) {
    logJson("error", "park_failed", { records: errors.length, reason: errors[0] });
    throw new Error(`could not park ${errors.length} of ${list.length} failed records in the dead-letter queue; the batch is retried`);
  }
  logJson("warn", "records_parked", { records: list.length });
}
