import { beforeEach, describe, expect, it, vi } from "vitest";
import { streamHandler, windowedAggregateHandler } from "../../src/runtime/index.ts";
import type { Contract, Sink, SinkItem, Step } from "../../src/runtime/index.ts";
import { kinesisEvent, seq, SHARD, windowEvent } from "./events.ts";

const contract: Contract = { fields: { device_id: "string", temp: "number", ts: "timestamp" } };
const r = (device_id: string, temp: number, extra: Record<string, unknown> = {}) => ({ device_id, temp, ts: "2024-06-10T06:01:00Z", ...extra });

/** In-memory sink that fails the sequence numbers it is told to. */
function memorySink(failSeqs: string[] = []): Sink & { items: SinkItem[] } {
  const items: SinkItem[] = [];
  return {
    name: "mem",
    items,
    async write(batch) {
      items.push(...batch.filter((i) => !failSeqs.includes(i.sequenceNumber)));
      return { failed: batch.map((i) => i.sequenceNumber).filter((s) => failSeqs.includes(s)) };
    },
  };
}

let logs: Array<Record<string, unknown>>;
beforeEach(() => {
  logs = [];
  const capture = (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>);
  vi.spyOn(console, "log").mockImplementation(capture);
  vi.spyOn(console, "error").mockImplementation(capture);
});

describe("streamHandler (in-memory sinks)", () => {
  const dropCold: Step = (x) => ((x.temp as number) < 0 ? null : x);
  const explode: Step = (x) => {
    if (x.device_id === "boom") throw new Error("boom step");
    return x;
  };

  it("accounts for every record: written, filtered or failed", async () => {
    const sink = memorySink();
    const h = streamHandler({ contract, steps: [dropCold, explode], sinks: [sink] });
    const res = await h(kinesisEvent([r("a", 1), "{not json", r("b", -4), { device_id: "c", temp: "hot", ts: "2024-06-10T06:01:00Z" }, r("boom", 2), r("d", 3)]));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: seq(2) }, { itemIdentifier: seq(4) }, { itemIdentifier: seq(5) }]);
    expect(sink.items.map((i) => i.record.device_id)).toEqual(["a", "d"]);
    expect(sink.items[0]).toMatchObject({ shardId: SHARD, sequenceNumber: seq(1), arrival: 1_718_000_000_123 });
    expect(logs.find((l) => l.msg === "batch_summary")).toEqual({ level: "info", msg: "batch_summary", received: 6, written: 2, filtered: 1, failed: 3 });
    expect(logs.filter((l) => l.msg === "record_failed").map((l) => l.reason)).toEqual(["invalid JSON", "field 'temp' is not a number", "step threw Error: boom step"]);
  });

  it("never logs record data", async () => {
    const h = streamHandler({ contract, steps: [], sinks: [memorySink()] });
    await h(kinesisEvent(['{"device_id":"secret-value","temp":"x"', { device_id: "secret-value", temp: "x", ts: "x" }]));
    expect(JSON.stringify(logs)).not.toContain("secret-value");
  });

  it("reports a record failed when any sink fails it, and a throwing sink fails all", async () => {
    const ok = memorySink();
    const partial = memorySink([seq(2)]);
    const h = streamHandler({ contract, steps: [], sinks: [ok, partial] });
    expect((await h(kinesisEvent([r("a", 1), r("b", 2), r("c", 3)]))).batchItemFailures).toEqual([{ itemIdentifier: seq(2) }]);
    const broken: Sink = { name: "broken", write: async () => Promise.reject(new Error("down")) };
    const h2 = streamHandler({ contract, steps: [], sinks: [ok, broken] });
    expect((await h2(kinesisEvent([r("a", 1), r("b", 2)]))).batchItemFailures).toHaveLength(2);
  });

  it("returns an empty response for an empty batch", async () => {
    expect(await streamHandler({ contract, steps: [], sinks: [] })({ Records: [] })).toEqual({ batchItemFailures: [] });
  });
});

describe("windowedAggregateHandler (in-memory sinks)", () => {
  const measures = [
    { name: "avg_temp", fn: "avg" as const, field: "temp" },
    { name: "max_temp", fn: "max" as const, field: "temp" },
    { name: "readings", fn: "count" as const },
  ];

  it("stops folding at the first failure and reports it and every later record", async () => {
    const h = windowedAggregateHandler({ contract, steps: [], groupBy: ["device_id"], measures, after: [], sinks: [memorySink()] });
    const res = await h(windowEvent([r("a", 1), r("a", 3), "garbage", r("a", 100), r("b", 5)], 1, {}));
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([seq(3), seq(4), seq(5)]);
    expect(res.state).toEqual({ '["a"]': '{"n":2,"f":{"temp":[4,1,3]}}' });
  });

  it("counts filtered records as neither aggregated nor failed", async () => {
    const drop: Step = (x) => (x.device_id === "skip" ? null : x);
    const h = windowedAggregateHandler({ contract, steps: [drop], groupBy: ["device_id"], measures, after: [], sinks: [] });
    const res = await h(windowEvent([r("skip", 1), r("a", 2)], 1, {}));
    expect(res).toEqual({ state: { '["a"]': '{"n":1,"f":{"temp":[2,2,2]}}' }, batchItemFailures: [] });
    expect(logs.find((l) => l.msg === "window_batch_summary")).toMatchObject({ received: 2, aggregated: 1, filtered: 1, failed: 0, groups: 1 });
  });

  it("fails a record whose measure field a step made non-numeric", async () => {
    const stringify: Step = (x) => ({ ...x, temp: String(x.temp) });
    const h = windowedAggregateHandler({ contract, steps: [stringify], groupBy: ["device_id"], measures, after: [], sinks: [] });
    const res = await h(windowEvent([r("a", 1)], 1, {}));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: seq(1) }]);
    expect(logs.find((l) => l.msg === "record_failed")?.reason).toBe("measure field 'temp' is not a number");
  });

  it("emits one row per group on the final invoke, through `after`, with deterministic ids", async () => {
    const sink = memorySink();
    const round: Step = (x) => ({ ...x, avg_temp: Math.round((x.avg_temp as number) * 10) / 10 });
    const h = windowedAggregateHandler({ contract, steps: [], groupBy: ["device_id"], measures, after: [round], sinks: [sink] });
    const s1 = await h(windowEvent([r("b", 1), r("a", 2)], 1, {}));
    const fin = await h(windowEvent([], 3, s1.state, true));
    expect(fin).toEqual({ state: {}, batchItemFailures: [] });
    expect(sink.items.map((i) => i.record)).toEqual([
      { device_id: "a", window_start: "2024-06-10T06:00:00Z", window_end: "2024-06-10T06:05:00Z", avg_temp: 2, max_temp: 2, readings: 1 },
      { device_id: "b", window_start: "2024-06-10T06:00:00Z", window_end: "2024-06-10T06:05:00Z", avg_temp: 1, max_temp: 1, readings: 1 },
    ]);
    expect(sink.items.every((i) => i.shardId === SHARD && /^2024-06-10T06:00:00Z_[0-9a-f]{16}$/.test(i.sequenceNumber))).toBe(true);
    const again = memorySink();
    await windowedAggregateHandler({ contract, steps: [], groupBy: ["device_id"], measures, after: [round], sinks: [again] })(windowEvent([], 3, s1.state, true));
    expect(again.items.map((i) => i.sequenceNumber)).toEqual(sink.items.map((i) => i.sequenceNumber));
  });

  it("throws on the final invoke when a row cannot be written, so Lambda retries the window", async () => {
    const broken: Sink = { name: "broken", write: async (items) => ({ failed: items.map((i) => i.sequenceNumber) }) };
    const h = windowedAggregateHandler({ contract, steps: [], groupBy: ["device_id"], measures, after: [], sinks: [broken] });
    const s1 = await h(windowEvent([r("a", 2)], 1, {}));
    await expect(h(windowEvent([], 2, s1.state, true))).rejects.toThrow(/1 of 1 aggregate rows failed/);
  });
});
