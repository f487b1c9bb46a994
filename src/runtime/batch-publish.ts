/**
 * Publishing records in batches to APIs that accept up to N entries per call and report failures
 * per entry (SNS PublishBatch, EventBridge PutEvents). Shared by the SNS and EventBridge sinks.
 */
import { backoffDelay, DEFAULT_RETRY, sleep, type RetryPolicy } from "./retry.ts";
import { errorReason, logJson } from "./log.ts";

/** One entry on its way out: the record's id (its sequence number), the API entry and its billed size. */
export interface Outgoing<E> {
  id: string;
  entry: E;
  bytes: number;
}

/** A failed entry of one call, by its index in the entries sent. */
export interface EntryFailure {
  index: number;
  /** True for failures the service says are worth retrying (throttling, internal errors). */
  retryable: boolean;
  /** Error code and message, safe to log (no payload). */
  reason: string;
}

/** Sends one batch; resolves with the entries that failed, throws when the whole call was rejected. */
export type SendBatch<E> = (entries: E[]) => Promise<EntryFailure[]>;

/** Options of {@link publishAll}. */
export interface PublishOptions<E> {
  /** Sink name, for log lines. */
  sink: string;
  maxEntries: number;
  /** Limit on the summed `bytes` of one call. */
  maxBytes: number;
  send: SendBatch<E>;
  policy?: RetryPolicy;
  sleepFn?: (ms: number) => Promise<void>;
  /** Calls in flight at once. Default 4. */
  concurrency?: number;
}

/**
 * Splits entries, in order, into batches of at most `maxEntries` whose sizes sum to at most
 * `maxBytes`. An entry that alone exceeds `maxBytes` gets a batch of its own, so the service
 * rejects it alone instead of taking its neighbours with it.
 */
export function chunkBatches<E>(items: readonly Outgoing<E>[], maxEntries: number, maxBytes: number): Outgoing<E>[][] {
  const chunks: Outgoing<E>[][] = [];
  let current: Outgoing<E>[] = [];
  let bytes = 0;
  for (const it of items) {
    if (current.length > 0 && (current.length === maxEntries || bytes + it.bytes > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(it);
    bytes += it.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Publishes every entry; returns the ids of the entries that were not accepted. */
export async function publishAll<E>(items: readonly Outgoing<E>[], o: PublishOptions<E>): Promise<string[]> {
  const chunks = chunkBatches(items, o.maxEntries, o.maxBytes);
  const results: string[][] = [];
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const i = next++;
      results[i] = await sendChunk(chunks[i]!, o);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 4, chunks.length) }, worker));
  return results.flat();
}

/** Errors that would fail every entry of a call alike: isolating entries one by one cannot help. */
function failsEveryEntry(err: unknown): boolean {
  const e = err as { $fault?: string; name?: string };
  return e.$fault !== "client" || /AccessDenied|Authori[sz]ation|NotFound|KMS|Throttl|Credentials|Expired/i.test(e.name ?? "");
}

/** One batch: retries retryable entry failures with backoff; a rejected call is retried entry by entry. */
async function sendChunk<E>(chunk: Outgoing<E>[], o: PublishOptions<E>): Promise<string[]> {
  const policy = o.policy ?? DEFAULT_RETRY;
  const wait = o.sleepFn ?? sleep;
  const failed: string[] = [];
  let pending = chunk;
  for (let attempt = 1; ; attempt++) {
    let failures: EntryFailure[];
    try {
      failures = await o.send(pending.map((p) => p.entry));
    } catch (err) {
      // The SDK has already retried throttling and server errors. A call rejected for its content
      // (one oversized or invalid entry) is retried one entry at a time, so only the culprit fails.
      if (pending.length > 1 && !failsEveryEntry(err)) {
        logJson("warn", "batch_rejected", { sink: o.sink, entries: pending.length, reason: errorReason(err) });
        for (const p of pending) failed.push(...(await sendChunk([p], o)));
        return failed;
      }
      for (const p of pending) logJson("warn", "record_failed", { sink: o.sink, sequenceNumber: p.id, reason: errorReason(err) });
      return [...failed, ...pending.map((p) => p.id)];
    }
    const retry = new Set<number>();
    for (const f of failures) {
      const p = pending[f.index];
      if (!p) continue;
      if (f.retryable) retry.add(f.index);
      else {
        logJson("warn", "record_failed", { sink: o.sink, sequenceNumber: p.id, reason: f.reason });
        failed.push(p.id);
      }
    }
    const again = pending.filter((_, i) => retry.has(i));
    if (again.length === 0) return failed;
    if (attempt >= policy.maxAttempts) {
      logJson("warn", "retries_exhausted", { sink: o.sink, entries: again.length, attempts: attempt });
      return [...failed, ...again.map((p) => p.id)];
    }
    await wait(backoffDelay(attempt, policy));
    pending = again;
  }
}
