/** Decode + contract + steps for one Kinesis record, with a three-way outcome. */
import type { KinesisStreamRecord } from "./events.ts";
import type { Contract, Rec, Step } from "./types.ts";
import { decodeRecord } from "./decode.ts";
import { runSteps } from "./steps.ts";
import { errorReason } from "./log.ts";

/** Outcome of preparing a record: kept, filtered on purpose, or failed with a loggable reason. */
export type Prepared = { kind: "kept"; record: Rec } | { kind: "filtered" } | { kind: "failed"; reason: string };

/** Runs decode, contract check and steps; never throws. */
export async function prepareRecord(r: KinesisStreamRecord, contract: Contract, steps: readonly Step[]): Promise<Prepared> {
  const decoded = decodeRecord(r, contract);
  if (!decoded.ok) return { kind: "failed", reason: decoded.reason };
  try {
    const out = await runSteps(steps, decoded.record);
    return out === null ? { kind: "filtered" } : { kind: "kept", record: out };
  } catch (err) {
    return { kind: "failed", reason: `step threw ${errorReason(err)}` };
  }
}
