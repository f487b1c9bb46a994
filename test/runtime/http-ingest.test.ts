import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { httpIngestHandler } from "../../src/runtime/index.ts";
import type { ApiGatewayV2Event, Contract } from "../../src/runtime/index.ts";
import { MAX_BODY_BYTES, partitionKeyOf, recordsOf } from "../../src/runtime/http-ingest.ts";
import type { KinesisSender } from "../../src/runtime/kinesis-put.ts";

// The ingest handler on API Gateway HTTP API (payload 2.0) events: body shapes, whole-request
// validation, limits, and how partial PutRecords failures are retried and reported.
const contract: Contract = { fields: { device_id: "string", temperature: "number", recorded_at: "timestamp" } };
const reading = (device_id: string, temperature: number) => ({ device_id, temperature, recorded_at: "2026-11-25T10:00:00Z" });

function post(body: unknown, headers: Record<string, string> = { "content-type": "application/json" }, extra: Partial<ApiGatewayV2Event> = {}): ApiGatewayV2Event {
  return {
    version: "2.0",
    routeKey: "POST /ingest/v1/devices",
    rawPath: "/ingest/v1/devices",
    headers,
    requestContext: { http: { method: "POST", path: "/ingest/v1/devices", protocol: "HTTP/1.1", sourceIp: "198.51.100.7", userAgent: "sensor/1.0" } },
    body: typeof body === "string" ? body : JSON.stringify(body),
    isBase64Encoded: false,
    ...extra,
  };
}

type Entry = { Data: Uint8Array; PartitionKey: string };
/** Fake Kinesis: records every PutRecords call; `codes` gives per-call ErrorCodes by entry position (or an Error to throw). */
function fakeKinesis(codes: Array<Array<string | undefined> | Error> = []): KinesisSender & { calls: Entry[][] } {
  const calls: Entry[][] = [];
  return {
    calls,
    async send(cmd: PutRecordsCommand) {
      const entries = cmd.input.Records as Entry[];
      calls.push(entries);
      const plan = codes[calls.length - 1];
      if (plan instanceof Error) throw plan;
      const results = entries.map((_, i) => (plan?.[i] ? { ErrorCode: plan[i], ErrorMessage: "Rate exceeded" } : { SequenceNumber: String(i), ShardId: "shardId-000000000000" }));
      return { FailedRecordCount: results.filter((r) => "ErrorCode" in r).length, Records: results };
    },
  } as KinesisSender & { calls: Entry[][] };
}

const options = { contract, streamEnv: "PIPEGEN_STREAM", partitionKeyField: "device_id", maxRecords: 3 };
const noSleep = async () => {};
const parse = (b: string) => JSON.parse(b) as Record<string, any>;

let logs: Array<Record<string, unknown>>;
beforeEach(() => {
  logs = [];
  process.env.PIPEGEN_STREAM = "ingest-dev-readings";
  const capture = (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>);
  vi.spyOn(console, "log").mockImplementation(capture);
  vi.spyOn(console, "error").mockImplementation(capture);
});
afterEach(() => {
  delete process.env.PIPEGEN_STREAM;
  vi.restoreAllMocks();
});

describe("recordsOf and partitionKeyOf", () => {
  it.each([
    { given: reading("a", 1), want: 1 },
    { given: [reading("a", 1), reading("b", 2)], want: 2 },
    { given: { records: [reading("a", 1)] }, want: 1 },
    // An object with `records` and other keys is one record that happens to have a `records` field.
    { given: { records: [1], device_id: "x" }, want: 1 },
    { given: [], want: 0 },
  ])("$given → $want records", ({ given, want }) => {
    expect(recordsOf(given)?.length).toBe(want);
  });

  it.each([{ given: "x" }, { given: 3 }, { given: null }])("$given is no record shape", ({ given }) => {
    expect(recordsOf(given)).toBeUndefined();
  });

  it("partition keys are the field's value, never empty, at most 256 characters", () => {
    expect(partitionKeyOf({ device_id: "sensor-1" }, "device_id")).toBe("sensor-1");
    expect(partitionKeyOf({ device_id: "" }, "device_id")).toBe("-");
    expect(partitionKeyOf({ device_id: "k".repeat(300) }, "device_id")).toHaveLength(256);
    expect(partitionKeyOf({ n: 42 }, "n")).toBe("42");
  });
});

describe("httpIngestHandler", () => {
  it("writes one record, an array or {records: [...]} with the partition key field, and answers 200 with the count", async () => {
    const kinesis = fakeKinesis();
    const h = httpIngestHandler(options, { kinesis, sleep: noSleep });
    for (const body of [reading("a", 21.5), [reading("a", 1), reading("b", 2)], { records: [reading("c", 3)] }]) {
      const res = await h(post(body));
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("application/json");
    }
    expect(kinesis.calls.map((c) => c.map((e) => e.PartitionKey))).toEqual([["a"], ["a", "b"], ["c"]]);
    expect(JSON.parse(Buffer.from(kinesis.calls[1]![1]!.Data).toString())).toEqual(reading("b", 2));
    expect(parse((await h(post([reading("a", 1), reading("b", 2)]))).body)).toEqual({ accepted: 2 });
  });

  it("accepts a base64-encoded body and a content type with a charset", async () => {
    const kinesis = fakeKinesis();
    const res = await httpIngestHandler(options, { kinesis })(post(Buffer.from(JSON.stringify(reading("a", 1))).toString("base64"), { "content-type": "application/json; charset=utf-8" }, { isBase64Encoded: true }));
    expect(res.statusCode).toBe(200);
    expect(kinesis.calls).toHaveLength(1);
  });

  it("rejects the whole request with 400 listing every invalid record by index, and writes nothing", async () => {
    const kinesis = fakeKinesis();
    const res = await httpIngestHandler(options, { kinesis })(post([reading("a", 1), { device_id: "secret-value", temperature: "hot", recorded_at: "2026-11-25T10:00:00Z" }, { device_id: "c", temperature: 3 }]));
    expect(res.statusCode).toBe(400);
    expect(parse(res.body)).toEqual({
      error: "2 of 3 records are invalid; nothing was written",
      rejected: [
        { index: 1, reason: "field 'temperature' is not a number" },
        { index: 2, reason: "missing field 'recorded_at'" },
      ],
    });
    expect(kinesis.calls).toEqual([]);
    expect(JSON.stringify(logs)).not.toContain("secret-value");
    expect(res.body).not.toContain("secret-value");
  });

  it.each([
    { name: "empty body", event: post(""), status: 400, error: /body is empty/ },
    { name: "not JSON", event: post("{device_id:"), status: 400, error: /^body is not valid JSON$/ },
    { name: "a JSON string", event: post('"hello"'), status: 400, error: /must be a record object/ },
    { name: "no records", event: post({ records: [] }), status: 400, error: /no records/ },
    { name: "an array of non-objects", event: post([1]), status: 400, error: /1 of 1 records are invalid/ },
    { name: "over max_records", event: post([1, 2, 3, 4].map((i) => reading(`d${i}`, i))), status: 413, error: /4 records in one request, over the limit of 3/ },
    { name: "a body over 5 MiB", event: post("x".repeat(MAX_BODY_BYTES + 1)), status: 413, error: /over the limit of 5242880/ },
    { name: "a non-JSON content type", event: post(reading("a", 1), { "content-type": "text/csv" }), status: 415, error: /is not JSON/ },
    { name: "GET", event: { ...post(reading("a", 1)), requestContext: { http: { method: "GET", path: "/ingest/v1/devices" } } }, status: 405, error: /method GET is not allowed/ },
  ])("$name → $status", async ({ event, status, error }) => {
    const kinesis = fakeKinesis();
    const res = await httpIngestHandler(options, { kinesis })(event);
    expect(res.statusCode).toBe(status);
    expect(parse(res.body).error).toMatch(error);
    expect(kinesis.calls).toEqual([]);
  });

  it("rejects a record over the 1 MiB Kinesis limit", async () => {
    const res = await httpIngestHandler(options, { kinesis: fakeKinesis() })(post([{ ...reading("a", 1), blob: "x".repeat(1024 * 1024) }]));
    expect(res.statusCode).toBe(400);
    expect(parse(res.body).rejected[0].reason).toMatch(/over the Kinesis limit of 1048576/);
  });

  it("retries only the entries Kinesis rejected, then answers 200", async () => {
    const kinesis = fakeKinesis([[undefined, "ProvisionedThroughputExceededException", undefined], ["ProvisionedThroughputExceededException"], []]);
    const res = await httpIngestHandler(options, { kinesis, sleep: noSleep })(post([reading("a", 1), reading("b", 2), reading("c", 3)]));
    expect(res.statusCode).toBe(200);
    expect(kinesis.calls.map((c) => c.map((e) => e.PartitionKey))).toEqual([["a", "b", "c"], ["b"], ["b"]]);
  });

  it("answers 207 with the indexes still failing after the retries, so the client resends only those", async () => {
    const throttled = ["ProvisionedThroughputExceededException"];
    const kinesis = fakeKinesis([[undefined, ...throttled], throttled, throttled]);
    const res = await httpIngestHandler(options, { kinesis, sleep: noSleep, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } })(post([reading("a", 1), reading("b", 2)]));
    expect(res.statusCode).toBe(207);
    expect(parse(res.body)).toMatchObject({ accepted: 1, failed: [{ index: 1, reason: "ProvisionedThroughputExceededException" }] });
    expect(kinesis.calls).toHaveLength(3);
  });

  it("answers 503 with Retry-After when no record could be written (the call itself kept failing)", async () => {
    const down = new Error("socket hang up");
    const kinesis = fakeKinesis([down, down]);
    const res = await httpIngestHandler(options, { kinesis, sleep: noSleep, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } })(post([reading("a", 1)]));
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect(parse(res.body)).toMatchObject({ accepted: 0, failed: [{ index: 0, reason: "Error: socket hang up" }] });
  });
});
