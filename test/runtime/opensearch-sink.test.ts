import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Checksum, SourceData } from "@smithy/types";
import { bulkResults, endpointUrl, opensearchSink, signRequest, signingRegion, type Credentials, type OpenSearchSinkOptions } from "../../src/runtime/opensearch-sink.ts";
import type { SinkItem } from "../../src/runtime/types.ts";
import { streamHandler } from "../../src/runtime/index.ts";
import { kinesisEvent, SHARD, seq } from "./events.ts";

// The OpenSearch sink against a REAL HTTP server on 127.0.0.1 (a free port): what goes over the wire
// (SigV4 headers checked against an independent signer, the NDJSON bulk body) and what the sink makes
// of bulk responses (per-item failures, throttling, oversized requests).

/** SHA-256 for @smithy/signature-v4 (the reference signer the runtime's own signer is checked against). */
class Sha256 implements Checksum {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", Buffer.from(secret as Uint8Array));
  }
  update(data: Uint8Array | string): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
  reset(): void {}
}

const CREDS: Credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token-of-the-function-role" };

/** The Authorization header @smithy/signature-v4 computes for the same request, headers and time. */
async function referenceAuthorization(o: { host: string; path: string; body: string; headers: Record<string, string>; service: string; region: string; date: Date; creds: Credentials }): Promise<string> {
  const [hostname, port] = o.host.split(":");
  const signer = new SignatureV4({ service: o.service, region: o.region, credentials: o.creds, sha256: Sha256 });
  const signed = await signer.sign(
    { method: "POST", protocol: "http:", hostname: hostname!, ...(port ? { port: Number(port) } : {}), path: o.path, query: {}, headers: { host: o.host, ...o.headers }, body: o.body },
    { signingDate: o.date },
  );
  return signed.headers.authorization!;
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Reply = { status: number; body: unknown } | ((req: Seen) => { status: number; body: unknown });

let server: Server;
let endpoint: string;
const seen: Seen[] = [];
const replies: Reply[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      seen.push(s);
      const next = replies.shift() ?? allOk;
      const r = typeof next === "function" ? next(s) : next;
      res.writeHead(r.status, { "content-type": "application/json" });
      res.end(typeof r.body === "string" ? r.body : JSON.stringify(r.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.PIPEGEN_OPENSEARCH_TEST = endpoint;
});
afterAll(async () => {
  delete process.env.PIPEGEN_OPENSEARCH_TEST;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  seen.length = 0;
  replies.length = 0;
});

/** The actions of a request body, parsed. */
const actionsOf = (body: string) => {
  const lines = body.split("\n");
  expect(lines.pop()).toBe(""); // NDJSON: every line ends with \n, the body too
  expect(lines.length % 2).toBe(0);
  return Array.from({ length: lines.length / 2 }, (_, i) => ({ action: JSON.parse(lines[2 * i]!), doc: JSON.parse(lines[2 * i + 1]!) }));
};
/** A bulk response for a request: every item 201, except the statuses given by position. */
const bulkReply = (statuses: Record<number, number> = {}) => (req: Seen) => {
  const items = actionsOf(req.body).map((a, i) => {
    const status = statuses[i] ?? 201;
    return { index: { _index: "orders", _id: a.action.index._id, status, ...(status >= 300 ? { error: { type: status === 429 ? "es_rejected_execution_exception" : "mapper_parsing_exception", reason: `failed to parse field [amount] of doc ${i}` } } : {}) } };
  });
  return { status: 200, body: { took: 3, errors: Object.keys(statuses).length > 0, items } };
};
const allOk = bulkReply();

const items = (records: Array<Record<string, unknown>>): SinkItem[] => records.map((record, i) => ({ record, shardId: SHARD, sequenceNumber: seq(i + 1), arrival: 1_718_000_000_000, checkpoint: seq(1) }));
const orders = [
  { order_id: "o1", store: "berlin", amount: 12.5 },
  { order_id: "o2", store: "paris", amount: "lots" },
  { order_id: "o3", store: "paris", amount: 7 },
];
const FIXED = new Date("2024-05-01T12:03:00Z");
const fast = { policy: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 }, sleepFn: async () => {} };
const sink = (o: Partial<OpenSearchSinkOptions> = {}, deps = {}) =>
  opensearchSink({ name: "search", endpointEnv: "PIPEGEN_OPENSEARCH_TEST", service: "es", index: "orders", ...o }, { credentials: async () => CREDS, region: "us-east-1", now: () => FIXED, ...fast, ...deps });

describe("SigV4 signing", () => {
  it("matches @smithy/signature-v4 byte for byte (domain and serverless, with and without a session token)", async () => {
    const body = '{"index":{"_id":"a"}}\n{"x":1}\n';
    for (const [service, region, host, creds] of [
      ["es", "eu-west-1", "search-shop-dev-search-abc123.eu-west-1.es.amazonaws.com", CREDS],
      ["aoss", "us-east-1", "0123456789abcdef.us-east-1.aoss.amazonaws.com", { accessKeyId: "AKID2", secretAccessKey: "secret2" }],
      ["es", "us-east-1", "127.0.0.1:9200", CREDS],
    ] as const) {
      const headers = signRequest({ method: "POST", host, path: "/orders/_bulk", headers: { "content-type": "application/x-ndjson" }, body }, creds, region, service, FIXED);
      const want = await referenceAuthorization({ host, path: "/orders/_bulk", body, headers: { "content-type": "application/x-ndjson" }, service, region, date: FIXED, creds });
      expect(headers.authorization, `${service} ${host}`).toBe(want);
    }
  });

  it("reads the region from AWS endpoints, else falls back to the function's", () => {
    expect(signingRegion("search-x.eu-central-1.es.amazonaws.com", "us-east-1")).toBe("eu-central-1");
    expect(signingRegion("abc.ap-southeast-2.aoss.amazonaws.com", undefined)).toBe("ap-southeast-2");
    expect(signingRegion("127.0.0.1", "us-west-2")).toBe("us-west-2");
    expect(() => signingRegion("127.0.0.1", undefined)).toThrow(/AWS_REGION/);
  });

  it("sends signed bulk bodies over https only, except to loopback test servers", () => {
    expect(endpointUrl("search-x.us-east-1.es.amazonaws.com").href).toBe("https://search-x.us-east-1.es.amazonaws.com/");
    expect(endpointUrl("https://abc.us-east-1.aoss.amazonaws.com").protocol).toBe("https:");
    expect(endpointUrl("http://127.0.0.1:9200").port).toBe("9200");
    expect(() => endpointUrl("http://search-x.us-east-1.es.amazonaws.com")).toThrow(/not https/);
  });
});

describe("opensearchSink against a local HTTP server", () => {
  it("POSTs one signed NDJSON bulk request; the item the response rejects fails alone", async () => {
    replies.push(bulkReply({ 1: 400 }));
    const r = await sink().write(items(orders));
    expect(r.failed).toEqual([seq(2)]);
    expect(seen).toHaveLength(1);
    const req = seen[0]!;
    expect([req.method, req.url, req.headers["content-type"]]).toEqual(["POST", "/orders/_bulk", "application/x-ndjson"]);
    // The shape of a SigV4 header for a domain, with the function role's session token signed too.
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20240501\/us-east-1\/es\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(req.headers["x-amz-date"]).toBe("20240501T120300Z");
    expect(req.headers["x-amz-security-token"]).toBe(CREDS.sessionToken);
    expect(req.headers["x-amz-content-sha256"]).toBe(createHash("sha256").update(req.body).digest("hex"));
    expect(Number(req.headers["content-length"])).toBe(Buffer.byteLength(req.body));
    // What the server received verifies with an independent signer (same headers, same time).
    const signedNames = /SignedHeaders=([^,]+)/.exec(req.headers.authorization!)![1]!.split(";").filter((h) => h !== "host");
    const received = Object.fromEntries(signedNames.filter((h) => !h.startsWith("x-amz-")).map((h) => [h, String(req.headers[h])]));
    expect(req.headers.authorization).toBe(await referenceAuthorization({ host: req.headers.host!, path: req.url, body: req.body, headers: received, service: "es", region: "us-east-1", date: FIXED, creds: CREDS }));
    // The body: one `index` action per record with its deterministic id (no _index: the domain refuses explicit indexes), then the record.
    expect(actionsOf(req.body)).toEqual(orders.map((doc, i) => ({ action: { index: { _id: `${SHARD}:${seq(i + 1)}` } }, doc })));
  });

  it("retries a throttled request (429) with the same body, then succeeds", async () => {
    replies.push({ status: 429, body: { error: { type: "too_many_requests" } } }, allOk);
    const waits: number[] = [];
    const r = await sink({}, { sleepFn: async (ms: number) => void waits.push(ms) }).write(items(orders));
    expect(r.failed).toEqual([]);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.body).toBe(seen[0]!.body);
    expect(waits).toHaveLength(1);
  });

  it("retries only the items the bulk response throttled (429/5xx)", async () => {
    replies.push(bulkReply({ 0: 429, 2: 503 }), allOk);
    const r = await sink().write(items(orders));
    expect(r.failed).toEqual([]);
    expect(actionsOf(seen[1]!.body).map((a) => a.doc.order_id)).toEqual(["o1", "o3"]);
  });

  it("fails the throttled items once the attempts are used up, and only those", async () => {
    for (let i = 0; i < 4; i++) replies.push(bulkReply({ 0: 429 }));
    const r = await sink().write(items(orders.slice(0, 2)));
    expect(r.failed).toEqual([seq(1)]);
    expect(seen).toHaveLength(4);
  });

  it("fails every record of a request the endpoint refuses (403) without retrying it", async () => {
    replies.push({ status: 403, body: { message: "no permissions for [indices:data/write/bulk]" } });
    const r = await sink().write(items(orders));
    expect(r.failed).toEqual([seq(1), seq(2), seq(3)]);
    expect(seen).toHaveLength(1);
  });

  it("splits a request over the endpoint's size limit (413) until the oversized document fails alone", async () => {
    const big = { order_id: "big", store: "x".repeat(5000), amount: 1 };
    const tooLarge = (req: Seen) => (req.body.length > 4000 ? { status: 413, body: "Request Entity Too Large" } : allOk(req));
    for (let i = 0; i < 10; i++) replies.push(tooLarge);
    const r = await sink().write(items([orders[0]!, big, orders[2]!, orders[1]!]));
    expect(r.failed).toEqual([seq(2)]);
    const written = seen.filter((s) => s.body.length <= 4000).flatMap((s) => actionsOf(s.body).map((a) => a.doc.order_id));
    expect(written).toEqual(["o1", "o3", "o2"]);
  });

  it("keeps requests under the byte budget, in order", async () => {
    const r = await sink({}, { maxBulkBytes: 200 }).write(items(orders));
    expect(r.failed).toEqual([]);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.flatMap((s) => actionsOf(s.body).map((a) => a.doc.order_id))).toEqual(["o1", "o2", "o3"]);
  });

  it("with id_field: the field is the _id; a record without it fails before any request", async () => {
    const r = await sink({ idField: "order_id" }).write(items([orders[0]!, { store: "x", amount: 1 }, orders[2]!]));
    expect(r.failed).toEqual([seq(2)]);
    expect(actionsOf(seen[0]!.body).map((a) => a.action)).toEqual([{ index: { _id: "o1" } }, { index: { _id: "o3" } }]);
  });

  it("never writes an older record over a newer one with the same id when retrying", async () => {
    const v1 = { order_id: "o1", store: "berlin", amount: 1 };
    const v2 = { order_id: "o1", store: "berlin", amount: 2 };
    replies.push(bulkReply({ 0: 429 }));
    const r = await sink({ idField: "order_id" }).write(items([v1, v2]));
    // v1 was throttled but v2 (same id, later) was written: the index holds the newest record, nothing is resent.
    expect(r.failed).toEqual([]);
    expect(seen).toHaveLength(1);
  });

  it("time-series collections: no caller-chosen ids, signed for aoss", async () => {
    const r = await sink({ service: "aoss", documentIds: false }).write(items(orders.slice(0, 1)));
    expect(r.failed).toEqual([]);
    expect(actionsOf(seen[0]!.body)[0]!.action).toEqual({ index: {} });
    expect(seen[0]!.headers.authorization).toContain("/us-east-1/aoss/aws4_request");
  });

  it("reads the response per item: statuses, errors, and a response that does not match the request", () => {
    expect(bulkResults(JSON.stringify({ errors: false, items: [{ index: { status: 200 } }, { create: { status: 201 } }] }), 2)).toEqual([{ ok: true }, { ok: true }]);
    expect(bulkResults(JSON.stringify({ errors: true, items: [{ index: { status: 400, error: { type: "mapper_parsing_exception", reason: "bad" } } }] }), 1)).toEqual([
      { ok: false, retryable: false, reason: "400 mapper_parsing_exception: bad" },
    ]);
    expect(bulkResults(JSON.stringify({ items: [] }), 1)).toBeUndefined();
    expect(bulkResults("<html>", 1)).toBeUndefined();
  });

  it("an unreadable 200 response is retried: the ids are deterministic, so resending overwrites", async () => {
    replies.push({ status: 200, body: "<html>gateway</html>" }, allOk);
    const r = await sink().write(items(orders));
    expect(r.failed).toEqual([]);
    expect(seen).toHaveLength(2);
  });

  it("inside a stream handler: the rejected record is the batch item failure, the others are written", async () => {
    replies.push(bulkReply({ 1: 400 }));
    const handler = streamHandler({ contract: { fields: { order_id: "string", store: "string" } }, steps: [], sinks: [sink()] });
    const res = await handler(kinesisEvent(orders));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: seq(2) }]);
    expect(actionsOf(seen[0]!.body)).toHaveLength(3);
  });
});
