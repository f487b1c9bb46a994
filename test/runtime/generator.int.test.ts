import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CreateStreamCommand, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, type _Record } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { generatorHandler } from "../../src/runtime/index.ts";
import { startMoto, type Moto } from "./moto.ts";

let moto: Moto;
let kinesis: KinesisClient;

beforeAll(async () => {
  moto = await startMoto();
  // moto speaks HTTP/1.1 only; the Kinesis client defaults to HTTP/2.
  kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
  process.env.READINGS_STREAM = "readings";
  await kinesis.send(new CreateStreamCommand({ StreamName: "readings", ShardCount: 2 }));
  vi.spyOn(console, "log").mockImplementation(() => {});
});
afterAll(async () => {
  await moto?.stop();
});

async function readAllRecords(stream: string): Promise<_Record[]> {
  const desc = await kinesis.send(new DescribeStreamCommand({ StreamName: stream }));
  const out: _Record[] = [];
  for (const shard of desc.StreamDescription!.Shards!) {
    const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId!, ShardIteratorType: "TRIM_HORIZON" }));
    let iterator = it.ShardIterator;
    for (let page = 0; iterator && page < 10; page++) {
      const res = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      out.push(...(res.Records ?? []));
      if (!res.Records?.length) break;
      iterator = res.NextShardIterator;
    }
  }
  return out;
}

describe("generatorHandler against moto", () => {
  it("puts N records that read back with GetShardIterator/GetRecords", async () => {
    let i = 0;
    const randoms = [0.1, 0.5, 0.9];
    const handler = generatorHandler(
      {
        streamEnv: "READINGS_STREAM",
        recordsPerRun: 30,
        partitionKeyField: "device_id",
        fields: {
          device_id: { one_of: ["d1", "d2", "d3"] },
          temp: { uniform: [10, 30], decimals: 1 },
          ts: { now: true },
          n: { sequence: { start: 1 } },
          site: { constant: "lab" },
        },
      },
      { random: () => randoms[i++ % randoms.length]!, now: () => new Date("2024-06-10T06:00:00.000Z") },
    );
    expect(await handler()).toEqual({ put: 30 });

    const records = await readAllRecords("readings");
    expect(records).toHaveLength(30);
    const decoded = records.map((r) => ({ pk: r.PartitionKey, body: JSON.parse(Buffer.from(r.Data!).toString("utf8")) as Record<string, unknown> }));
    expect(decoded.every((d) => d.pk === d.body.device_id)).toBe(true);
    expect(decoded.map((d) => d.body.n).sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: 30 }, (_, k) => k + 1));
    expect(new Set(decoded.map((d) => d.body.device_id))).toEqual(new Set(["d1", "d2", "d3"]));
    const first = decoded.find((d) => d.body.n === 1)!.body;
    // Random draws in field order: device_id takes 0.1 -> d1, temp takes 0.5 -> 20.
    expect(first).toEqual({ device_id: "d1", temp: 20, ts: "2024-06-10T06:00:00.000Z", n: 1, site: "lab" });
  });

  it("fails loudly when the stream does not exist", async () => {
    process.env.MISSING_STREAM = "no-such-stream";
    const handler = generatorHandler({ streamEnv: "MISSING_STREAM", recordsPerRun: 2, partitionKeyField: "k", fields: { k: { constant: "x" } } });
    await expect(handler()).rejects.toThrow();
  });

  it("rejects a partition key field that is not generated", () => {
    expect(() => generatorHandler({ streamEnv: "S", recordsPerRun: 1, partitionKeyField: "nope", fields: { k: { constant: 1 } } })).toThrow(/partitionKeyField 'nope'/);
  });
});
