/** Bounded exponential backoff for partial-failure retries (UnprocessedItems, FailedRecordCount). */

/** Retry policy; defaults follow the AWS guidance of exponential backoff with jitter. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Default policy: 6 attempts, 50 ms doubling, capped at 2 s (about 3 s worst case). */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 2000 };

/** "Equal jitter" delay before retry number `attempt` (1-based). */
export function backoffDelay(attempt: number, p: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Promise-based sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
