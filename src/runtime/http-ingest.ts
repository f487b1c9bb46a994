/** HTTP ingest endpoint (API Gateway HTTP API, payload 2.0): validated records into a Kinesis stream. */
import type { PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";
import type { ApiGatewayV2Event, ApiGatewayV2Result } from "./events.ts";
import type { Contract, Rec } from "./types.ts";
import { contractViolation } from "./contract.ts";
import { kinesisClient } from "./clients.ts";
import { requireEnv } from "./env.ts";
import { errorReason, logJson } from "./log.ts";
import type { KinesisSender } from "./kinesis-put.ts";
import { backoffDelay, DEFAULT_RETRY, sleep, type RetryPolicy } from "./retry.ts";

/** Options of {@link httpIngestHandler}. */
export interface HttpIngestOptions {
  contract: Contract;
  /** Environment variable holding the stream name. */
  streamEnv: string;
  /** Contract field whose value is the partition key (records of one key stay ordered on one shard). */
  partitionKeyField: string;
  /** Records accepted per request (at most 500, one PutRecords call). */
  maxRecords: number;
}

/** Dependencies a test can replace. */
export interface HttpIngestDeps {
  kinesis?: KinesisSender;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
}

// Limits are literals: esbuild keeps computed module-level constants in every bundle that imports the runtime.
/** Largest request body: a PutRecords call carries at most 5 MiB. */
export const MAX_BODY_BYTES = 5242880;
/** Largest record: a Kinesis record (data plus partition key) is at most 1 MiB. */
export const MAX_RECORD_BYTES = 1048576;
/** Kinesis partition keys are 1 to 256 characters. */
const MAX_PARTITION_KEY = 256;

/** One rejected or unwritten record of a request, by its position in the request. */
export interface RecordProblem {
  index: number;
  reason: string;
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiGatewayV2Result => ({
  statusCode,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** The records of a body: one record object, an array of them, or `{ "records": [...] }`. */
export function recordsOf(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (typeof body === "object" && body !== null) {
    const records = (body as Record<string, unknown>).records;
    return Array.isArray(records) && Object.keys(body).length === 1 ? records : [body];
  }
  return undefined;
}

/** The partition key of a record that met the contract: the field's value, bounded to what Kinesis accepts. */
export function partitionKeyOf(record: Rec, field: string): string {
  const key = String(record[field] ?? "");
  return key === "" ? "-" : key.slice(0, MAX_PARTITION_KEY);
}

/**
 * Handler of `POST <path>`. The whole request is validated first and rejected with 400 (listing
 * every invalid record by index and reason) if any record is invalid, so a client fixes and resends
 * one request and nothing is half-accepted. Valid requests are written with PutRecords; entries
 * Kinesis rejects (throttling) are retried with backoff. Answers: 200 `{ accepted }` when all are
 * written; 207 `{ accepted, failed: [{ index, reason }] }` when some are not, so the client resends
 * only those (a resent record would otherwise be stored twice); 503 when none are; 413 when the
 * body or the record count is over the limit; 415 for a non-JSON content type.
 */
export function httpIngestHandler(o: HttpIngestOptions, deps: HttpIngestDeps = {}): (event: ApiGatewayV2Event) => Promise<ApiGatewayV2Result> {
  return async (event) => {
    const method = event.requestContext?.http?.method ?? "POST";
    if (method !== "POST") return json(405, { error: `method ${method} is not allowed; send records with POST` }, { allow: "POST" });
    const type = event.headers?.["content-type"] ?? event.headers?.["Content-Type"];
    if (type !== undefined && !/\bjson\b/i.test(type)) return json(415, { error: `content type ${JSON.stringify(type.slice(0, 100))} is not JSON; send application/json` });
    const raw = event.body === undefined ? "" : event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
    const bytes = Buffer.byteLength(raw, "utf8");
    if (bytes > MAX_BODY_BYTES) return json(413, { error: `body is ${bytes} bytes, over the limit of ${MAX_BODY_BYTES}; split the records into several requests` });
    if (raw.trim() === "") return json(400, { error: "body is empty; send a record object, an array of records or {\"records\": [...]}" });
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      // The parser's message quotes the input; keep it out of the answer and the logs.
      return json(400, { error: "body is not valid JSON" });
    }
    const records = recordsOf(body);
    if (!records) return json(400, { error: "body must be a record object, an array of records or {\"records\": [...]}" });
    if (records.length === 0) return json(400, { error: "no records in the body" });
    if (records.length > o.maxRecords) return json(413, { error: `${records.length} records in one request, over the limit of ${o.maxRecords}; split them into several requests` });

    const rejected: RecordProblem[] = [];
    const entries: PutRecordsRequestEntry[] = [];
    records.forEach((r, index) => {
      const violation = contractViolation(o.contract, r);
      if (violation !== null) return void rejected.push({ index, reason: violation });
      const data = Buffer.from(JSON.stringify(r), "utf8");
      const key = partitionKeyOf(r as Rec, o.partitionKeyField);
      if (data.length + Buffer.byteLength(key, "utf8") > MAX_RECORD_BYTES) return void rejected.push({ index, reason: `record is ${data.length} bytes, over the Kinesis limit of ${MAX_RECORD_BYTES}` });
      entries.push({ Data: data, PartitionKey: key });
    });
    if (rejected.length) {
      logJson("warn", "ingest_rejected", { received: records.length, rejected: rejected.length, reasons: [...new Set(rejected.map((p) => p.reason))].slice(0, 10) });
      return json(400, { error: `${rejected.length} of ${records.length} records are invalid; nothing was written`, rejected });
    }

    const failed = await putTracked(deps.kinesis ?? kinesisClient(), requireEnv(o.streamEnv), entries, deps.retry ?? DEFAULT_RETRY, deps.sleep ?? sleep);
    const accepted = entries.length - failed.length;
    logJson(failed.length ? "error" : "info", "ingest_summary", { received: records.length, accepted, failed: failed.length });
    if (failed.length === 0) return json(200, { accepted });
    if (accepted === 0) return json(503, { error: "no record could be written to the stream; retry the request", accepted, failed }, { "retry-after": "1" });
    return json(207, { error: `${failed.length} of ${entries.length} records could not be written; resend only those`, accepted, failed });
  };
}

/**
 * PutRecords with retry of only the failed entries, like putRecordsWithRetry, but reporting which
 * request entries never succeeded instead of throwing: the caller answers per record. A call that
 * throws (throttled, unreachable) counts as failing every entry it carried.
 */
async function putTracked(client: KinesisSender, stream: string, entries: PutRecordsRequestEntry[], policy: RetryPolicy, sleepFn: (ms: number) => Promise<void>): Promise<RecordProblem[]> {
  // Imported here, not at the top: a static import of an external package stays in every bundle.
  const { PutRecordsCommand } = await import("@aws-sdk/client-kinesis");
  let pending = entries.map((entry, index) => ({ entry, index, reason: "" }));
  for (let attempt = 1; pending.length; attempt++) {
    try {
      const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records: pending.map((p) => p.entry) }));
      // Result entries are positional: the n-th result belongs to the n-th request entry.
      const results = out.Records ?? [];
      pending = pending.flatMap((p, n) => (results[n]?.ErrorCode ? [{ ...p, reason: results[n]!.ErrorCode! }] : []));
    } catch (err) {
      const reason = errorReason(err);
      pending = pending.map((p) => ({ ...p, reason }));
    }
    if (!pending.length) break;
    if (attempt >= policy.maxAttempts) break;
    logJson("warn", "put_records_partial_failure", { failed: pending.length, attempt, errorCodes: [...new Set(pending.map((p) => p.reason))] });
    await sleepFn(backoffDelay(attempt, policy));
  }
  return pending.map((p) => ({ index: p.index, reason: p.reason }));
}
