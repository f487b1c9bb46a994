/**
 * A local stand-in for a Lambda event source mapping on a Kinesis stream, one loop per shard,
 * reading the emulated stream from TRIM_HORIZON and invoking the bundled handler in this process:
 *
 *  - batches: up to `batchSize` records, sent when full or when the oldest buffered record has
 *    waited the batching window; a shard's batches run one at a time, in order;
 *  - tumbling windows: records belong to the window containing their arrival time (on the run's
 *    simulated clock); a batch never spans two windows; the `state` a handler returns is passed to
 *    its next invocation of that window, and once the window has ended (or the next record belongs
 *    to a later one) a final invocation with no records gets `isFinalInvokeForWindow: true`;
 *  - ReportBatchItemFailures: the lowest reported sequence number is the checkpoint; records
 *    before it are done, the rest is retried (a throw or an invalid answer fails the whole batch);
 *  - bisect on error: a failing remainder of more than one record is split in two halves that are
 *    retried separately (splitting does not use up retries), which isolates a poison record;
 *  - retries: a remainder that still fails after `maxRetries` retries, or records older than the
 *    maximum record age, are skipped and described in one message to the on-failure destination
 *    (the function's SQS dead-letter queue), in the format Lambda sends (KinesisBatchInfo).
 */
import { randomUUID } from "node:crypto";
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SimClock } from "./clock.ts";
import { sleep } from "./clock.ts";
import type { ShardRecord, BatchSource } from "./events.ts";
import { kinesisEvent, windowBounds, windowEvent } from "./events.ts";
import type { LogLine } from "./log-capture.ts";
import type { FunctionStats } from "./stats.ts";

/** What an event source mapping is configured with (read from the applied module). */
export interface MappingSettings {
  unitId: string;
  functionArn: string;
  streamName: string;
  streamArn: string;
  region: string;
  batchSize: number;
  batchingWindowSeconds: number;
  /** -1 = retry until the record expires, as in AWS. */
  maxRetries: number;
  /** -1 = no limit. */
  maxRecordAgeSeconds: number;
  bisect: boolean;
  reportBatchItemFailures: boolean;
  /** 0 = no tumbling window. */
  tumblingWindowSeconds: number;
  onFailure?: { arn: string; url: string };
}

/** The outcome of one invocation. */
export type Invocation = { ok: true; value: unknown; logs: LogLine[] } | { ok: false; error: unknown; logs: LogLine[] };

export interface PollerDeps {
  kinesis: KinesisClient;
  sqs: SQSClient;
  clock: SimClock;
  invoke(event: unknown): Promise<Invocation>;
  stats: FunctionStats;
  /** pipegen's own notices (retries, records parked). */
  notice(message: string): void;
  pollMs?: number;
}

/** One mapping: a loop per shard. */
export class MappingPoller {
  private shards: ShardPoller[] = [];
  private loops: Promise<void>[] = [];

  constructor(
    readonly settings: MappingSettings,
    private readonly deps: PollerDeps,
  ) {}

  async start(signal: AbortSignal): Promise<void> {
    const out = await this.deps.kinesis.send(new ListShardsCommand({ StreamName: this.settings.streamName }));
    this.shards = (out.Shards ?? []).map((s) => new ShardPoller(s.ShardId!, this.settings, this.deps));
    this.loops = this.shards.map((s) => s.run(signal));
  }

  /** Deliver without waiting for batching windows and close windows once caught up. */
  drain(): void {
    for (const s of this.shards) s.drain();
  }

  /** True when every shard has read to the end of the stream since drain() and has nothing left to deliver. */
  get drained(): boolean {
    return this.shards.every((s) => s.drained);
  }

  /** Waits for the shard loops to end (after the signal aborted). */
  async stopped(): Promise<void> {
    await Promise.allSettled(this.loops);
  }
}

interface BatchAnswer {
  state?: Record<string, string>;
  batchItemFailures?: Array<{ itemIdentifier?: unknown }>;
}

class ShardPoller {
  private buffer: ShardRecord[] = [];
  private firstBufferedAt = 0;
  private iterator: string | undefined;
  private lastSeq: string | undefined;
  private draining = false;
  private emptySinceDrain = false;
  private busy = false;
  private openWindow: number | undefined;
  private state: Record<string, string> = {};
  private readonly src: BatchSource;
  private readonly pollMs: number;

  constructor(
    readonly shardId: string,
    private readonly s: MappingSettings,
    private readonly d: PollerDeps,
  ) {
    this.src = { streamArn: s.streamArn, shardId, region: s.region };
    this.pollMs = d.pollMs ?? 200;
  }

  drain(): void {
    this.draining = true;
    this.emptySinceDrain = false;
  }

  get drained(): boolean {
    return this.draining && this.emptySinceDrain && !this.busy && this.buffer.length === 0 && this.openWindow === undefined;
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.fetch();
        this.busy = true;
        let progressed = false;
        try {
          progressed = await this.step(signal);
        } finally {
          this.busy = false;
        }
        if (!progressed) await sleep(this.pollMs, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.d.notice(`${this.s.unitId} ${this.shardId}: reading the stream failed (${(err as Error).message}); retrying`);
        this.iterator = undefined;
        await sleep(1000, signal);
      }
    }
  }

  private async fetch(): Promise<void> {
    this.iterator ??= (await this.d.kinesis.send(new GetShardIteratorCommand({ StreamName: this.s.streamName, ShardId: this.shardId, ShardIteratorType: this.lastSeq ? "AFTER_SEQUENCE_NUMBER" : "TRIM_HORIZON", ...(this.lastSeq ? { StartingSequenceNumber: this.lastSeq } : {}) }))).ShardIterator;
    if (!this.iterator) return;
    const out = await this.d.kinesis.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: 10_000 }));
    this.iterator = out.NextShardIterator;
    const got = out.Records ?? [];
    if (got.length === 0 && this.draining) this.emptySinceDrain = true;
    if (got.length && this.buffer.length === 0) this.firstBufferedAt = Date.now();
    for (const r of got) {
      this.buffer.push({ data: Buffer.from(r.Data ?? new Uint8Array()), partitionKey: r.PartitionKey ?? "", sequenceNumber: r.SequenceNumber!, arrivalMs: (r.ApproximateArrivalTimestamp ?? new Date()).getTime() });
      this.lastSeq = r.SequenceNumber;
    }
  }
  private windowOf(r: ShardRecord): number {
    return Math.floor(this.d.clock.sim(r.arrivalMs) / (this.s.tumblingWindowSeconds * 1000));
  }

  /** Does one thing if there is one to do: an invocation (with its retries) or closing a window. */
  private async step(signal: AbortSignal): Promise<boolean> {
    const waited = Date.now() - this.firstBufferedAt >= this.d.clock.scale(this.s.batchingWindowSeconds * 1000);
    if (!this.s.tumblingWindowSeconds) {
      if (this.buffer.length && (this.buffer.length >= this.s.batchSize || waited || this.draining)) {
        await this.deliver(this.take(this.buffer.length), 0, signal);
        return true;
      }
      return false;
    }
    if (this.openWindow === undefined) {
      if (!this.buffer.length) return false;
      this.openWindow = this.windowOf(this.buffer[0]!);
      this.state = {};
    }
    const w = this.openWindow;
    let inWindow = 0;
    while (inWindow < this.buffer.length && this.windowOf(this.buffer[inWindow]!) <= w) inWindow++;
    const later = inWindow < this.buffer.length;
    const endReal = this.d.clock.real((w + 1) * this.s.tumblingWindowSeconds * 1000);
    // Records can still arrive until the window's end: close it a couple of polls later.
    const over = Date.now() >= endReal + 2 * this.pollMs;
    if (inWindow && (inWindow >= this.s.batchSize || waited || later || over || this.draining)) {
      await this.deliver(this.take(inWindow), 0, signal);
      return true;
    }
    if (!inWindow && (later || over || (this.draining && this.emptySinceDrain))) {
      await this.closeWindow(w, signal);
      this.openWindow = undefined;
      return true;
    }
    return false;
  }

  private take(available: number): ShardRecord[] {
    const batch = this.buffer.splice(0, Math.min(available, this.s.batchSize));
    this.firstBufferedAt = Date.now();
    return batch;
  }

  private window(): { start: string; end: string } {
    return windowBounds(this.openWindow! * this.s.tumblingWindowSeconds * 1000, this.s.tumblingWindowSeconds);
  }

  /** Invokes with `records`, then retries / bisects / parks what fails. */
  private async deliver(records: ShardRecord[], attempt: number, signal: AbortSignal): Promise<void> {
    if (!records.length) return;
    if (this.s.maxRecordAgeSeconds >= 0) {
      const limit = Date.now() - this.s.maxRecordAgeSeconds * 1000;
      const expired = records.filter((r) => r.arrivalMs < limit);
      if (expired.length) {
        await this.park(expired, "RecordAgeExceeded", attempt, "records older than the maximum record age");
        records = records.filter((r) => r.arrivalMs >= limit);
        if (!records.length) return;
      }
    }
    const st = this.d.stats;
    for (const r of records) st.seen.add(`${this.shardId}:${r.sequenceNumber}`);
    const windowed = this.s.tumblingWindowSeconds > 0;
    const event = windowed ? windowEvent(this.src, records, this.window(), this.state, false) : kinesisEvent(this.src, records);
    const res = await this.d.invoke(event);
    st.invocations++;
    st.absorb(res.logs);
    let failedFrom = -1;
    let why = "";
    if (!res.ok) {
      st.errors++;
      failedFrom = 0;
      why = `the function threw: ${(res.error as Error)?.message ?? String(res.error)}`;
    } else {
      const answer = (res.value ?? {}) as BatchAnswer;
      if (windowed && (typeof answer.state !== "object" || answer.state === null)) {
        st.errors++;
        failedFrom = 0;
        why = "the response has no window state";
      } else {
        if (windowed) this.state = answer.state!;
        const ids = (answer.batchItemFailures ?? []).map((f) => f.itemIdentifier);
        if (ids.length && this.s.reportBatchItemFailures) {
          st.reported += ids.length;
          const positions = ids.map((id) => records.findIndex((r) => r.sequenceNumber === id));
          // An identifier that is not in the batch makes Lambda treat the whole batch as failed.
          failedFrom = positions.some((p) => p < 0) ? 0 : Math.min(...positions);
          why = `${ids.length} record(s) reported as batch item failures${st.lastProblem ? ` (last: ${st.lastProblem})` : ""}`;
        }
      }
    }
    if (failedFrom < 0 || signal.aborted) return;
    const rest = records.slice(failedFrom);
    if (this.s.bisect && rest.length > 1) {
      const mid = Math.ceil(rest.length / 2);
      this.d.notice(`${this.s.unitId} ${this.shardId}: ${why}; bisecting ${rest.length} records`);
      await this.deliver(rest.slice(0, mid), attempt, signal);
      await this.deliver(rest.slice(mid), attempt, signal);
      return;
    }
    if (this.s.maxRetries < 0 || attempt < this.s.maxRetries) {
      this.d.notice(`${this.s.unitId} ${this.shardId}: ${why}; retry ${attempt + 1}${this.s.maxRetries >= 0 ? ` of ${this.s.maxRetries}` : ""}`);
      await sleep(Math.min(1000, 100 * 2 ** attempt), signal);
      if (!signal.aborted) await this.deliver(rest, attempt + 1, signal);
      return;
    }
    await this.park(rest, "RetryAttemptsExhausted", attempt + 1, why);
  }

  /** The final invocation of a window, retried like a batch; parked (as an empty batch) when it keeps failing. */
  private async closeWindow(w: number, signal: AbortSignal): Promise<void> {
    const window = windowBounds(w * this.s.tumblingWindowSeconds * 1000, this.s.tumblingWindowSeconds);
    for (let attempt = 0; !signal.aborted; attempt++) {
      const res = await this.d.invoke(windowEvent(this.src, [], window, this.state, true));
      this.d.stats.invocations++;
      this.d.stats.absorb(res.logs);
      if (res.ok) break;
      this.d.stats.errors++;
      const why = `the final invocation of window ${window.start} threw: ${(res.error as Error)?.message ?? String(res.error)}`;
      if (this.s.maxRetries >= 0 && attempt >= this.s.maxRetries) {
        await this.park([], "RetryAttemptsExhausted", attempt + 1, why);
        break;
      }
      this.d.notice(`${this.s.unitId} ${this.shardId}: ${why}; retry ${attempt + 1}`);
      await sleep(Math.min(1000, 100 * 2 ** attempt), signal);
    }
    this.state = {};
  }

  /** Sends the on-failure record Lambda writes for a skipped Kinesis batch. */
  private async park(records: ShardRecord[], condition: string, invokeCount: number, why: string): Promise<void> {
    this.d.stats.parked += records.length;
    const first = records[0];
    const last = records[records.length - 1];
    const iso = (ms: number) => new Date(ms).toISOString();
    const body = {
      requestContext: { requestId: randomUUID(), functionArn: this.s.functionArn, condition, approximateInvokeCount: invokeCount },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      version: "1.0",
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId: this.shardId,
        ...(first && last
          ? { startSequenceNumber: first.sequenceNumber, endSequenceNumber: last.sequenceNumber, approximateArrivalOfFirstRecord: iso(first.arrivalMs), approximateArrivalOfLastRecord: iso(last.arrivalMs) }
          : {}),
        batchSize: records.length,
        streamArn: this.s.streamArn,
      },
    };
    const where = this.s.onFailure ? `dead-letter queue ${this.s.onFailure.arn.split(":").pop()}` : "nowhere (no on-failure destination)";
    this.d.notice(`${this.s.unitId} ${this.shardId}: ${why}; ${records.length} record(s)${first ? ` ${first.sequenceNumber}${records.length > 1 ? `…${last!.sequenceNumber}` : ""}` : ""} skipped and described to ${where}`);
    if (this.s.onFailure) await this.d.sqs.send(new SendMessageCommand({ QueueUrl: this.s.onFailure.url, MessageBody: JSON.stringify(body) }));
  }
}
