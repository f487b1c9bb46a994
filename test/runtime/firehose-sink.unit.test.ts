import { beforeAll, describe, expect, it, vi } from "vitest";
import { PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import { firehoseSink } from "../../src/runtime/index.ts";
import type { SinkItem } from "../../src/runtime/index.ts";
import { ARRIVAL_KEY, FIREHOSE_BATCH_MAX, FIREHOSE_BATCH_MAX_BYTES, FIREHOSE_RECORD_MAX_BYTES, firehoseDocument, RECORD_ID_COLUMN } from "../../src/runtime/firehose-sink.ts";
import { DEFAULT_RETRY } from "../../src/runtime/retry.ts";
import { ARRIVAL_KEY as KIND_ARRIVAL_KEY, RECORD_ID_COLUMN as KIND_RECORD_ID_COLUMN } from "../../src/kinds/sinks/s3/kind.ts";

// The Firehose sink with a fake client: the documents it sends, PutRecordBatch limits (500 records,
// 4 MiB), and per-entry failures mapped back to the records the handler reports as failed.
beforeAll(() => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
  process.env.STREAM = "clickstream-dev-page-views";
});

const noSleep = async () => {};
const ARRIVAL = Date.UTC(2026, 10, 25, 23, 59, 58, 5);
const item = (n: number, record: Record<string, unknown> = { n, at: "2026-11-25T10:00:00Z" }): SinkItem => ({ record, shardId: "shardId-000000000001", sequenceNumber: `seq-${n}`, arrival: ARRIVAL });
type Response = { RecordId?: string; ErrorCode?: string; ErrorMessage?: string };

/** A fake Firehose client: `reply` decides, per call, each entry's response, or throws for the whole call. */
function fakeFirehose(reply: (records: string[], call: number) => Array<Response> = (rs) => rs.map((_, i) => ({ RecordId: `r${i}` }))) {
  const calls: Array<{ stream: string; records: string[]; bytes: number }> = [];
  const client = {
    send: vi.fn(async (cmd: PutRecordBatchCommand) => {
      const data = (cmd.input.Records ?? []).map((r) => Buffer.from(r.Data as Uint8Array));
      const records = data.map((d) => d.toString("utf8"));
      calls.push({ stream: cmd.input.DeliveryStreamName!, records, bytes: data.reduce((n, d) => n + d.length, 0) });
      const responses = reply(records, calls.length);
      return { FailedPutCount: responses.filter((r) => r.ErrorCode).length, Encrypted: true, RequestResponses: responses };
    }),
  };
  return { client: client as never, calls };
}

describe("firehoseDocument", () => {
  it("sends timestamps as UTC ISO-8601 with Z, adds the record id, and leaves other fields alone", () => {
    const d = firehoseDocument(item(1, { page: "/a", at: "2026-11-25T23:30:00+02:00", other: "2026-01-01", n: 3 }), { timeField: "at", timestamps: ["at", "other"] });
    expect("doc" in d && d.doc.endsWith("\n")).toBe(true);
    expect(JSON.parse((d as { doc: string }).doc)).toEqual({ page: "/a", at: "2026-11-25T21:30:00.000Z", other: "2026-01-01T00:00:00.000Z", n: 3, [RECORD_ID_COLUMN]: "shardId-000000000001:seq-1" });
  });

  it("without a time field it adds the arrival time under a key no contract field can have", () => {
    const d = firehoseDocument(item(2, { page: "/b" }), {}) as { doc: string };
    expect(JSON.parse(d.doc)).toEqual({ page: "/b", [ARRIVAL_KEY]: "2026-11-25T23:59:58.005Z", [RECORD_ID_COLUMN]: "shardId-000000000001:seq-2" });
    expect(/^[a-z_][a-z0-9_]{0,63}$/.test(ARRIVAL_KEY)).toBe(false);
  });

  it("the planner's jq query and table columns use the writer's names", () => {
    expect([KIND_ARRIVAL_KEY, KIND_RECORD_ID_COLUMN]).toEqual([ARRIVAL_KEY, RECORD_ID_COLUMN]);
  });

  it("refuses a record whose time field is not a timestamp, and one over Firehose's 1,000 KiB", () => {
    expect(firehoseDocument(item(3, { at: "yesterday" }), { timeField: "at" })).toEqual({ error: "field 'at' is not a timestamp" });
    const big = firehoseDocument(item(4, { blob: "x".repeat(FIREHOSE_RECORD_MAX_BYTES) }), {});
    expect("error" in big && big.error).toMatch(/at most 1024000/);
  });
});

describe("firehoseSink", () => {
  it("puts every record in order, 500 per call, to the stream named by the environment", async () => {
    const { client, calls } = fakeFirehose();
    const sink = firehoseSink({ name: "page_views", streamEnv: "STREAM", timeField: "at", timestamps: ["at"] }, { client, sleepFn: noSleep });
    const items = Array.from({ length: 1203 }, (_, i) => item(i + 1));
    expect(await sink.write(items)).toEqual({ failed: [] });
    expect(calls.map((c) => c.records.length)).toEqual([FIREHOSE_BATCH_MAX, FIREHOSE_BATCH_MAX, 203]);
    expect(new Set(calls.map((c) => c.stream))).toEqual(new Set(["clickstream-dev-page-views"]));
    expect(calls.flatMap((c) => c.records.map((r) => JSON.parse(r).n))).toEqual(items.map((_, i) => i + 1));
  });

  it("keeps each call under 4 MiB: large records split calls long before 500", async () => {
    const { client, calls } = fakeFirehose();
    const sink = firehoseSink({ name: "page_views", streamEnv: "STREAM" }, { client, sleepFn: noSleep });
    const blob = "x".repeat(900 * 1024);
    expect(await sink.write(Array.from({ length: 10 }, (_, i) => item(i + 1, { blob })))).toEqual({ failed: [] });
    expect(calls.map((c) => c.records.length)).toEqual([4, 4, 2]);
    for (const c of calls) expect(c.bytes).toBeLessThanOrEqual(FIREHOSE_BATCH_MAX_BYTES);
  });

  it("retries entries Firehose failed with ServiceUnavailable/InternalFailure; other codes fail their record alone", async () => {
    const { client, calls } = fakeFirehose((records, call) =>
      records.map((r, i) => {
        const n = JSON.parse(r).n as number;
        if (call === 1 && n === 2) return { ErrorCode: "ServiceUnavailableException", ErrorMessage: "Slow down." };
        if (call === 1 && n === 3) return { ErrorCode: "InternalFailure" };
        if (n === 4) return { ErrorCode: "KMSAccessDeniedException", ErrorMessage: "no key" };
        return { RecordId: `r${call}-${i}` };
      }),
    );
    const sink = firehoseSink({ name: "page_views", streamEnv: "STREAM", timeField: "at" }, { client, sleepFn: noSleep });
    expect(await sink.write([item(1), item(2), item(3), item(4), item(5)])).toEqual({ failed: ["seq-4"] });
    expect(calls.map((c) => c.records.map((r) => JSON.parse(r).n))).toEqual([[1, 2, 3, 4, 5], [2, 3]]);
    // A retry sends the same document again: the record id (and so deduplication) is stable.
    expect(calls[1]!.records[0]).toBe(calls[0]!.records[1]);
  });

  it("reports entries that stay unavailable after the policy's attempts", async () => {
    const { client, calls } = fakeFirehose((records) => records.map(() => ({ ErrorCode: "ServiceUnavailableException" })));
    const sink = firehoseSink({ name: "page_views", streamEnv: "STREAM" }, { client, sleepFn: noSleep, policy: { ...DEFAULT_RETRY, maxAttempts: 3 } });
    expect((await sink.write([item(1), item(2)])).failed.sort()).toEqual(["seq-1", "seq-2"]);
    expect(calls.length).toBe(3);
  });

  it("an entry without a response is not known to be stored: it is retried, not taken as written", async () => {
    const { client, calls } = fakeFirehose((records, call) => (call === 1 ? [{ RecordId: "a" }, { ErrorCode: "InternalFailure" }] : records.map(() => ({ RecordId: "b" }))));
    const sink = firehoseSink({ name: "page_views", streamEnv: "STREAM" }, { client, sleepFn: noSleep });
    expect(await sink.write([item(1), item(2), item(3)])).toEqual({ failed: [] });
    expect(calls.map((c) => c.records.map((r) => JSON.parse(r).n))).toEqual([[1, 2, 3], [2, 3]]);
  });

  it("records that cannot be sent fail without a call; the rest still go", async () => {
    const { client, calls } = fakeFirehose();
    const sink = firehoseSink({ name: "page_views", streamEnv: "STREAM", timeField: "at" }, { client, sleepFn: noSleep });
    expect(await sink.write([item(1), item(2, { at: 17 }), item(3)])).toEqual({ failed: ["seq-2"] });
    expect(calls.map((c) => c.records.map((r) => JSON.parse(r).n))).toEqual([[1, 3]]);
    expect(await sink.write([item(9, { at: "never" })])).toEqual({ failed: ["seq-9"] });
    expect(calls.length).toBe(1);
  });

  it("a call rejected as a whole (missing stream, no permission) fails every record of the call", async () => {
    const client = { send: vi.fn(async () => { throw Object.assign(new Error("Firehose not found"), { name: "ResourceNotFoundException", $fault: "client" }); }) };
    const sink = firehoseSink({ name: "page_views", streamEnv: "STREAM" }, { client: client as never, sleepFn: noSleep });
    expect((await sink.write([item(1), item(2)])).failed).toEqual(["seq-1", "seq-2"]);
    expect(client.send).toHaveBeenCalledTimes(1);
  });

  it("writes nothing and calls nothing for an empty batch", async () => {
    const { client, calls } = fakeFirehose();
    expect(await firehoseSink({ name: "x", streamEnv: "UNSET_STREAM_ENV" }, { client }).write([])).toEqual({ failed: [] });
    expect(calls).toEqual([]);
  });
});
