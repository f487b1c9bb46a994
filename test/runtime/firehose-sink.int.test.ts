import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CreateDeliveryStreamCommand, FirehoseClient } from "@aws-sdk/client-firehose";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { firehoseSink } from "../../src/runtime/index.ts";
import type { SinkItem } from "../../src/runtime/index.ts";
import { startMoto, type Moto } from "./moto.ts";
import { SHARD, seq } from "./events.ts";

// The Firehose sink against moto_server's real PutRecordBatch. moto (5.2.x) delivers each call
// synchronously as one S3 object holding the records' bytes concatenated (no buffering, no format
// conversion, no dynamic partitioning), which makes the calls the sink made visible: their number,
// their size and their content. Parquet conversion itself is AWS-only; see parquet-lake.test.ts.
let moto: Moto;
let s3: S3Client;
const BUCKET = "pipegen-test-lake";

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({ forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await new FirehoseClient({}).send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: "pipegen-test-views",
      DeliveryStreamType: "DirectPut",
      ExtendedS3DestinationConfiguration: { BucketARN: `arn:aws:s3:::${BUCKET}`, RoleARN: "arn:aws:iam::123456789012:role/firehose", Prefix: "views/" },
    }),
  );
  process.env.PIPEGEN_DELIVERY_STREAM_VIEWS = "pipegen-test-views";
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
}, 90_000);
afterAll(async () => {
  await moto?.stop();
});

/** Every object moto wrote for the stream, each split back into the JSON documents of one call. */
async function calls(): Promise<Array<Array<Record<string, unknown>>>> {
  const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "views/" }))).Contents ?? []).map((o) => o.Key!);
  const bodies = await Promise.all(keys.map(async (Key) => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body!.transformToString()));
  return bodies.map((b) => b.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)).sort((a, b) => (a[0]!.n as number) - (b[0]!.n as number));
}

const item = (n: number, record: Record<string, unknown>): SinkItem => ({ record, shardId: SHARD, sequenceNumber: seq(n), arrival: Date.UTC(2026, 10, 25, 8) });

describe("firehoseSink against moto", () => {
  it("puts 1203 records in three PutRecordBatch calls of at most 500, every record once, as newline-delimited JSON", async () => {
    const sink = firehoseSink({ name: "views", streamEnv: "PIPEGEN_DELIVERY_STREAM_VIEWS", timeField: "at", timestamps: ["at"] });
    const items = Array.from({ length: 1203 }, (_, i) => item(i + 1, { n: i + 1, page: `/p${i % 7}`, at: "2026-11-25T09:15:00+01:00" }));
    expect(await sink.write(items)).toEqual({ failed: [] });
    const got = await calls();
    expect(got.map((c) => c.length)).toEqual([500, 500, 203]);
    const docs = got.flat();
    expect(docs.map((d) => d.n)).toEqual(items.map((_, i) => i + 1));
    expect(docs[0]).toEqual({ n: 1, page: "/p0", at: "2026-11-25T08:15:00.000Z", pipegen_record_id: `${SHARD}:${seq(1)}` });
  });

  it("a record that cannot be sent fails alone; the missing stream fails the whole batch", async () => {
    const sink = firehoseSink({ name: "views", streamEnv: "PIPEGEN_DELIVERY_STREAM_VIEWS", timeField: "at" });
    expect(await sink.write([item(2001, { n: 2001, at: "2026-11-25T10:00:00Z" }), item(2002, { n: 2002, at: "not a time" })])).toEqual({ failed: [seq(2002)] });
    process.env.PIPEGEN_DELIVERY_STREAM_GONE = "pipegen-test-missing";
    const gone = firehoseSink({ name: "gone", streamEnv: "PIPEGEN_DELIVERY_STREAM_GONE" });
    expect((await gone.write([item(1, { n: 1 }), item(2, { n: 2 })])).failed).toEqual([seq(1), seq(2)]);
  });
});
