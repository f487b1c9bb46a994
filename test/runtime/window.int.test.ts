import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { dynamodbSink, s3Sink, windowedAggregateHandler } from "../../src/runtime/index.ts";
import type { Contract, Step } from "../../src/runtime/index.ts";
import { startMoto, type Moto } from "./moto.ts";
import { createBucket, createTable, getObject, listKeys, scanAll, testClients } from "./aws.ts";
import { seq, SHARD, windowEvent } from "./events.ts";

const contract: Contract = { fields: { device_id: "string", temp: "number", ts: "timestamp" } };
const r = (device_id: string, temp: number) => ({ device_id, temp, ts: "2024-06-10T06:01:00Z" });
const round1: Step = (x) => ({ ...x, avg_temp: Math.round((x.avg_temp as number) * 10) / 10 });

let moto: Moto;
let c: ReturnType<typeof testClients>;

beforeAll(async () => {
  moto = await startMoto();
  c = testClients();
  process.env.AGG_TABLE = "agg";
  process.env.AGG_BUCKET = "agg-bucket";
  await createTable(c.ddb, "agg", "device_id", "window_start");
  await createBucket(c.s3, "agg-bucket");
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterAll(async () => {
  await moto?.stop();
});

const handler = windowedAggregateHandler({
  contract,
  steps: [],
  groupBy: ["device_id"],
  measures: [
    { name: "avg_temp", fn: "avg", field: "temp" },
    { name: "min_temp", fn: "min", field: "temp" },
    { name: "max_temp", fn: "max", field: "temp" },
    { name: "readings", fn: "count" },
  ],
  after: [round1],
  sinks: [
    dynamodbSink({ name: "agg", tableEnv: "AGG_TABLE", partitionKey: "device_id", sortKey: "window_start", ttl: { attribute: "expires_at", days: 30, fromField: "window_start" } }),
    s3Sink({ name: "agg-archive", bucketEnv: "AGG_BUCKET", prefix: "agg", partitionBy: ["date"] }),
  ],
});

describe("windowedAggregateHandler against moto", () => {
  it("carries state over three invocations and writes averages on the final one", async () => {
    const s1 = await handler(windowEvent([r("d1", 20), r("d2", 10), r("d1", 22)], 1, {}));
    expect(s1.batchItemFailures).toEqual([]);
    expect(Object.keys(s1.state).sort()).toEqual(['["d1"]', '["d2"]']);
    expect(await scanAll(c.ddb, "agg")).toEqual([]);

    // Second batch: a poison record is reported, and neither it nor the later record enters the state.
    const s2 = await handler(windowEvent([r("d1", 27), { device_id: "d1", temp: "n/a", ts: "2024-06-10T06:02:00Z" }, r("d2", 99)], 4, s1.state));
    expect(s2.batchItemFailures).toEqual([{ itemIdentifier: seq(5) }, { itemIdentifier: seq(6) }]);
    expect(JSON.parse(s2.state['["d1"]']!)).toEqual({ n: 3, f: { temp: [69, 20, 27] } });
    expect(s2.state['["d2"]']).toBe(s1.state['["d2"]']);

    // Lambda redelivers from the failed record; the retry (poison skipped by bisect/retries) adds d2=12 once.
    const s3 = await handler(windowEvent([r("d2", 12)], 6, s2.state));
    const fin = await handler(windowEvent([], 7, s3.state, true));
    expect(fin).toEqual({ state: {}, batchItemFailures: [] });

    const items = (await scanAll(c.ddb, "agg")).sort((a, b) => String(a.device_id).localeCompare(String(b.device_id)));
    const windowFields = { window_start: "2024-06-10T06:00:00Z", window_end: "2024-06-10T06:05:00Z", expires_at: Date.parse("2024-06-10T06:00:00Z") / 1000 + 30 * 86_400 };
    expect(items).toEqual([
      { device_id: "d1", ...windowFields, avg_temp: 23, min_temp: 20, max_temp: 27, readings: 3 },
      { device_id: "d2", ...windowFields, avg_temp: 11, min_temp: 10, max_temp: 12, readings: 2 },
    ]);
    const keys = await listKeys(c.s3, "agg-bucket");
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^agg/dt=2024-06-10/${SHARD}/2024-06-10T06:00:00Z_[0-9a-f]{16}-2024-06-10T06:00:00Z_[0-9a-f]{16}\\.jsonl$`));
    const rows = (await getObject(c.s3, "agg-bucket", keys[0]!)).body.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((x) => [x.device_id, x.avg_temp])).toEqual([["d1", 23], ["d2", 11]]);

    // A retried final invocation (same state) overwrites the same keys and objects.
    await handler(windowEvent([], 7, s3.state, true));
    expect(await scanAll(c.ddb, "agg")).toHaveLength(2);
    expect(await listKeys(c.s3, "agg-bucket")).toEqual(keys);
  });

  it("throws on the final invoke when the table is missing, so the window is retried", async () => {
    const h = windowedAggregateHandler({
      contract, steps: [], groupBy: ["device_id"], measures: [{ name: "readings", fn: "count" }], after: [],
      sinks: [dynamodbSink({ name: "gone", tableEnv: "GONE_TABLE", partitionKey: "device_id", sortKey: "window_start" })],
    });
    process.env.GONE_TABLE = "no-such-table";
    const s1 = await h(windowEvent([r("d1", 1)], 1, {}));
    await expect(h(windowEvent([], 2, s1.state, true))).rejects.toThrow(/aggregate rows failed to write/);
  });
});
