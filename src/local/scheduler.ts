/**
 * EventBridge schedules for generator functions, on the run's simulated clock: `rate(N unit)` fires
 * every N units (divided by --speed); the first run fires at start so records flow at once. Scheduled
 * invocations are asynchronous: a throwing run is retried twice, then the event goes to the
 * function's dead-letter queue, as Lambda does for asynchronous invocations.
 */
import { randomUUID } from "node:crypto";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { sleep } from "./clock.ts";
import type { DeployedFunction } from "./deployment.ts";
import type { Invocation } from "./poller.ts";
import type { FunctionStats } from "./stats.ts";

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Simulated interval of a schedule expression; cron expressions (not simulated) count as every minute. */
export function scheduleIntervalMs(expression: string): { ms: number; approximate: boolean } {
  const m = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression.trim());
  if (m) return { ms: Number(m[1]) * UNIT_MS[m[2]!]!, approximate: false };
  return { ms: 60_000, approximate: true };
}

/** Lambda retries a failed asynchronous invocation twice. */
const ASYNC_RETRIES = 2;

export interface GeneratorDeps {
  fn: DeployedFunction;
  ruleArn: string;
  intervalRealMs: number;
  invoke(event: unknown): Promise<Invocation>;
  stats: FunctionStats;
  sqs: SQSClient;
  notice(message: string): void;
  /** Asked before every run; true stops the loop (the --records bound). */
  enough(): boolean;
}

/** Fires a generator until `enough()` or the signal aborts. */
export async function runGenerator(d: GeneratorDeps, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && !d.enough()) {
    const event = { version: "0", id: randomUUID(), "detail-type": "Scheduled Event", source: "aws.events", account: "123456789012", time: new Date().toISOString(), region: "us-east-1", resources: [d.ruleArn], detail: {} };
    for (let attempt = 0; ; attempt++) {
      const res = await d.invoke(event);
      d.stats.invocations++;
      d.stats.absorb(res.logs);
      if (res.ok) break;
      d.stats.errors++;
      const why = (res.error as Error)?.message ?? String(res.error);
      if (attempt >= ASYNC_RETRIES) {
        d.notice(`${d.fn.unitId}: scheduled run failed ${attempt + 1} times (${why}); event sent to ${d.fn.deadLetter ? "its dead-letter queue" : "nowhere (no dead-letter queue)"}`);
        if (d.fn.deadLetter) await d.sqs.send(new SendMessageCommand({ QueueUrl: d.fn.deadLetter.url, MessageBody: JSON.stringify(event) }));
        break;
      }
      d.notice(`${d.fn.unitId}: scheduled run failed (${why}); retry ${attempt + 1} of ${ASYNC_RETRIES}`);
      await sleep(Math.min(1000, d.intervalRealMs / 4), signal);
      if (signal.aborted) return;
    }
    if (d.enough()) break;
    await sleep(d.intervalRealMs, signal);
  }
}
