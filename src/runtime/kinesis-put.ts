/** PutRecords with retry of only the failed entries. */
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";
import { backoffDelay, DEFAULT_RETRY, sleep, type RetryPolicy } from "./retry.ts";
import { logJson } from "./log.ts";

/** PutRecords accepts at most 500 entries per call. */
export const PUT_RECORDS_MAX = 500;

/** The client surface used here, so tests can pass a fake. */
export type KinesisSender = Pick<KinesisClient, "send">;

/**
 * Puts entries; PutRecords is not atomic and reports per-entry ErrorCode with FailedRecordCount,
 * so only the failed entries are resent, with bounded backoff. Throws if some never succeed.
 */
export async function putRecordsWithRetry(
  client: KinesisSender,
  streamName: string,
  entries: readonly PutRecordsRequestEntry[],
  policy: RetryPolicy = DEFAULT_RETRY,
  sleepFn: (ms: number) => Promise<void> = sleep,
): Promise<number> {
  for (let i = 0; i < entries.length; i += PUT_RECORDS_MAX) {
    let pending = entries.slice(i, i + PUT_RECORDS_MAX);
    for (let attempt = 1; ; attempt++) {
      const out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
      if (!out.FailedRecordCount) break;
      // Result entries are positional: the n-th result belongs to the n-th request entry.
      const results = out.Records ?? [];
      const codes = [...new Set(results.flatMap((r) => (r.ErrorCode ? [r.ErrorCode] : [])))];
      pending = pending.filter((_, n) => results[n]?.ErrorCode !== undefined);
      if (pending.length === 0) break;
      if (attempt >= policy.maxAttempts) {
        throw new Error(`PutRecords: ${pending.length} records still failing after ${attempt} attempts (${codes.join(", ")})`);
      }
      logJson("warn", "put_records_partial_failure", { failed: pending.length, attempt, errorCodes: codes });
      await sleepFn(backoffDelay(attempt, policy));
    }
  }
  return entries.length;
}
