/**
 * OpenSearch sink: records are indexed with the `_bulk` API of a managed domain (SigV4 service
 * `es`) or an OpenSearch Serverless collection (`aoss`), over HTTPS, signed with the function's
 * credentials. Every document gets a deterministic `_id` (a record field, or the stream coordinates
 * of the record), so a redelivered batch overwrites what an earlier attempt wrote.
 *
 * The bulk response reports each item: 2xx is written, 429 and 5xx are retried with backoff, any
 * other status fails that record alone (Lambda then retries it and parks it in the dead-letter
 * queue). A throttled or failed request as a whole is retried the same way; a request over the
 * endpoint's size limit (413) is split in halves until the oversized document fails alone.
 */
import { createHash, createHmac } from "node:crypto";
import { request as httpRequest, Agent as HttpAgent } from "node:http";
import { request as httpsRequest, Agent as HttpsAgent } from "node:https";
import type { Sink, SinkItem } from "./types.ts";
import { backoffDelay, DEFAULT_RETRY, sleep, type RetryPolicy } from "./retry.ts";
import { chunkBatches, type Outgoing } from "./batch-publish.ts";
import { requireEnv } from "./env.ts";
import { errorReason, logJson } from "./log.ts";

/** Options of {@link opensearchSink}. */
export interface OpenSearchSinkOptions {
  name: string;
  /** Environment variable holding the endpoint: a domain host name or a collection's https URL. */
  endpointEnv: string;
  /** SigV4 service name: `es` for a domain, `aoss` for a serverless collection. */
  service: "es" | "aoss";
  index: string;
  /** Record field used as the document id; default: the record's shard and sequence number. */
  idField?: string;
  /** false for time-series collections, which reject caller-chosen ids (then a retry may duplicate). */
  documentIds?: boolean;
}

/** A response of the endpoint, as the sink needs it. */
export interface HttpResponse {
  status: number;
  body: string;
}

/** Test seams: credentials, region, transport, retry policy and limits of one's own. */
export interface OpenSearchSinkDeps {
  credentials?: () => Promise<Credentials>;
  /** Clock for the signature date. */
  now?: () => Date;
  region?: string;
  policy?: RetryPolicy;
  sleepFn?: (ms: number) => Promise<void>;
  /** Largest bulk body sent at once. Default 5 MiB (domains accept 10 MiB on the smallest instance types). */
  maxBulkBytes?: number;
  /** Most documents in one bulk request. Default 1000. */
  maxBulkDocuments?: number;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
}

/** The document id when none is configured: the same for a record on every delivery attempt. */
export function documentId(item: Pick<SinkItem, "shardId" | "sequenceNumber">): string {
  return `${item.shardId}:${item.sequenceNumber}`;
}

/** OpenSearch rejects ids over 512 bytes. */
const MAX_ID_BYTES = 512;

/** AWS credentials as the signer needs them. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A request to sign: the headers given are signed, plus the ones SigV4 adds. */
export interface SignableRequest {
  method: string;
  /** Host header value (with the port when it is not the scheme's default). */
  host: string;
  /** Absolute path, already URI-encoded, without a query string. */
  path: string;
  headers: Record<string, string>;
  body: string;
}

const sha256Hex = (data: string): string => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();

/**
 * Signs a request with AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)
 * and returns the headers to send. Written with node:crypto rather than @smithy/signature-v4, which
 * would pull most of @smithy/core (about 370 KB) into every bundle writing to OpenSearch; the tests
 * check it against @smithy/signature-v4 byte for byte. Paths here are `/<index>/_bulk` with an index
 * of `[a-z0-9_-]`, so single and double URI encoding agree.
 */
export function signRequest(req: SignableRequest, creds: Credentials, region: string, service: string, now: Date): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v.trim().replace(/\s+/g, " ");
  headers.host = req.host;
  headers["x-amz-date"] = amzDate;
  // The payload hash header is required by OpenSearch Serverless and harmless for domains.
  headers["x-amz-content-sha256"] = sha256Hex(req.body);
  if (creds.sessionToken) headers["x-amz-security-token"] = creds.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(";");
  const canonical = [req.method, req.path, "", ...names.map((n) => `${n}:${headers[n]}`), "", signedHeaders, headers["x-amz-content-sha256"]].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, day), region), service), "aws4_request");
  const signature = createHmac("sha256", key).update(toSign, "utf8").digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/** The Lambda runtime puts the function role's session credentials in the environment. */
async function envCredentials(): Promise<Credentials> {
  const accessKeyId = requireEnv("AWS_ACCESS_KEY_ID");
  const secretAccessKey = requireEnv("AWS_SECRET_ACCESS_KEY");
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/**
 * The endpoint as a URL. Domains export a bare host name, collections an https URL. Plain http is
 * accepted only for loopback addresses (tests and local emulators): credentials-signed bulk bodies
 * never travel unencrypted to a remote host.
 */
export function endpointUrl(endpoint: string): URL {
  const url = new URL(/^[a-z]+:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`);
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error(`OpenSearch endpoint ${url.origin} is not https`);
  }
  return url;
}

/** The signing region: from an AWS endpoint's host name (`….<region>.es.amazonaws.com`), else the function's region. */
export function signingRegion(host: string, fallback: string | undefined): string {
  const m = /\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:es|aoss)\.amazonaws\.com$/.exec(host);
  const region = m?.[1] ?? fallback;
  if (!region) throw new Error("cannot tell the OpenSearch endpoint's region: AWS_REGION is not set");
  return region;
}

const httpAgent = new HttpAgent({ keepAlive: true });
const httpsAgent = new HttpsAgent({ keepAlive: true });

/** POSTs a body and reads the whole response (bulk responses are small: one status per document). */
function post(url: URL, path: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpResponse> {
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      { protocol: url.protocol, hostname: url.hostname, port: url.port || undefined, path, method: "POST", headers, agent: url.protocol === "https:" ? httpsAgent : httpAgent, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** One document on its way: the bulk action line and source line, and the record it came from. */
interface Entry {
  seq: string;
  /** Position in the batch, so retries never put an older record over a newer one with the same id. */
  pos: number;
  id: string | undefined;
  lines: string;
}

/** Outcome of one bulk item, from the response. */
export type ItemResult = { ok: true } | { ok: false; retryable: boolean; reason: string };

const retryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** Reads a bulk response into one result per entry sent, or undefined when it does not match the request. */
export function bulkResults(body: string, count: number): ItemResult[] | undefined {
  let parsed: { errors?: boolean; items?: Array<Record<string, { status?: number; error?: { type?: string; reason?: string } | string }>> };
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed.items) || parsed.items.length !== count) return undefined;
  return parsed.items.map((item) => {
    const result = Object.values(item ?? {})[0];
    const status = result?.status ?? 0;
    if (status >= 200 && status < 300) return { ok: true };
    const err = result?.error;
    const reason = typeof err === "string" ? err : `${err?.type ?? "error"}: ${err?.reason ?? `status ${status}`}`;
    return { ok: false, retryable: retryableStatus(status), reason: `${status} ${reason}`.slice(0, 200) };
  });
}

/** Indexes records into one index of a domain or collection; returns the records that were not written. */
export function opensearchSink(o: OpenSearchSinkOptions, deps: OpenSearchSinkDeps = {}): Sink {
  const policy = deps.policy ?? DEFAULT_RETRY;
  const wait = deps.sleepFn ?? sleep;
  const timeoutMs = deps.timeoutMs ?? 30_000;
  const path = `/${encodeURIComponent(o.index)}/_bulk`;
  async function send(url: URL, body: string): Promise<HttpResponse> {
    const region = deps.region ?? signingRegion(url.hostname, process.env.AWS_REGION);
    const creds = await (deps.credentials ?? envCredentials)();
    const headers = signRequest({ method: "POST", host: url.host, path, headers: { "content-type": "application/x-ndjson" }, body }, creds, region, o.service, (deps.now ?? (() => new Date()))());
    headers["content-length"] = String(Buffer.byteLength(body, "utf8"));
    return post(url, path, headers, body, timeoutMs);
  }

  /** Sends entries until each is written or has failed for good; returns the sequence numbers that failed. */
  async function sendChunk(url: URL, chunk: Entry[]): Promise<string[]> {
    const failed: string[] = [];
    // Position in the chunk of the latest document written per id, across attempts.
    const latestWritten = new Map<string, number>();
    let pending = chunk;
    for (let attempt = 1; ; attempt++) {
      const body = pending.map((e) => e.lines).join("");
      let results: ItemResult[];
      try {
        const res = await send(url, body);
        if (res.status === 413 && pending.length > 1) {
          // Over the endpoint's request size limit: halves, so only a document too large on its own fails.
          const half = Math.ceil(pending.length / 2);
          logJson("warn", "bulk_split", { sink: o.name, documents: pending.length, bytes: Buffer.byteLength(body, "utf8") });
          return [...failed, ...(await sendChunk(url, pending.slice(0, half))), ...(await sendChunk(url, pending.slice(half)))];
        }
        if (res.status < 200 || res.status >= 300) {
          const reason = `HTTP ${res.status}: ${res.body.replace(/\s+/g, " ").slice(0, 160)}`;
          results = pending.map(() => ({ ok: false, retryable: retryableStatus(res.status), reason }));
        } else {
          // A body that does not list one result per document cannot say which were written; the
          // ids are deterministic, so sending them all again is safe.
          results = bulkResults(res.body, pending.length) ?? pending.map(() => ({ ok: false, retryable: true, reason: "unreadable bulk response" }));
        }
      } catch (err) {
        results = pending.map(() => ({ ok: false, retryable: true, reason: errorReason(err) }));
      }
      pending.forEach((e, i) => {
        if (results[i]!.ok && e.id !== undefined) latestWritten.set(e.id, Math.max(e.pos, latestWritten.get(e.id) ?? -1));
      });
      const again: Entry[] = [];
      let lastReason = "";
      pending.forEach((e, i) => {
        const r = results[i]!;
        if (r.ok) return;
        // Superseded: a later record with the same id is already written, and the index must keep
        // the newer one, so this one is not sent again (it counts as written, like an overwrite).
        if (e.id !== undefined && (latestWritten.get(e.id) ?? -1) > e.pos) return;
        if (r.retryable) {
          again.push(e);
          lastReason = r.reason;
        } else {
          logJson("warn", "record_failed", { sink: o.name, sequenceNumber: e.seq, reason: r.reason });
          failed.push(e.seq);
        }
      });
      if (again.length === 0) return failed;
      if (attempt >= policy.maxAttempts) {
        for (const e of again) logJson("warn", "record_failed", { sink: o.name, sequenceNumber: e.seq, reason: `retries exhausted after ${attempt} attempts: ${lastReason}` });
        return [...failed, ...again.map((e) => e.seq)];
      }
      await wait(backoffDelay(attempt, policy));
      pending = again;
    }
  }

  return {
    name: o.name,
    async write(items) {
      const failed: string[] = [];
      const out: Outgoing<Entry>[] = [];
      for (const it of items) {
        let id: string | undefined;
        if (o.documentIds !== false) {
          if (o.idField === undefined) id = documentId(it);
          else {
            const v = it.record[o.idField];
            if ((typeof v === "string" && v !== "") || (typeof v === "number" && Number.isFinite(v))) id = String(v);
            else {
              logJson("warn", "record_failed", { sink: o.name, sequenceNumber: it.sequenceNumber, reason: `id field '${o.idField}' is missing or not a string/number` });
              failed.push(it.sequenceNumber);
              continue;
            }
          }
          if (Buffer.byteLength(id, "utf8") > MAX_ID_BYTES) {
            logJson("warn", "record_failed", { sink: o.name, sequenceNumber: it.sequenceNumber, reason: `document id is longer than ${MAX_ID_BYTES} bytes` });
            failed.push(it.sequenceNumber);
            continue;
          }
        }
        // No `_index` in the action: the domain refuses explicit indexes (its access policy names one index path).
        const lines = `${JSON.stringify({ index: id === undefined ? {} : { _id: id } })}\n${JSON.stringify(it.record)}\n`;
        out.push({ id: it.sequenceNumber, entry: { seq: it.sequenceNumber, pos: out.length, id, lines }, bytes: Buffer.byteLength(lines, "utf8") });
      }
      if (out.length === 0) return { failed };
      const url = endpointUrl(requireEnv(o.endpointEnv));
      // Chunks go one after the other: a later record with the same id must land after the earlier one.
      for (const chunk of chunkBatches(out, deps.maxBulkDocuments ?? 1000, deps.maxBulkBytes ?? 5 * 1024 * 1024)) {
        failed.push(...(await sendChunk(url, chunk.map((c) => c.entry))));
      }
      return { failed };
    },
  };
}
