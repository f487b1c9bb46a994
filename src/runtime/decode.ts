/** Decoding of Kinesis event records into pipeline records. */
import type { KinesisStreamRecord } from "./events.ts";
import type { Contract, Rec } from "./types.ts";
import { contractViolation } from "./contract.ts";

/** Result of decoding one record: the value, or a reason safe to log. */
export type Decoded = { ok: true; record: Rec } | { ok: false; reason: string };

/** Decodes base64 JSON and checks the contract. */
export function decodeRecord(r: KinesisStreamRecord, contract: Contract): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(r.kinesis.data, "base64").toString("utf8"));
  } catch {
    // V8's SyntaxError message quotes the input, so the reason deliberately omits it.
    return { ok: false, reason: "invalid JSON" };
  }
  const violation = contractViolation(contract, value);
  return violation === null ? { ok: true, record: value as Rec } : { ok: false, reason: violation };
}

/** Shard id from the eventID `shardId-000000000000:<sequenceNumber>`. */
export function shardIdOf(r: KinesisStreamRecord): string {
  const i = r.eventID.indexOf(":");
  return i > 0 ? r.eventID.slice(0, i) : "shardId-unknown";
}

/** Arrival time in ms; Kinesis reports approximateArrivalTimestamp in fractional seconds. */
export function arrivalMs(r: KinesisStreamRecord): number {
  return Math.round(r.kinesis.approximateArrivalTimestamp * 1000);
}
