/**
 * An in-process fake of the five AWS operations the handler runtime's sinks and API use:
 * S3 PutObject, DynamoDB BatchWriteItem, PutItem, Query and Scan. `pipegen test` points
 * AWS_ENDPOINT_URL at it, so the bundled handlers run unchanged and their SDK clients talk HTTP
 * to 127.0.0.1. It checks what DynamoDB and S3 would reject (unknown tables and buckets, missing
 * or mistyped keys, more than 25 puts or duplicate keys in one BatchWriteItem, items over 400 KB)
 * and answers anything else with an error that names the operation, so a handler using an
 * operation the fake lacks fails loudly instead of passing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AttributeValue, RawItem } from "./ddb-json.ts";
import { compareAttr, fromItem } from "./ddb-json.ts";
import { compileCondition, ExpressionError, projectionNames } from "./ddb-expr.ts";

/** Key schema of a fake table; `S` for string and timestamp keys, `N` for numbers. */
export interface FakeTable {
  name: string;
  partitionKey: { name: string; type: "S" | "N" };
  sortKey?: { name: string; type: "S" | "N" };
}

/** One stored S3 object. */
export interface FakeObject {
  key: string;
  body: string;
}

class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_ITEM_BYTES = 400 * 1024;
const DDB_PREFIX = "DynamoDB_20120810.";

/** The fake: start() it, define the tables and buckets a pipeline uses, read what handlers wrote. */
export class FakeAws {
  private server: Server | undefined;
  private readonly tables = new Map<string, { def: FakeTable; items: Map<string, RawItem> }>();
  private readonly buckets = new Map<string, Map<string, string>>();
  /** Successful write requests so far (PutObject, PutItem, BatchWriteItem), to attribute writes to invocations. */
  writes = 0;
  endpoint = "";

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "127.0.0.1", port: 0 }, () => resolve());
    });
    this.server = server;
    const addr = server.address();
    if (addr === null || typeof addr === "string") throw new Error("fake AWS server has no port");
    this.endpoint = `http://127.0.0.1:${addr.port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  defineTable(def: FakeTable): void {
    this.tables.set(def.name, { def, items: new Map() });
  }

  defineBucket(name: string): void {
    this.buckets.set(name, new Map());
  }

  /** Empties every table and bucket (definitions stay). */
  reset(): void {
    for (const t of this.tables.values()) t.items.clear();
    for (const b of this.buckets.values()) b.clear();
    this.writes = 0;
  }

  /** Items of a table as plain objects, in key order. */
  items(table: string): Record<string, unknown>[] {
    const t = this.tables.get(table);
    if (!t) return [];
    return sortItems([...t.items.values()], t.def).map(fromItem);
  }

  /** Objects of a bucket, in key order. */
  objects(bucket: string): FakeObject[] {
    const b = this.buckets.get(bucket);
    if (!b) return [];
    return [...b.entries()].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0)).map(([key, body]) => ({ key, body }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const target = req.headers["x-amz-target"];
    try {
      if (typeof target === "string" && target.startsWith(DDB_PREFIX)) {
        const out = this.dynamo(target.slice(DDB_PREFIX.length), JSON.parse(body || "{}") as Record<string, any>);
        res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify(out));
        return;
      }
      if (typeof target === "string" || /(^|&)Action=/.test(body)) {
        const op = typeof target === "string" ? target : `${/(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1] ?? "?"} (query protocol)`;
        throw new AwsError(501, "NotImplemented", `pipegen's in-process fake implements S3 PutObject and DynamoDB BatchWriteItem, PutItem, Query, Scan; got ${op}`);
      }
      this.s3(req.method ?? "GET", req.url ?? "/", body);
      res.writeHead(200, { etag: '"fake"' });
      res.end();
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError(500, "InternalFailure", (err as Error).message);
      if (typeof target === "string") {
        res.writeHead(e.status, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${e.code}`, message: e.message }));
      } else {
        res.writeHead(e.status, { "content-type": "application/xml" });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message></Error>`);
      }
    }
  }

  private s3(method: string, url: string, body: string): void {
    const u = new URL(url, "http://fake");
    const [bucket, ...rest] = u.pathname.slice(1).split("/");
    const key = rest.map(decodeURIComponent).join("/");
    const op = u.searchParams.get("x-id") ?? `${method} ${u.pathname}`;
    if (method !== "PUT" || !bucket || !key || (u.searchParams.has("x-id") && op !== "PutObject")) {
      throw new AwsError(501, "NotImplemented", `pipegen's in-process fake implements S3 PutObject only (and DynamoDB BatchWriteItem, PutItem, Query, Scan); got ${op}`);
    }
    const b = this.buckets.get(decodeURIComponent(bucket));
    if (!b) throw new AwsError(404, "NoSuchBucket", `The specified bucket does not exist: ${bucket}`);
    b.set(key, body);
    this.writes++;
  }

  private dynamo(op: string, input: Record<string, any>): unknown {
    switch (op) {
      case "PutItem": {
        const t = this.table(input.TableName);
        this.put(t, input.Item as RawItem);
        this.writes++;
        return {};
      }
      case "BatchWriteItem": {
        const requests = Object.entries((input.RequestItems ?? {}) as Record<string, Array<{ PutRequest?: { Item: RawItem }; DeleteRequest?: unknown }>>);
        const total = requests.reduce((n, [, rs]) => n + rs.length, 0);
        if (total > 25) throw new AwsError(400, "ValidationException", "Too many items requested for the BatchWriteItem call");
        // Validate the whole request first: DynamoDB rejects it as a whole.
        for (const [name, rs] of requests) {
          const t = this.table(name);
          const seen = new Set<string>();
          for (const r of rs) {
            if (!r.PutRequest) throw new AwsError(501, "NotImplemented", "pipegen's in-process fake implements PutRequest only in BatchWriteItem");
            const k = this.keyOf(t.def, r.PutRequest.Item);
            if (seen.has(k)) throw new AwsError(400, "ValidationException", "Provided list of item keys contains duplicates");
            seen.add(k);
          }
        }
        for (const [name, rs] of requests) for (const r of rs) this.put(this.table(name), r.PutRequest!.Item);
        this.writes++;
        return { UnprocessedItems: {} };
      }
      case "Query":
      case "Scan": {
        const t = this.table(input.TableName);
        const ctx = { names: (input.ExpressionAttributeNames ?? {}) as Record<string, string>, values: (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue> };
        try {
          let items = sortItems([...t.items.values()], t.def);
          if (op === "Query") {
            if (typeof input.KeyConditionExpression !== "string") throw new AwsError(400, "ValidationException", "Query needs a KeyConditionExpression");
            const key = compileCondition(input.KeyConditionExpression, ctx);
            items = items.filter(key);
            if (input.ScanIndexForward === false) items.reverse();
          }
          const scanned = items.length;
          if (typeof input.FilterExpression === "string") items = items.filter(compileCondition(input.FilterExpression, ctx));
          if (typeof input.ProjectionExpression === "string") {
            const names = projectionNames(input.ProjectionExpression, ctx.names);
            items = items.map((it) => Object.fromEntries(names.filter((n) => it[n] !== undefined).map((n) => [n, it[n]!])));
          }
          return { Items: items, Count: items.length, ScannedCount: scanned };
        } catch (err) {
          if (err instanceof ExpressionError) throw new AwsError(400, "ValidationException", err.message);
          throw err;
        }
      }
      default:
        throw new AwsError(400, "UnknownOperationException", `pipegen's in-process fake implements DynamoDB BatchWriteItem, PutItem, Query and Scan (and S3 PutObject); got ${op}`);
    }
  }

  private table(name: unknown): { def: FakeTable; items: Map<string, RawItem> } {
    const t = this.tables.get(String(name));
    if (!t) throw new AwsError(400, "ResourceNotFoundException", `Requested resource not found: Table: ${String(name)} not found`);
    return t;
  }

  private keyOf(def: FakeTable, item: RawItem): string {
    const parts: string[] = [];
    for (const k of [def.partitionKey, ...(def.sortKey ? [def.sortKey] : [])]) {
      const v = item[k.name];
      if (v === undefined) throw new AwsError(400, "ValidationException", `One or more parameter values were invalid: Missing the key ${k.name} in the item`);
      if (!(k.type in v)) throw new AwsError(400, "ValidationException", `One or more parameter values were invalid: Type mismatch for key ${k.name} expected: ${k.type} actual: ${Object.keys(v)[0]}`);
      const raw = (v as Record<string, string>)[k.type]!;
      if (raw === "") throw new AwsError(400, "ValidationException", `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${k.name}`);
      parts.push(raw);
    }
    return JSON.stringify(parts);
  }

  private put(t: { def: FakeTable; items: Map<string, RawItem> }, item: RawItem): void {
    const key = this.keyOf(t.def, item);
    if (Buffer.byteLength(JSON.stringify(item)) > MAX_ITEM_BYTES) throw new AwsError(400, "ValidationException", "Item size has exceeded the maximum allowed size");
    t.items.set(key, item);
  }
}

function sortItems(items: RawItem[], def: FakeTable): RawItem[] {
  return items.sort((a, b) => {
    const p = compareAttr(a[def.partitionKey.name]!, b[def.partitionKey.name]!);
    if (p !== 0 || !def.sortKey) return p;
    return compareAttr(a[def.sortKey.name]!, b[def.sortKey.name]!);
  });
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
