import { beforeEach, describe, expect, it, vi } from "vitest";
import { s3ObjectHandler } from "../../src/runtime/index.ts";
import type { Contract, S3Event, S3ObjectOptions, Sink, SinkItem, Step } from "../../src/runtime/index.ts";
import { CHUNK_LINES, csvRows, decodeKey, jsonLines, lineId, objectIdentity } from "../../src/runtime/s3-object-handler.ts";

// s3ObjectHandler with in-memory objects, sinks and dead-letter queue: CSV typing by the contract,
// bad lines counted, parked and never written, and line identities that make redelivery overwrite.
const contract: Contract = { fields: { order_id: "string", amount: "number", paid: "boolean", created_at: "timestamp" } };
const BUCKET = "landing-dev-drops-123456789012";
const DLQ = "https://sqs.us-east-1.amazonaws.com/123456789012/landing-dev-lake-dlq";
const csvOptions: S3ObjectOptions = { name: "drops", bucketEnv: "PIPEGEN_SOURCE_BUCKET_DROPS", dlqEnv: "PIPEGEN_DLQ_URL", prefix: "incoming/", format: "csv" };
const jsonlOptions: S3ObjectOptions = { ...csvOptions, format: "jsonl" };

/** In-memory sink that fails the line ids it is told to. */
function memorySink(failIds: string[] = []): Sink & { items: SinkItem[]; calls: number } {
  const sink = {
    name: "mem",
    items: [] as SinkItem[],
    calls: 0,
    async write(batch: SinkItem[]) {
      sink.calls++;
      sink.items.push(...batch.filter((i) => !failIds.includes(i.sequenceNumber)));
      return { failed: batch.map((i) => i.sequenceNumber).filter((s) => failIds.includes(s)) };
    },
  };
  return sink;
}

/** An S3 ObjectCreated event as S3 sends it (key URL-encoded). */
function s3Event(key: string, versionId: string | undefined = "v1", bucket = BUCKET): S3Event {
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: "us-east-1",
        eventTime: "2024-06-10T06:01:02.345Z",
        eventName: "ObjectCreated:Put",
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "lake",
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+"), size: 1, eTag: "0123abcd", ...(versionId ? { versionId } : {}), sequencer: "0055AED6DCD90281E5" },
        },
      },
    ],
  };
}

/** Objects served by key, in one-byte chunks so every parser state crosses a chunk boundary. */
function store(objects: Record<string, string>) {
  const opened: Array<{ bucket: string; key: string; versionId: string | undefined }> = [];
  const parked: Array<Record<string, unknown>> = [];
  return {
    opened,
    parked,
    deps: {
      async open(bucket: string, key: string, versionId: string | undefined) {
        opened.push({ bucket, key, versionId });
        const body = objects[key];
        if (body === undefined) throw Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey" });
        const bytes = Buffer.from(body, "utf8");
        return (async function* () {
          for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
        })();
      },
      async park(url: string, body: string) {
        expect(url).toBe(DLQ);
        parked.push(JSON.parse(body) as Record<string, unknown>);
      },
    },
  };
}

let logs: Array<Record<string, unknown>>;
beforeEach(() => {
  logs = [];
  const capture = (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>);
  vi.spyOn(console, "log").mockImplementation(capture);
  vi.spyOn(console, "error").mockImplementation(capture);
  vi.stubEnv("PIPEGEN_SOURCE_BUCKET_DROPS", BUCKET);
  vi.stubEnv("PIPEGEN_DLQ_URL", DLQ);
});

describe("CSV parsing and typing", () => {
  it("types values by the contract: numbers, true/false, timestamps; other columns stay strings", async () => {
    const csv = [
      "order_id,amount,paid,created_at,note",
      "o1,12.50,true,2024-06-10T06:00:00Z,plain",
      'o2,-3e2,FALSE,2024-06-10,"quoted, with comma"',
      '"o3",.5,True,2024-06-10T06:00:00+02:00,"say ""hi""\r\nsecond line"',
      "",
      "o4,0007,false,2024-06-10T06:00:00.123Z,",
    ].join("\r\n");
    const s = store({ "incoming/a.csv": csv });
    const sink = memorySink();
    const res = await s3ObjectHandler({ contract, options: csvOptions, steps: [], sinks: [sink] }, s.deps)(s3Event("incoming/a.csv"));
    expect(sink.items.map((i) => i.record)).toEqual([
      { order_id: "o1", amount: 12.5, paid: true, created_at: "2024-06-10T06:00:00Z", note: "plain" },
      { order_id: "o2", amount: -300, paid: false, created_at: "2024-06-10", note: "quoted, with comma" },
      { order_id: "o3", amount: 0.5, paid: true, created_at: "2024-06-10T06:00:00+02:00", note: 'say "hi"\r\nsecond line' },
      { order_id: "o4", amount: 7, paid: false, created_at: "2024-06-10T06:00:00.123Z", note: "" },
    ]);
    // Line numbers are where each row starts in the file; the quoted value spans lines 4-5.
    expect(sink.items.map((i) => i.sequenceNumber)).toEqual([lineId(2), lineId(3), lineId(4), lineId(7)]);
    expect(res).toEqual({ objects: 1, lines: 4, written: 4, filtered: 0, failed: 0 });
    expect(s.parked).toEqual([]);
  });

  it("reads RFC 4180 rows across chunk boundaries, skips blank lines, and flags an unterminated quote", async () => {
    const rows = async (chunks: string[]) => {
      const out = [];
      for await (const r of csvRows((async function* () { yield* chunks; })())) out.push(r);
      return out;
    };
    expect(await rows(['a,"b', '""c"', '"",d\n\n', "e,,\n"])).toEqual([
      { line: 1, fields: ["a", 'b"c"', "d"] },
      { line: 3, fields: ["e", "", ""] },
    ]);
    expect(await rows(['a,"never closed\nx,y\n'])).toEqual([{ line: 1, error: "unterminated quoted value" }]);
    // A UTF-8 byte order mark is not part of the first header name.
    expect(await rows(["\uFEFFid,x\n1,2"])).toEqual([{ line: 1, fields: ["id", "x"] }, { line: 2, fields: ["1", "2"] }]);
  });

  it("JSON lines: one object per line, blank lines skipped, physical line numbers", async () => {
    const out = [];
    for await (const p of jsonLines((async function* () { yield '{"a":1}\r\n\n  \n[1]\n{bad'; yield '\n{"b":2}'; })())) out.push(p);
    expect(out).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 4, error: "line is not a JSON object" },
      { line: 5, error: "invalid JSON" },
      { line: 6, value: { b: 2 } },
    ]);
  });
});

describe("bad lines", () => {
  const explode: Step = (r) => {
    if (r.order_id === "boom") throw new Error("boom step");
    return r;
  };
  const unpaid: Step = (r) => (r.paid ? r : null);

  it("are counted, logged without content, parked with line numbers and reasons, and never written", async () => {
    const csv = [
      "order_id,amount,paid,created_at",
      "ok1,1,true,2024-06-10T06:00:00Z",
      "secret-a,lots,true,2024-06-10T06:00:00Z",
      "secret-b,2,true,",
      "secret-c,2,true",
      "boom,3,true,2024-06-10T06:00:00Z",
      "skip,4,false,2024-06-10T06:00:00Z",
      "ok2,5,true,2024-06-10T06:00:00Z",
      "secret-d,6,maybe,2024-06-10T06:00:00Z",
    ].join("\n");
    const s = store({ "incoming/b.csv": csv });
    const sink = memorySink();
    const res = await s3ObjectHandler({ contract, options: csvOptions, steps: [unpaid, explode], sinks: [sink] }, s.deps)(s3Event("incoming/b.csv"));
    expect(sink.items.map((i) => i.record.order_id)).toEqual(["ok1", "ok2"]);
    expect(res).toEqual({ objects: 1, lines: 8, written: 2, filtered: 1, failed: 5 });
    expect(s.parked).toEqual([
      {
        source: "drops",
        bucket: BUCKET,
        key: "incoming/b.csv",
        versionId: "v1",
        eTag: "0123abcd",
        error: "bad lines",
        badLines: 5,
        lines: [
          { line: 3, reason: "field 'amount' is not a number" },
          { line: 4, reason: "missing field 'created_at'" },
          { line: 5, reason: "row has 3 values, the header has 4" },
          { line: 6, reason: "step threw Error: boom step" },
          { line: 9, reason: "field 'paid' is not a boolean" },
        ],
        truncated: false,
      },
    ]);
    expect(logs.filter((l) => l.msg === "record_failed").map((l) => l.line)).toEqual([3, 4, 5, 6, 9]);
    expect(logs.find((l) => l.msg === "object_summary")).toMatchObject({ lines: 8, written: 2, filtered: 1, failed: 5, sinkFailed: 0 });
    expect(JSON.stringify(logs) + JSON.stringify(s.parked)).not.toContain("secret");
  });

  it("a header without a contract field parks the object once and writes nothing (retrying cannot help)", async () => {
    const s = store({ "incoming/c.csv": "order_id,amount,created_at\no1,1,2024-06-10T06:00:00Z\n", "incoming/d.csv": "order_id,amount,amount,paid,created_at\n" });
    const sink = memorySink();
    const h = s3ObjectHandler({ contract, options: csvOptions, steps: [], sinks: [sink] }, s.deps);
    await h(s3Event("incoming/c.csv"));
    await h(s3Event("incoming/d.csv"));
    expect(sink.calls).toBe(0);
    expect(s.parked.map((p) => p.error)).toEqual(["header lacks contract field 'paid'", "header names column 'amount' twice"]);
  });

  it("parks events of another bucket or outside the prefix, and ignores S3's test event", async () => {
    const s = store({});
    const h = s3ObjectHandler({ contract, options: jsonlOptions, steps: [], sinks: [memorySink()] }, s.deps);
    await h(s3Event("incoming/x.jsonl", "v1", "someone-elses-bucket"));
    await h(s3Event("elsewhere/x.jsonl"));
    expect(await h({ Service: "Amazon S3", Event: "s3:TestEvent" } as S3Event)).toEqual({ objects: 0, lines: 0, written: 0, filtered: 0, failed: 0 });
    expect(s.opened).toEqual([]);
    expect(s.parked.map((p) => p.error)).toEqual(["object is not in the source's landing bucket", "object key is outside the landing prefix incoming/"]);
  });
});

describe("retries and idempotency", () => {
  const jsonl = (n: number, from = 1) => Array.from({ length: n }, (_, i) => JSON.stringify({ order_id: `o${from + i}`, amount: i, paid: true, created_at: "2024-06-10T06:00:00Z" })).join("\n");

  it("a redelivered event gives every line the same identity, so sinks overwrite instead of duplicating", async () => {
    const s = store({ "incoming/big file (1).jsonl": jsonl(CHUNK_LINES + 2) });
    const first = memorySink();
    const again = memorySink();
    const event = s3Event("incoming/big file (1).jsonl", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY");
    await s3ObjectHandler({ contract, options: jsonlOptions, steps: [], sinks: [first] }, s.deps)(event);
    await s3ObjectHandler({ contract, options: jsonlOptions, steps: [], sinks: [again] }, s.deps)(event);
    const ids = (xs: SinkItem[]) => xs.map((i) => [i.shardId, i.sequenceNumber, i.checkpoint, i.arrival]);
    expect(ids(again.items)).toEqual(ids(first.items));
    // The key arrives URL-encoded and is read decoded, at the event's version.
    expect(s.opened[0]).toEqual({ bucket: BUCKET, key: "incoming/big file (1).jsonl", versionId: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY" });
    const shard = objectIdentity(BUCKET, "incoming/big file (1).jsonl", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY");
    expect(shard).toMatch(/^object-[0-9a-f]{24}$/);
    expect(new Set(first.items.map((i) => i.shardId))).toEqual(new Set([shard]));
    // One sink write per chunk, each item carrying the line its chunk starts at (the s3 sink's object name).
    expect(first.calls).toBe(2);
    expect([...new Set(first.items.map((i) => i.checkpoint))]).toEqual([lineId(1), lineId(CHUNK_LINES + 1)]);
    expect(first.items[0]!.arrival).toBe(Date.parse("2024-06-10T06:01:02.345Z"));
    // A new version of the same key is a new object: its lines do not overwrite the old version's.
    expect(objectIdentity(BUCKET, "incoming/big file (1).jsonl", "another-version")).not.toBe(shard);
    // Without a versionId (unversioned bucket) the ETag identifies the content.
    expect(objectIdentity(BUCKET, "k", "0123abcd")).toBe(objectIdentity(BUCKET, "k", "0123abcd"));
  });

  it("a failed sink write throws after the whole object was read, so Lambda retries the event; bad lines wait for the retry", async () => {
    const s = store({ "incoming/e.jsonl": `${jsonl(3)}\n{bad` });
    const ok = memorySink();
    const failing = memorySink([lineId(2)]);
    const h = s3ObjectHandler({ contract, options: jsonlOptions, steps: [], sinks: [ok, failing] }, s.deps);
    await expect(h(s3Event("incoming/e.jsonl"))).rejects.toThrow(/1 records were not written.*Lambda retries the event/);
    expect(ok.items.map((i) => i.record.order_id)).toEqual(["o1", "o2", "o3"]);
    expect(s.parked).toEqual([]);
    const throwing: Sink = { name: "down", write: async () => Promise.reject(new Error("down")) };
    await expect(s3ObjectHandler({ contract, options: jsonlOptions, steps: [], sinks: [throwing] }, s.deps)(s3Event("incoming/e.jsonl"))).rejects.toThrow(/3 records were not written/);
  });

  it("an unreadable object throws (retried, then parked by Lambda), and so does a failure to park", async () => {
    const s = store({ "incoming/f.jsonl": "{bad" });
    await expect(s3ObjectHandler({ contract, options: jsonlOptions, steps: [], sinks: [memorySink()] }, s.deps)(s3Event("incoming/missing.jsonl"))).rejects.toThrow(/NoSuchKey/);
    const deps = { ...s.deps, park: async () => Promise.reject(new Error("queue gone")) };
    await expect(s3ObjectHandler({ contract, options: jsonlOptions, steps: [], sinks: [memorySink()] }, deps)(s3Event("incoming/f.jsonl"))).rejects.toThrow(/parking failed/);
  });

  it("decodes keys as S3 encodes them in events", () => {
    expect(decodeKey("incoming/my+file%281%29%2B.csv")).toBe("incoming/my file(1)+.csv");
  });
});
