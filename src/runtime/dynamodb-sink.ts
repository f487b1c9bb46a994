/** DynamoDB sink: items keyed by record fields, so a replayed batch overwrites instead of duplicating. */
import type { Rec, Sink } from "./types.ts";
import { dynamoDocClient } from "./clients.ts";
import { requireEnv } from "./env.ts";
import { logJson } from "./log.ts";
import { isTimestamp } from "./contract.ts";
import { chunkByKey, writeChunk, type KeyedItem } from "./dynamodb-batch.ts";

/** Options of {@link dynamodbSink}. */
export interface DynamoSinkOptions {
  name: string;
  tableEnv: string;
  partitionKey: string;
  sortKey?: string;
  /** TTL attribute = epoch seconds of `fromField` (or arrival) + `days`. */
  ttl?: { attribute: string; days: number; fromField?: string };
}

const DAY_SECONDS = 86_400;

/** Epoch-seconds TTL; DynamoDB TTL only honours a Number attribute holding epoch seconds. */
export function ttlSeconds(baseMs: number, days: number): number {
  return Math.floor(baseMs / 1000) + days * DAY_SECONDS;
}

/** Primary key values must be a non-empty string or a finite number (S or N key attributes). */
function validKeyValue(v: unknown): boolean {
  return (typeof v === "string" && v !== "") || (typeof v === "number" && Number.isFinite(v));
}

/** Converts a record into an item: Date values become ISO strings so timestamps are stored uniformly. */
export function toItem(record: Rec): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) item[k] = v instanceof Date ? v.toISOString() : v;
  return item;
}

/** PutItem/BatchWriteItem sink with bounded UnprocessedItems retry; still-unprocessed items fail. */
export function dynamodbSink(o: DynamoSinkOptions): Sink {
  const keyFields = o.sortKey === undefined ? [o.partitionKey] : [o.partitionKey, o.sortKey];
  const keyOf = (item: Record<string, unknown>) => JSON.stringify(keyFields.map((f) => item[f]));
  return {
    name: o.name,
    async write(items) {
      const failed: string[] = [];
      const keyed: KeyedItem[] = [];
      for (const it of items) {
        const item = toItem(it.record);
        const badKey = keyFields.find((f) => !validKeyValue(item[f]));
        if (badKey !== undefined) {
          logJson("warn", "record_failed", { sink: o.name, sequenceNumber: it.sequenceNumber, reason: `key field '${badKey}' is missing or not a string/number` });
          failed.push(it.sequenceNumber);
          continue;
        }
        if (o.ttl) {
          const from = o.ttl.fromField === undefined ? it.arrival : item[o.ttl.fromField];
          if (o.ttl.fromField !== undefined && !isTimestamp(from)) {
            logJson("warn", "record_failed", { sink: o.name, sequenceNumber: it.sequenceNumber, reason: `ttl field '${o.ttl.fromField}' is not a timestamp` });
            failed.push(it.sequenceNumber);
            continue;
          }
          item[o.ttl.attribute] = ttlSeconds(typeof from === "string" ? Date.parse(from) : (from as number), o.ttl.days);
        }
        keyed.push({ id: it.sequenceNumber, key: keyOf(item), item });
      }
      if (keyed.length === 0) return { failed };
      const table = requireEnv(o.tableEnv);
      const client = dynamoDocClient();
      // Chunks run in order: a later record with the same key must land after the earlier one.
      for (const chunk of chunkByKey(keyed)) {
        failed.push(...(await writeChunk(chunk, { client, table, keyOf, sink: o.name })));
      }
      return { failed };
    },
  };
}
