/**
 * Firehose sink (an `s3` sink with `format: parquet` fed by a stream): every record goes to a
 * Kinesis Data Firehose Direct PUT stream as one JSON document, up to 500 per PutRecordBatch call.
 * Firehose converts them to Parquet with the Glue table's schema and writes them under the
 * table's `dt=`/`hr=` partitions, which it reads from the record with a jq query (dynamic
 * partitioning). Entries Firehose rejects are retried; those that still fail are reported, so the
 * handler's partial batch response sends exactly them (and what follows them) round again.
 *
 * Firehose delivers at least once and cannot deduplicate: a record redelivered after a partial
 * failure is stored twice. Every record therefore carries `pipegen_record_id` (shard and sequence
 * number, or the window item id: the same on every attempt), a column of the table, so queries
 * can deduplicate by it.
 */
import type { FirehoseClient, _Record as FirehoseRecord } from "@aws-sdk/client-firehose";
import type { Rec, Sink, SinkItem } from "./types.ts";
import type { RetryPolicy } from "./retry.ts";
import { requireEnv } from "./env.ts";
import { isTimestamp } from "./contract.ts";
import { logJson } from "./log.ts";
import { publishAll, type Outgoing } from "./batch-publish.ts";
import { recordId } from "./sns-sink.ts";

/** Options of {@link firehoseSink}. */
export interface FirehoseSinkOptions {
  name: string;
  /** Environment variable holding the delivery stream name. */
  streamEnv: string;
  /** Timestamp field the partition comes from; without it, the time the stream received the record. */
  timeField?: string;
  /** Timestamp fields of the table, sent in the one form Firehose's OpenX JSON parser reads as a timestamp. */
  timestamps?: string[];
}

/** Test seams: a client, retry policy and sleep of one's own. */
export interface FirehoseSinkDeps {
  client?: Pick<FirehoseClient, "send">;
  policy?: RetryPolicy;
  sleepFn?: (ms: number) => Promise<void>;
}

/** PutRecordBatch takes at most 500 records… */
export const FIREHOSE_BATCH_MAX = 500;
/** …and at most 4 MiB in one call (literals: esbuild keeps computed constants in every bundle). */
export const FIREHOSE_BATCH_MAX_BYTES = 4_194_304;
/** One record may hold at most 1,000 KiB (before base64 encoding). */
export const FIREHOSE_RECORD_MAX_BYTES = 1_024_000;
/** Table column with the record's stable id, to deduplicate redelivered records by. */
export const RECORD_ID_COLUMN = "pipegen_record_id";
/**
 * JSON key with the arrival time when the partition comes from it. A `-` cannot occur in contract
 * field names, so it never clashes with one, and no column maps to it, so Parquet leaves it out.
 */
export const ARRIVAL_KEY = "pipegen-arrival";
/** Error codes Firehose documents for entries worth retrying; any other code is a problem of the entry. */
const RETRYABLE = new Set(["ServiceUnavailableException", "InternalFailure"]);

let shared: Promise<FirehoseClient> | undefined;

/** Shared Firehose client (SDK v3 honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_FIREHOSE itself), imported on first use. */
function firehoseClient(): Promise<FirehoseClient> {
  shared ??= import("@aws-sdk/client-firehose").then((m) => new m.FirehoseClient({}));
  return shared;
}

/**
 * The JSON document Firehose receives for one item, or why the item cannot be sent. Timestamps
 * become UTC ISO-8601 with a `Z` (`2026-11-25T10:00:00.000Z`): Firehose's OpenX JSON SerDe parses
 * that into a Parquet timestamp, and the partition query can slice `YYYY-MM-DD` and `HH` from it.
 */
export function firehoseDocument(item: SinkItem, o: Pick<FirehoseSinkOptions, "timeField" | "timestamps">): { doc: string } | { error: string } {
  const rec: Rec = { ...item.record };
  for (const f of o.timestamps ?? []) {
    const v = rec[f];
    if (isTimestamp(v)) rec[f] = new Date(Date.parse(v)).toISOString();
  }
  if (o.timeField !== undefined && !isTimestamp(item.record[o.timeField])) return { error: `field '${o.timeField}' is not a timestamp` };
  if (o.timeField === undefined) rec[ARRIVAL_KEY] = new Date(item.arrival).toISOString();
  rec[RECORD_ID_COLUMN] = recordId(item);
  // Newline-delimited, so the objects Firehose would write without conversion are JSON lines too.
  const doc = JSON.stringify(rec) + "\n";
  const bytes = Buffer.byteLength(doc, "utf8");
  if (bytes > FIREHOSE_RECORD_MAX_BYTES) return { error: `record is ${bytes} bytes as JSON; Firehose accepts at most ${FIREHOSE_RECORD_MAX_BYTES}` };
  return { doc };
}

/** Sends records to the delivery stream; entries Firehose rejects are retried, then reported failed, alone. */
export function firehoseSink(o: FirehoseSinkOptions, deps: FirehoseSinkDeps = {}): Sink {
  return {
    name: o.name,
    async write(items) {
      if (items.length === 0) return { failed: [] };
      const failed: string[] = [];
      const out: Outgoing<FirehoseRecord>[] = [];
      for (const it of items) {
        const d = firehoseDocument(it, o);
        if ("error" in d) {
          logJson("warn", "record_failed", { sink: o.name, sequenceNumber: it.sequenceNumber, reason: d.error });
          failed.push(it.sequenceNumber);
          continue;
        }
        const data = Buffer.from(d.doc, "utf8");
        out.push({ id: it.sequenceNumber, entry: { Data: data }, bytes: data.length });
      }
      if (out.length === 0) return { failed };
      const stream = requireEnv(o.streamEnv);
      const client = deps.client ?? (await firehoseClient());
      const { PutRecordBatchCommand } = await import("@aws-sdk/client-firehose");
      failed.push(
        ...(await publishAll(out, {
          sink: o.name,
          maxEntries: FIREHOSE_BATCH_MAX,
          maxBytes: FIREHOSE_BATCH_MAX_BYTES,
          ...(deps.policy ? { policy: deps.policy } : {}),
          ...(deps.sleepFn ? { sleepFn: deps.sleepFn } : {}),
          async send(entries) {
            const res = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: entries }));
            if (!res.FailedPutCount) return [];
            // Responses are in request order; a failed one has an ErrorCode instead of a RecordId.
            // An entry without any response is not known to be stored, so it is retried too.
            const responses = res.RequestResponses ?? [];
            return entries.flatMap((_, index) => {
              const r = responses[index];
              if (r?.RecordId && !r.ErrorCode) return [];
              const code = r?.ErrorCode;
              return [{ index, retryable: code === undefined || RETRYABLE.has(code), reason: `${code ?? "NoResponse"}: ${(r?.ErrorMessage ?? "").slice(0, 200)}` }];
            });
          },
        })),
      );
      return { failed };
    },
  };
}

