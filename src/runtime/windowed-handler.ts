/** Tumbling-window aggregation over a Kinesis event source mapping (TumblingWindowInSeconds). */
import { createHash } from "node:crypto";
import type { KinesisTumblingWindowEvent, KinesisStreamRecord, WindowResponse } from "./events.ts";
import type { Contract, Rec, Sink, SinkItem, Step } from "./types.ts";
import { prepareRecord } from "./prepare.ts";
import { runSteps } from "./steps.ts";
import { writeAll } from "./fanout.ts";
import { logJson } from "./log.ts";
import {
  addValues, decodeState, encodeState, groupKey, measuredFields, measureValue, stateBytes,
  type GroupAgg, type Measure,
} from "./window-state.ts";

/** Options of {@link windowedAggregateHandler}. */
export interface WindowedOptions {
  contract: Contract;
  steps: Step[];
  groupBy: string[];
  measures: Measure[];
  after: Step[];
  sinks: Sink[];
}

/** Lambda drops the window early when the state passes 1 MB; warn before that happens. */
const STATE_WARN_BYTES = 900_000;

/** Deterministic, S3-key-safe id of one window output row (stands in for a sequence number). */
export function windowItemId(windowStart: string, key: string): string {
  return `${windowStart}_${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
}

type Folded = { ok: true; key: string; values: Record<string, number> } | { ok: false; reason: string };

function foldable(rec: Rec, groupBy: readonly string[], fields: readonly string[]): Folded {
  const groupValues: unknown[] = [];
  for (const g of groupBy) {
    const v = rec[g];
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") return { ok: false, reason: `group field '${g}' is missing or not a scalar` };
    groupValues.push(v);
  }
  const values: Record<string, number> = {};
  for (const f of fields) {
    const v = rec[f];
    if (typeof v !== "number" || !Number.isFinite(v)) return { ok: false, reason: `measure field '${f}' is not a number` };
    values[f] = v;
  }
  return { ok: true, key: groupKey(groupValues), values };
}

/**
 * Retry semantics. Lambda passes `state` between the invocations of one window and, with
 * ReportBatchItemFailures, checkpoints at the lowest failed sequence number and redelivers every
 * record from there. So a failing record (bad JSON, contract, throwing step, bad group/measure)
 * stops the fold: it and every later record of the batch are reported and none of them is added
 * to the returned state. Records before it stay in the state exactly once, and the redelivered
 * ones are counted when they arrive again, so a retry never double counts. The final invocation
 * writes one row per group; if any write fails it throws, Lambda retries the final invocation with
 * the same state, and the rows overwrite themselves because their keys include window_start.
 */
export function windowedAggregateHandler(o: WindowedOptions): (event: KinesisTumblingWindowEvent) => Promise<WindowResponse> {
  const fields = measuredFields(o.measures);
  return async (event) => {
    const records = event.Records ?? [];
    const groups = decodeState(event.state);
    const failures: string[] = [];
    let aggregated = 0;
    let filtered = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const reason = await fold(r, o, fields, groups);
      if (reason === "filtered") filtered++;
      else if (reason === null) aggregated++;
      else {
        logJson("warn", "record_failed", { shardId: event.shardId, sequenceNumber: r.kinesis.sequenceNumber, reason });
        const rest = records.slice(i).map((x) => x.kinesis.sequenceNumber);
        if (rest.length > 1) logJson("info", "records_deferred", { shardId: event.shardId, count: rest.length - 1 });
        failures.push(...rest);
        break;
      }
    }
    const batchItemFailures = failures.map((itemIdentifier) => ({ itemIdentifier }));
    const summary = { window: event.window, received: records.length, aggregated, filtered, failed: failures.length, groups: groups.size };
    if (!event.isFinalInvokeForWindow) {
      const state = encodeState(groups);
      const bytes = stateBytes(state);
      if (bytes > STATE_WARN_BYTES) logJson("warn", "window_state_large", { bytes, groups: groups.size });
      logJson("info", "window_batch_summary", { ...summary, stateBytes: bytes });
      return { state, batchItemFailures };
    }
    if (event.isWindowTerminatedEarly) logJson("warn", "window_terminated_early", { window: event.window, groups: groups.size });
    const written = await emit(event, o, groups);
    logJson("info", "window_final_summary", { ...summary, written });
    return { state: {}, batchItemFailures };
  };
}

/** Folds one record into `groups`; returns null when added, "filtered", or a failure reason. */
async function fold(r: KinesisStreamRecord, o: WindowedOptions, fields: readonly string[], groups: Map<string, GroupAgg>): Promise<string | null> {
  const p = await prepareRecord(r, o.contract, o.steps);
  if (p.kind === "failed") return p.reason;
  if (p.kind === "filtered") return "filtered";
  const f = foldable(p.record, o.groupBy, fields);
  if (!f.ok) return f.reason;
  groups.set(f.key, addValues(groups.get(f.key), f.values));
  return null;
}

/** Builds, transforms and writes one row per group; throws if any row fails so the window is retried. */
async function emit(event: KinesisTumblingWindowEvent, o: WindowedOptions, groups: ReadonlyMap<string, GroupAgg>): Promise<number> {
  const items: SinkItem[] = [];
  const arrival = Date.parse(event.window.start);
  for (const key of [...groups.keys()].sort()) {
    const agg = groups.get(key)!;
    const values = JSON.parse(key) as unknown[];
    const row: Rec = {};
    o.groupBy.forEach((g, i) => (row[g] = values[i]));
    row.window_start = event.window.start;
    row.window_end = event.window.end;
    for (const m of o.measures) row[m.name] = measureValue(agg, m);
    // A throwing `after` step propagates: the final invocation fails and is retried as a whole.
    const out = await runSteps(o.after, row);
    if (out === null) continue;
    items.push({ record: out, shardId: event.shardId, sequenceNumber: windowItemId(event.window.start, key), arrival });
  }
  const failed = await writeAll(o.sinks, items);
  if (failed.size > 0) throw new Error(`window ${event.window.start}: ${failed.size} of ${items.length} aggregate rows failed to write`);
  return items.length;
}
