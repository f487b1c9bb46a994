/** BatchWriteItem with UnprocessedItems retry, isolating poison items with PutItem. */
import { BatchWriteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { backoffDelay, DEFAULT_RETRY, sleep, type RetryPolicy } from "./retry.ts";
import { errorReason, logJson } from "./log.ts";

/** An item to put, with the caller's id (a sequence number) and its primary key as a string. */
export interface KeyedItem {
  id: string;
  key: string;
  item: Record<string, unknown>;
}

/** The client surface used here, so tests can pass a fake. */
export type DocSender = Pick<DynamoDBDocumentClient, "send">;

/** BatchWriteItem accepts at most 25 put requests per call. */
export const BATCH_WRITE_MAX = 25;

/**
 * Splits items into chunks of at most 25 without repeating a key inside a chunk: BatchWriteItem
 * rejects a request whose items share a key, and sequential chunks keep "last record wins".
 */
export function chunkByKey(items: readonly KeyedItem[], size = BATCH_WRITE_MAX): KeyedItem[][] {
  const chunks: KeyedItem[][] = [];
  let current: KeyedItem[] = [];
  let keys = new Set<string>();
  for (const it of items) {
    if (current.length === size || keys.has(it.key)) {
      chunks.push(current);
      current = [];
      keys = new Set();
    }
    current.push(it);
    keys.add(it.key);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Options of {@link writeChunk}. */
export interface WriteChunkOptions {
  client: DocSender;
  table: string;
  keyOf: (item: Record<string, unknown>) => string;
  policy?: RetryPolicy;
  sleepFn?: (ms: number) => Promise<void>;
  sink?: string;
}

/** Writes one chunk; returns the ids still not written after bounded retries. */
export async function writeChunk(chunk: readonly KeyedItem[], o: WriteChunkOptions): Promise<string[]> {
  const policy = o.policy ?? DEFAULT_RETRY;
  const wait = o.sleepFn ?? sleep;
  let pending = [...chunk];
  for (let attempt = 1; ; attempt++) {
    let unprocessed: Record<string, unknown>[];
    try {
      const out = await o.client.send(
        new BatchWriteCommand({ RequestItems: { [o.table]: pending.map((p) => ({ PutRequest: { Item: p.item } })) } }),
      );
      unprocessed = (out.UnprocessedItems?.[o.table] ?? []).flatMap((r) => (r.PutRequest?.Item ? [r.PutRequest.Item] : []));
    } catch (err) {
      // A rejected request (e.g. one oversized or invalid item) fails all of it; retry one by one
      // so a single poison item does not take the rest of the chunk with it.
      logJson("warn", "batch_write_rejected", { sink: o.sink, items: pending.length, reason: errorReason(err) });
      return putEach(pending, o);
    }
    // BatchWriteItem returns throttled puts in UnprocessedItems; AWS advises retrying them with
    // exponential backoff, and we give up after the policy's attempts so the batch can fail.
    const left = new Set(unprocessed.map(o.keyOf));
    pending = pending.filter((p) => left.has(p.key));
    if (pending.length === 0) return [];
    if (attempt >= policy.maxAttempts) {
      logJson("warn", "unprocessed_items_exhausted", { sink: o.sink, items: pending.length, attempts: attempt });
      return pending.map((p) => p.id);
    }
    await wait(backoffDelay(attempt, policy));
  }
}

async function putEach(items: readonly KeyedItem[], o: WriteChunkOptions): Promise<string[]> {
  const failed: string[] = [];
  for (const p of items) {
    try {
      await o.client.send(new PutCommand({ TableName: o.table, Item: p.item }));
    } catch (err) {
      logJson("warn", "record_failed", { sink: o.sink, sequenceNumber: p.id, reason: errorReason(err) });
      failed.push(p.id);
    }
  }
  return failed;
}
