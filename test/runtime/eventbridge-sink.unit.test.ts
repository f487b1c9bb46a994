import { beforeAll, describe, expect, it, vi } from "vitest";
import type { PutEventsCommand, PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { eventbridgeSink } from "../../src/runtime/index.ts";
import type { SinkItem } from "../../src/runtime/index.ts";
import { entryBytes, PUT_EVENTS_MAX_BYTES } from "../../src/runtime/eventbridge-sink.ts";

// The EventBridge sink with a fake client: entries, batching and which error codes are retried.
beforeAll(() => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
  process.env.BUS = "orders-dev-events";
});

const noSleep = async () => {};
const item = (n: number, record: Record<string, unknown> = { n }): SinkItem => ({ record, shardId: "shardId-000000000000", sequenceNumber: `seq-${n}`, arrival: 1_718_000_000_123 });
type Result = { EventId?: string; ErrorCode?: string; ErrorMessage?: string };

function fakeEvents(reply: (entries: PutEventsRequestEntry[], call: number) => Result[]) {
  const calls: PutEventsRequestEntry[][] = [];
  const client = {
    send: vi.fn(async (cmd: PutEventsCommand) => {
      const entries = cmd.input.Entries!;
      calls.push(entries);
      const results = reply(entries, calls.length);
      return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
    }),
  };
  return { client: client as never, calls };
}
const ok = (entries: unknown[]): Result[] => entries.map((_, i) => ({ EventId: `e${i}` }));

describe("eventbridgeSink", () => {
  it("puts one event per record on the bus: source, detail type, detail = the record, time = arrival", async () => {
    const { client, calls } = fakeEvents(ok);
    const sink = eventbridgeSink({ name: "events", busEnv: "BUS", source: "pipegen.orders", detailType: "order" }, { client });
    expect(await sink.write([item(1, { id: "a", amount: 2 })])).toEqual({ failed: [] });
    expect(calls[0]).toEqual([{ EventBusName: "orders-dev-events", Source: "pipegen.orders", DetailType: "order", Detail: '{"id":"a","amount":2}', Time: new Date(1_718_000_000_123) }]);
  });

  it("puts 10 entries per call and keeps each call under 256 KB", async () => {
    const { client, calls } = fakeEvents(ok);
    const sink = eventbridgeSink({ name: "events", busEnv: "BUS", source: "s", detailType: "d" }, { client });
    expect(await sink.write(Array.from({ length: 21 }, (_, i) => item(i)))).toEqual({ failed: [] });
    expect(calls.map((c) => c.length)).toEqual([10, 10, 1]);
    calls.length = 0;
    await sink.write([1, 2, 3].map((n) => item(n, { n, pad: "x".repeat(120_000) })));
    expect(calls.map((c) => c.length)).toEqual([2, 1]);
    for (const c of calls) expect(c.reduce((s, e) => s + entryBytes(e), 0)).toBeLessThanOrEqual(PUT_EVENTS_MAX_BYTES);
  });

  it("retries ThrottlingException and InternalFailure entries; other codes fail their record at once", async () => {
    const { client, calls } = fakeEvents((entries, call) =>
      call === 1
        ? [{ EventId: "1" }, { ErrorCode: "ThrottlingException" }, { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." }, { ErrorCode: "InternalFailure" }]
        : ok(entries),
    );
    const sink = eventbridgeSink({ name: "events", busEnv: "BUS", source: "s", detailType: "d" }, { client, sleepFn: noSleep });
    expect(await sink.write([item(1), item(2), item(3), item(4)])).toEqual({ failed: ["seq-3"] });
    expect(calls.map((c) => c.map((e) => JSON.parse(e.Detail!).n))).toEqual([[1, 2, 3, 4], [2, 4]]);
  });

  it("reports entries still throttled after the retries", async () => {
    const { client, calls } = fakeEvents((entries) => entries.map(() => ({ ErrorCode: "ThrottlingException" })));
    const sink = eventbridgeSink({ name: "events", busEnv: "BUS", source: "s", detailType: "d" }, { client, sleepFn: noSleep, policy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(await sink.write([item(1), item(2)])).toEqual({ failed: ["seq-1", "seq-2"] });
    expect(calls).toHaveLength(2);
  });

  it("sizes entries as EventBridge does", () => {
    expect(entryBytes({ Time: new Date(), Source: "ab", DetailType: "c", Detail: "{}" })).toBe(14 + 2 + 1 + 2);
    expect(entryBytes({ Source: "ä", DetailType: "", Detail: "" })).toBe(2);
  });
});
