/**
 * Handler for S3 event notifications of an events-mode s3 source. S3 invokes the function
 * asynchronously, once per created object: the object is read as a stream of JSON lines or CSV
 * rows, each line is checked against the contract, run through the compiled steps and written to
 * the sinks in chunks, so large objects never sit in memory whole.
 *
 * Nothing is lost silently:
 * - a bad line (unparseable, violating the contract, or failing a step) is logged without its
 *   content, counted, and listed (line number and reason) in one message per object parked in the
 *   function's dead-letter queue; retrying would fail it the same way;
 * - a failed sink write makes the invocation throw once the whole object is read, so Lambda
 *   retries the event and finally parks it in the dead-letter queue (dead_letter_config);
 * - retries do not duplicate: every line gets the identity of its object version (bucket, key,
 *   versionId or ETag) and its line number, and each chunk the line number it starts at, so the
 *   sinks' idempotent writes (S3 keys by shard and checkpoint, DynamoDB by key, SNS record ids)
 *   overwrite what a previous delivery of the same event wrote.
 */
import { createHash } from "node:crypto";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Contract, FieldType, Rec, Sink, SinkItem, Step } from "./types.ts";
import type { Prepared } from "./prepare.ts";
import { contractViolation } from "./contract.ts";
import { runSteps } from "./steps.ts";
import { writeAll } from "./fanout.ts";
import { s3Client } from "./clients.ts";
import { requireEnv } from "./env.ts";
import { errorReason, logJson } from "./log.ts";
import { normalizePrefix } from "./partition.ts";

/** One record of an S3 event notification (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html). */
export interface S3EventRecord {
  eventVersion?: string;
  eventSource?: string;
  awsRegion?: string;
  /** ISO-8601 time S3 finished the request, e.g. `2024-06-10T06:01:00.000Z`. */
  eventTime: string;
  /** `ObjectCreated:Put`, `ObjectCreated:CompleteMultipartUpload`, … */
  eventName: string;
  s3: {
    s3SchemaVersion?: string;
    configurationId?: string;
    bucket: { name: string; arn?: string };
    /** `key` is URL-encoded, spaces as `+`. */
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer?: string };
  };
}

/** An S3 event notification as Lambda receives it (S3's test event has no `Records`). */
export interface S3Event {
  Records?: S3EventRecord[];
}

/** Trigger options the s3 source kind compiles into the handler. */
export interface S3ObjectOptions {
  /** Source component id, for logs and parked messages. */
  name: string;
  /** Environment variable holding the landing bucket's name; events of any other bucket are parked. */
  bucketEnv: string;
  /** Environment variable holding the dead-letter queue URL bad lines are parked in. */
  dlqEnv: string;
  /** Landing prefix; objects outside it are parked. */
  prefix: string;
  format: "csv" | "jsonl";
}

/** Options of {@link s3ObjectHandler}, as generated handlers pass them. */
export interface S3ObjectHandlerOptions {
  contract: Contract;
  options: S3ObjectOptions;
  steps: Step[];
  sinks: Sink[];
}

/** Test seams: how objects are read and messages parked (default: the S3 and SQS clients). */
export interface S3ObjectDeps {
  open?(bucket: string, key: string, versionId: string | undefined): Promise<AsyncIterable<Uint8Array | string>>;
  park?(queueUrl: string, body: string): Promise<void>;
}

/** What one invocation did, summed over its objects (also logged per object). */
export interface S3ObjectResult {
  objects: number;
  lines: number;
  written: number;
  filtered: number;
  failed: number;
}

/** Lines written per sink call; chunk boundaries depend only on the object, so a redelivery forms the same chunks. */
export const CHUNK_LINES = 1000;
/** Bad lines listed (line number and reason) in the parked message of one object; all are counted. */
export const MAX_PARKED_LINES = 500;
/** Bad lines logged one by one per object before only the count is logged. */
const MAX_LOGGED_LINES = 100;

/** Line numbers as sequence numbers: fixed width, so they sort as text (the S3 sink names objects by them). */
export function lineId(line: number): string {
  return String(line).padStart(10, "0");
}

/**
 * The `shardId` of every line of one object version: a digest of bucket, key and versionId (or the
 * ETag when the bucket is unversioned). Key-safe, since sinks put it into object keys.
 */
export function objectIdentity(bucket: string, key: string, version: string | undefined): string {
  return `object-${createHash("sha256").update(`${bucket}\n${key}\n${version ?? ""}`).digest("hex").slice(0, 24)}`;
}

/** S3 URL-encodes keys in events, with `+` for spaces. */
export function decodeKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, "%20"));
}

/** One data line (JSON lines) or row (CSV) of an object, by the line it starts on, with its value or why it is bad. */
export type ParsedLine = { line: number; value: Rec } | { line: number; error: string };

/** The error thrown when a whole object cannot be read as the format (e.g. a CSV header without a contract field). */
const OBJECT_FORMAT_ERROR = "ObjectFormatError";

function objectFormatError(message: string): Error {
  const e = new Error(message);
  e.name = OBJECT_FORMAT_ERROR;
  return e;
}

async function* text(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let first = true;
  for await (const chunk of chunks) {
    let s = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    // TextDecoder drops a UTF-8 byte order mark; string chunks keep it.
    if (first && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    if (s) first = false;
    yield s;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** JSON lines: one object per line; blank lines are skipped. */
export async function* jsonLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<ParsedLine> {
  let carry = "";
  let line = 0;
  const parse = (raw: string): ParsedLine | undefined => {
    line++;
    const s = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (s.trim() === "") return undefined;
    try {
      const value = JSON.parse(s) as unknown;
      if (typeof value !== "object" || value === null || Array.isArray(value)) return { line, error: "line is not a JSON object" };
      return { line, value: value as Rec };
    } catch {
      // V8's SyntaxError message quotes the input, so the reason deliberately omits it.
      return { line, error: "invalid JSON" };
    }
  };
  for await (const s of text(chunks)) {
    const parts = (carry + s).split("\n");
    carry = parts.pop()!;
    for (const raw of parts) {
      const p = parse(raw);
      if (p) yield p;
    }
  }
  if (carry !== "") {
    const p = parse(carry);
    if (p) yield p;
  }
}

/** Raw CSV rows (RFC 4180: `"` quotes values, `""` is a quote, quoted values may span lines), by starting line. */
export async function* csvRows(chunks: AsyncIterable<Uint8Array | string>, delimiter = ","): AsyncGenerator<{ line: number; fields: string[] } | { line: number; error: string }> {
  let fields: string[] = [];
  let field = "";
  // field: reading an unquoted value; quoted: inside quotes; quote: a quote inside quotes (closing, or the first of `""`); after: past a closing quote.
  let state: "field" | "quoted" | "quote" | "after" = "field";
  let line = 1;
  let start = 1;
  let touched = false;
  const endRow = () => {
    fields.push(field);
    const row = { line: start, fields };
    const blank = !touched && fields.length === 1 && fields[0] === "";
    fields = [];
    field = "";
    state = "field";
    touched = false;
    return blank ? undefined : row;
  };
  for await (const s of text(chunks)) {
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (state === "quote") {
        if (c === '"') {
          field += '"';
          state = "quoted";
          continue;
        }
        state = "after";
      }
      if (state === "quoted") {
        if (c === '"') state = "quote";
        else {
          if (c === "\n") line++;
          field += c;
        }
        continue;
      }
      if (c === "\n") {
        const row = endRow();
        line++;
        start = line;
        if (row) yield row;
      } else if (c === "\r") {
        // Part of a CRLF line break (or a stray CR): never data outside quotes.
      } else if (c === delimiter) {
        fields.push(field);
        field = "";
        state = "field";
        touched = true;
      } else if (c === '"' && state === "field" && field === "") {
        state = "quoted";
        touched = true;
      } else if (state === "field") {
        field += c;
      }
      // Text between a closing quote and the next delimiter is not part of any value (RFC 4180 allows none).
    }
  }
  if (state === "quoted") {
    yield { line: start, error: "unterminated quoted value" };
    return;
  }
  if (touched || field !== "" || fields.length) {
    const row = endRow();
    if (row) yield row;
  }
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A CSV value typed by the contract field it fills; a value of the wrong shape stays a string and fails the contract. */
function typedValue(type: FieldType | undefined, raw: string): unknown {
  if (type === undefined || type === "string") return raw;
  const v = raw.trim();
  // An empty cell of a number, boolean or timestamp field is a missing value.
  if (v === "") return undefined;
  if (type === "number") return NUMBER.test(v) ? Number(v) : v;
  if (type === "boolean") return /^(true|false)$/i.test(v) ? v.toLowerCase() === "true" : v;
  return v;
}

/** CSV with a header row naming the fields; values are typed by the contract (numbers, `true`/`false`, timestamps). */
export async function* csvLines(chunks: AsyncIterable<Uint8Array | string>, contract: Contract, delimiter = ","): AsyncGenerator<ParsedLine> {
  let header: string[] | undefined;
  for await (const row of csvRows(chunks, delimiter)) {
    if ("error" in row) {
      yield row;
      continue;
    }
    if (!header) {
      header = row.fields.map((f) => f.trim());
      const name = (f: string) => `'${f.slice(0, 64)}'`;
      const empty = header.findIndex((f) => f === "");
      if (empty >= 0) throw objectFormatError(`header column ${empty + 1} has no name`);
      const dup = header.find((f, i) => header!.indexOf(f) !== i);
      if (dup !== undefined) throw objectFormatError(`header names column ${name(dup)} twice`);
      const missing = Object.keys(contract.fields).filter((f) => !header!.includes(f));
      if (missing.length) throw objectFormatError(`header lacks contract field${missing.length > 1 ? "s" : ""} ${missing.map(name).join(", ")}`);
      continue;
    }
    if (row.fields.length !== header.length) {
      yield { line: row.line, error: `row has ${row.fields.length} values, the header has ${header.length}` };
      continue;
    }
    const value: Rec = {};
    header.forEach((h, i) => {
      const v = typedValue(contract.fields[h], row.fields[i]!);
      if (v !== undefined) value[h] = v;
    });
    yield { line: row.line, value };
  }
}

/** Contract check and steps for one parsed value, with the same three outcomes as a stream record (prepare.ts); never throws. */
async function prepareValue(value: Rec, contract: Contract, steps: readonly Step[]): Promise<Prepared> {
  const violation = contractViolation(contract, value);
  if (violation !== null) return { kind: "failed", reason: violation };
  try {
    const out = await runSteps(steps, value);
    return out === null ? { kind: "filtered" } : { kind: "kept", record: out };
  } catch (err) {
    return { kind: "failed", reason: `step threw ${errorReason(err)}` };
  }
}

let sqs: SQSClient | undefined;

const defaultDeps: Required<S3ObjectDeps> = {
  async open(bucket, key, versionId) {
    const out = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
    if (!out.Body) throw new Error("GetObject returned no body");
    // In Node the body is a Readable, which is an async iterable of Buffers.
    return out.Body as unknown as AsyncIterable<Uint8Array>;
  },
  async park(queueUrl, body) {
    // Imported on first use: esbuild keeps static imports of external packages in every bundle.
    const m = await import("@aws-sdk/client-sqs");
    sqs ??= new m.SQSClient({});
    await sqs.send(new m.SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  },
};

/**
 * Builds the handler of a function consuming an events-mode s3 source. It throws (so Lambda
 * retries the event, then parks it) only when a sink write or parking failed; the sinks' writes
 * of a redelivered event overwrite the first delivery's.
 */
export function s3ObjectHandler(o: S3ObjectHandlerOptions, deps: S3ObjectDeps = {}): (event: S3Event) => Promise<S3ObjectResult> {
  const open = deps.open ?? defaultDeps.open;
  const park = deps.park ?? defaultDeps.park;
  const opt = o.options;
  const prefix = normalizePrefix(opt.prefix);
  return async (event) => {
    const total: S3ObjectResult = { objects: 0, lines: 0, written: 0, filtered: 0, failed: 0 };
    const problems: string[] = [];
    for (const r of event.Records ?? []) {
      if (!r.eventName?.startsWith("ObjectCreated")) {
        logJson("info", "event_ignored", { source: opt.name, eventName: r.eventName });
        continue;
      }
      total.objects++;
      const bucket = r.s3.bucket.name;
      const key = decodeKey(r.s3.object.key);
      const where = { source: opt.name, bucket, key, ...(r.s3.object.versionId ? { versionId: r.s3.object.versionId } : {}) };
      const parkMessage = async (body: Record<string, unknown>) => {
        try {
          await park(requireEnv(opt.dlqEnv), JSON.stringify({ ...where, ...(r.s3.object.eTag ? { eTag: r.s3.object.eTag } : {}), ...body }));
          return true;
        } catch (err) {
          logJson("error", "park_failed", { ...where, reason: errorReason(err) });
          problems.push(`s3://${bucket}/${key}: parking failed`);
          return false;
        }
      };
      // The permission and the notification filter make both impossible; if they happen, park the event for a human.
      const ownBucket = bucket === requireEnv(opt.bucketEnv);
      if (!ownBucket || !key.startsWith(prefix)) {
        const reason = ownBucket ? `object key is outside the landing prefix ${prefix}` : "object is not in the source's landing bucket";
        logJson("error", "object_failed", { ...where, reason });
        await parkMessage({ error: reason });
        continue;
      }
      const shardId = objectIdentity(bucket, key, r.s3.object.versionId ?? r.s3.object.eTag);
      const parsedArrival = Date.parse(r.eventTime);
      const arrival = Number.isNaN(parsedArrival) ? Date.now() : parsedArrival;
      const bad: Array<{ line: number; reason: string }> = [];
      let lines = 0;
      let written = 0;
      let filtered = 0;
      let badCount = 0;
      let sinkFailed = 0;
      let items: SinkItem[] = [];
      let chunkStart: string | undefined;
      let inChunk = 0;
      const flush = async () => {
        if (items.length) {
          const failed = await writeAll(o.sinks, items);
          sinkFailed += failed.size;
          written += items.length - failed.size;
        }
        items = [];
        chunkStart = undefined;
        inChunk = 0;
      };
      try {
        const stream = await open(bucket, key, r.s3.object.versionId);
        const parsed = opt.format === "csv" ? csvLines(stream, o.contract) : jsonLines(stream);
        for await (const p of parsed) {
          lines++;
          chunkStart ??= lineId(p.line);
          const prepared: Prepared = "error" in p ? { kind: "failed", reason: p.error } : await prepareValue(p.value, o.contract, o.steps);
          if (prepared.kind === "failed") {
            badCount++;
            if (badCount <= MAX_LOGGED_LINES) logJson("warn", "record_failed", { source: opt.name, key, line: p.line, reason: prepared.reason });
            if (bad.length < MAX_PARKED_LINES) bad.push({ line: p.line, reason: prepared.reason });
          } else if (prepared.kind === "filtered") {
            filtered++;
          } else {
            items.push({ record: prepared.record, shardId, sequenceNumber: lineId(p.line), arrival, checkpoint: chunkStart });
          }
          if (++inChunk === CHUNK_LINES) await flush();
        }
        await flush();
      } catch (err) {
        if (err instanceof Error && err.name === OBJECT_FORMAT_ERROR) {
          // The whole object is unreadable as this format: retrying cannot help, so it is parked once.
          logJson("error", "object_failed", { ...where, reason: err.message });
          await parkMessage({ error: err.message });
          continue;
        }
        // Reading the object failed: Lambda retries the event, then parks it.
        logJson("error", "object_read_failed", { ...where, reason: errorReason(err) });
        problems.push(`s3://${bucket}/${key}: ${errorReason(err)}`);
        continue;
      }
      if (badCount > MAX_LOGGED_LINES) logJson("warn", "record_failed_more", { source: opt.name, key, notLogged: badCount - MAX_LOGGED_LINES });
      // With failed writes the event is retried and the object read again: its bad lines are parked then.
      if (sinkFailed > 0) problems.push(`s3://${bucket}/${key}: ${sinkFailed} records were not written`);
      else if (badCount > 0) await parkMessage({ error: "bad lines", badLines: badCount, lines: bad, truncated: badCount > bad.length });
      logJson("info", "object_summary", { ...where, lines, written, filtered, failed: badCount, sinkFailed });
      total.lines += lines;
      total.written += written;
      total.filtered += filtered;
      total.failed += badCount + sinkFailed;
    }
    if (problems.length) {
      throw new Error(`not every object was processed (${problems.join("; ").slice(0, 300)}); Lambda retries the event, then parks it in the dead-letter queue`);
    }
    return total;
  };
}
