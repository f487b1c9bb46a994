/** Kinesis event source mapping handler with partial batch responses. */
import type { BatchResponse, KinesisEvent } from "./events.ts";
import type { Contract, Sink, SinkItem, Step } from "./types.ts";
import { arrivalMs, shardIdOf } from "./decode.ts";
import { prepareRecord } from "./prepare.ts";
import { writeAll } from "./fanout.ts";
import { logJson } from "./log.ts";

/** Options of {@link streamHandler}. */
export interface StreamHandlerOptions {
  contract: Contract;
  steps: Step[];
  sinks: Sink[];
}

/**
 * Handler for an event source mapping with FunctionResponseTypes=ReportBatchItemFailures. Every
 * record ends up written, filtered (counted) or reported failed; nothing is dropped silently.
 * Lambda checkpoints at the lowest failed sequence number and redelivers from there, so records
 * after a failure are written again on retry: each item carries the checkpoint a retry would start
 * from, and sinks key their writes by it (S3) or by the record's own key (DynamoDB) to overwrite.
 */
export function streamHandler(o: StreamHandlerOptions): (event: KinesisEvent) => Promise<BatchResponse> {
  return async (event) => {
    const records = event.Records ?? [];
    const failed = new Set<string>();
    const items: SinkItem[] = [];
    let filtered = 0;
    let checkpoint = records[0]?.kinesis.sequenceNumber;
    for (const r of records) {
      const p = await prepareRecord(r, o.contract, o.steps);
      const seq = r.kinesis.sequenceNumber;
      if (p.kind === "failed") {
        logJson("warn", "record_failed", { shardId: shardIdOf(r), sequenceNumber: seq, reason: p.reason });
        failed.add(seq);
        checkpoint = seq;
      } else if (p.kind === "filtered") {
        filtered++;
      } else {
        items.push({ record: p.record, shardId: shardIdOf(r), sequenceNumber: seq, arrival: arrivalMs(r), ...(checkpoint ? { checkpoint } : {}) });
      }
    }
    const sinkFailed = await writeAll(o.sinks, items);
    for (const seq of sinkFailed) failed.add(seq);
    const written = items.filter((i) => !sinkFailed.has(i.sequenceNumber)).length;
    logJson("info", "batch_summary", { received: records.length, written, filtered, failed: failed.size });
    // Report in event order; only the lowest matters to Lambda, but all help the reader of the response.
    const batchItemFailures = [...new Set(records.map((r) => r.kinesis.sequenceNumber))]
      .filter((seq) => failed.has(seq))
      .map((itemIdentifier) => ({ itemIdentifier }));
    return { batchItemFailures };
  };
}
