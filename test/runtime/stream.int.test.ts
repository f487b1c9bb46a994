import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { dynamodbSink, s3Sink, streamHandler } from "../../src/runtime/index.ts";
import type { Contract, Step } from "../../src/runtime/index.ts";
import { startMoto, type Moto } from "./moto.ts";
import { createBucket, createTable, getObject, listKeys, scanAll, testClients } from "./aws.ts";
import { kinesisEvent, seq, SHARD } from "./events.ts";

const contract: Contract = { fields: { device_id: "string", temp: "number", ts: "timestamp" } };
const reading = (device_id: string, temp: number, ts: string) => ({ device_id, temp, ts });
const explode: Step = (r) => {
  if (r.device_id === "boom") throw new Error("step failure");
  return { ...r, temp_f: (r.temp as number) * 1.8 + 32 };
};

let moto: Moto;
let c: ReturnType<typeof testClients>;

beforeAll(async () => {
  moto = await startMoto();
  c = testClients();
  process.env.RAW_BUCKET = "raw-bucket";
  process.env.READINGS_TABLE = "readings";
  await createBucket(c.s3, "raw-bucket");
  await createTable(c.ddb, "readings", "device_id", "ts");
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterAll(async () => {
  await moto?.stop();
});

const handler = streamHandler({
  contract,
  steps: [explode],
  sinks: [
    s3Sink({ name: "raw", bucketEnv: "RAW_BUCKET", prefix: "readings/", partitionBy: ["date", "hour"], timeField: "ts" }),
    dynamodbSink({ name: "latest", tableEnv: "READINGS_TABLE", partitionKey: "device_id", sortKey: "ts", ttl: { attribute: "expires_at", days: 7, fromField: "ts" } }),
  ],
});

describe("streamHandler against moto (S3 + DynamoDB)", () => {
  const event = kinesisEvent([
    reading("d1", 20, "2024-06-10T06:10:00Z"),
    reading("d2", 25, "2024-06-10T06:20:00Z"),
    reading("d1", 22, "2024-06-10T07:05:00Z"),
  ]);

  it("writes JSON lines per hour partition and one item per record", async () => {
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const keys = await listKeys(c.s3, "raw-bucket", "readings/");
    expect(keys).toEqual([
      // Objects are named by the batch's retry checkpoint (its first record), per partition.
      `readings/dt=2024-06-10/hr=06/${SHARD}/${seq(1)}.jsonl`,
      `readings/dt=2024-06-10/hr=07/${SHARD}/${seq(1)}.jsonl`,
    ]);
    const first = await getObject(c.s3, "raw-bucket", keys[0]!);
    expect(first.contentType).toBe("application/x-ndjson");
    expect(first.body.trimEnd().split("\n").map((l) => JSON.parse(l))).toEqual([
      { device_id: "d1", temp: 20, ts: "2024-06-10T06:10:00Z", temp_f: 68 },
      { device_id: "d2", temp: 25, ts: "2024-06-10T06:20:00Z", temp_f: 77 },
    ]);
    const items = await scanAll(c.ddb, "readings");
    expect(items).toHaveLength(3);
    expect(items.find((i) => i.device_id === "d2")).toEqual({
      device_id: "d2", temp: 25, ts: "2024-06-10T06:20:00Z", temp_f: 77,
      expires_at: Date.parse("2024-06-10T06:20:00Z") / 1000 + 7 * 86_400,
    });
  });

  it("replaying the same event creates no duplicates", async () => {
    const keysBefore = await listKeys(c.s3, "raw-bucket");
    const itemsBefore = await scanAll(c.ddb, "readings");
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(await listKeys(c.s3, "raw-bucket")).toEqual(keysBefore);
    expect(await scanAll(c.ddb, "readings")).toHaveLength(itemsBefore.length);
  });

  it.each([
    { name: "bad JSON", poison: '{"device_id": "p1", "temp": ' },
    { name: "wrong type", poison: { device_id: "p1", temp: "warm", ts: "2024-06-11T01:00:00Z" } },
    { name: "throwing step", poison: { device_id: "boom", temp: 1, ts: "2024-06-11T01:00:00Z" } },
  ])("one poison record ($name) fails alone while the others land", async ({ poison }) => {
    const ev = kinesisEvent([reading("p0", 1, "2024-06-11T01:00:00Z"), poison, reading("p2", 3, "2024-06-11T01:30:00Z")], 101);
    expect(await handler(ev)).toEqual({ batchItemFailures: [{ itemIdentifier: seq(102) }] });
    const keys = await listKeys(c.s3, "raw-bucket", "readings/dt=2024-06-11/");
    // Records after the poison are named by its sequence number: Lambda's retry restarts there.
    expect(keys).toEqual([`readings/dt=2024-06-11/hr=01/${SHARD}/${seq(101)}.jsonl`, `readings/dt=2024-06-11/hr=01/${SHARD}/${seq(102)}.jsonl`]);
    const ids = async (k: string) => (await getObject(c.s3, "raw-bucket", k)).body.trimEnd().split("\n").map((l) => (JSON.parse(l) as { device_id: string }).device_id);
    expect(await ids(keys[0]!)).toEqual(["p0"]);
    expect(await ids(keys[1]!)).toEqual(["p2"]);
    const items = await scanAll(c.ddb, "readings");
    expect(items.filter((i) => String(i.device_id).startsWith("p") || i.device_id === "boom").map((i) => i.device_id).sort()).toEqual(["p0", "p2"]);
  });

  it("a retry from the failed record overwrites what the first attempt wrote after it: no duplicates in S3", async () => {
    const poison = '{"device_id": ';
    const first = kinesisEvent([reading("q0", 1, "2024-06-13T01:00:00Z"), poison, reading("q2", 3, "2024-06-13T01:10:00Z"), reading("q3", 4, "2024-06-13T01:20:00Z")], 401);
    expect(await handler(first)).toEqual({ batchItemFailures: [{ itemIdentifier: seq(402) }] });
    // Lambda redelivers from the lowest failure, possibly with records that arrived meanwhile.
    const retry = { Records: [...first.Records.slice(1), ...kinesisEvent([reading("q4", 5, "2024-06-13T01:30:00Z")], 405).Records] };
    expect(await handler(retry)).toEqual({ batchItemFailures: [{ itemIdentifier: seq(402) }] });
    const keys = await listKeys(c.s3, "raw-bucket", "readings/dt=2024-06-13/");
    const lines = [];
    for (const k of keys) lines.push(...(await getObject(c.s3, "raw-bucket", k)).body.trimEnd().split("\n").map((l) => (JSON.parse(l) as { device_id: string }).device_id));
    expect(lines.sort()).toEqual(["q0", "q2", "q3", "q4"]);
  });

  it("reports records as failed when the sink's resource is missing", async () => {
    const h = streamHandler({ contract, steps: [], sinks: [s3Sink({ name: "gone", bucketEnv: "MISSING_BUCKET", prefix: "", partitionBy: ["date"] })] });
    process.env.MISSING_BUCKET = "no-such-bucket";
    const res = await h(kinesisEvent([reading("x", 1, "2024-06-12T00:00:00Z"), reading("y", 2, "2024-06-12T00:00:00Z")], 201));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: seq(201) }, { itemIdentifier: seq(202) }]);
  });

  it("writes more than 25 items with repeated keys in order (last record wins), and partitions by arrival", async () => {
    process.env.LATEST_TABLE = "latest";
    await createTable(c.ddb, "latest", "device_id");
    const h = streamHandler({
      contract,
      steps: [],
      sinks: [
        dynamodbSink({ name: "latest", tableEnv: "LATEST_TABLE", partitionKey: "device_id", ttl: { attribute: "ttl", days: 1 } }),
        s3Sink({ name: "arrivals", bucketEnv: "RAW_BUCKET", prefix: "by-arrival", partitionBy: ["date", "hour"] }),
      ],
    });
    const payloads = Array.from({ length: 60 }, (_, i) => reading(`dev-${i % 10}`, i, "2024-06-10T06:00:00Z"));
    expect(await h(kinesisEvent(payloads, 301))).toEqual({ batchItemFailures: [] });
    const items = await scanAll(c.ddb, "latest");
    expect(items).toHaveLength(10);
    expect(Object.fromEntries(items.map((i) => [i.device_id, i.temp]))).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`dev-${k}`, 50 + k])));
    // approximateArrivalTimestamp 1718000000.123 s = 2024-06-10T06:13:20.123Z; TTL counts from it.
    expect(items[0]!.ttl).toBe(1_718_000_000 + 86_400);
    expect(await listKeys(c.s3, "raw-bucket", "by-arrival/")).toEqual([`by-arrival/dt=2024-06-10/hr=06/${SHARD}/${seq(301)}.jsonl`]);
  });
});
