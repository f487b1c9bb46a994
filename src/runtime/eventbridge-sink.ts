/**
 * EventBridge sink: every record becomes one event (detail = the record's JSON) on an event bus,
 * 10 per PutEvents call. Rules on the bus route the events to their consumers. Delivery is at
 * least once: a retried batch can put a record twice (with the same time, source and detail).
 */
import type { EventBridgeClient, PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { Sink } from "./types.ts";
import type { RetryPolicy } from "./retry.ts";
import { eventBridgeClient } from "./clients.ts";
import { requireEnv } from "./env.ts";
import { publishAll, type Outgoing } from "./batch-publish.ts";

/** Options of {@link eventbridgeSink}. */
export interface EventBridgeSinkOptions {
  name: string;
  /** Environment variable holding the event bus name. */
  busEnv: string;
  source: string;
  detailType: string;
}

/** Test seams: a client, retry policy and sleep of one's own. */
export interface EventBridgeSinkDeps {
  client?: Pick<EventBridgeClient, "send">;
  policy?: RetryPolicy;
  sleepFn?: (ms: number) => Promise<void>;
}

/** PutEvents takes at most 10 entries. */
export const PUT_EVENTS_MAX = 10;
/** An entry and a whole PutEvents request are each limited to 256 KB. */
export const PUT_EVENTS_MAX_BYTES = 262_144;
/** Error codes EventBridge documents as retryable; every other code is a problem of the entry. */
const RETRYABLE = new Set(["InternalFailure", "ThrottlingException"]);

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");

/** Entry size as EventBridge computes it: 14 bytes for Time, plus Source, DetailType and Detail. */
export function entryBytes(e: Pick<PutEventsRequestEntry, "Time" | "Source" | "DetailType" | "Detail">): number {
  return (e.Time ? 14 : 0) + utf8(e.Source ?? "") + utf8(e.DetailType ?? "") + utf8(e.Detail ?? "");
}

/** Puts records on the bus; entries EventBridge rejects are reported failed, alone. */
export function eventbridgeSink(o: EventBridgeSinkOptions, deps: EventBridgeSinkDeps = {}): Sink {
  return {
    name: o.name,
    async write(items) {
      if (items.length === 0) return { failed: [] };
      const bus = requireEnv(o.busEnv);
      const client = deps.client ?? (await eventBridgeClient());
      const { PutEventsCommand } = await import("@aws-sdk/client-eventbridge");
      const out: Outgoing<PutEventsRequestEntry>[] = items.map((it) => {
        // The event time is when the stream received the record, so a retry puts an identical event.
        const entry: PutEventsRequestEntry = { EventBusName: bus, Source: o.source, DetailType: o.detailType, Detail: JSON.stringify(it.record), Time: new Date(it.arrival) };
        return { id: it.sequenceNumber, entry, bytes: entryBytes(entry) };
      });
      const failed = await publishAll(out, {
        sink: o.name,
        maxEntries: PUT_EVENTS_MAX,
        maxBytes: PUT_EVENTS_MAX_BYTES,
        ...(deps.policy ? { policy: deps.policy } : {}),
        ...(deps.sleepFn ? { sleepFn: deps.sleepFn } : {}),
        async send(entries) {
          const res = await client.send(new PutEventsCommand({ Entries: entries }));
          // Result entries are in request order; a failed one has an ErrorCode instead of an EventId.
          return (res.Entries ?? []).flatMap((r, index) =>
            r.ErrorCode ? [{ index, retryable: RETRYABLE.has(r.ErrorCode), reason: `${r.ErrorCode}: ${(r.ErrorMessage ?? "").slice(0, 200)}` }] : [],
          );
        },
      });
      return { failed };
    },
  };
}
