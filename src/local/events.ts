/** Lambda event payloads as the AWS services deliver them: Kinesis batches (plain and tumbling-window) and API Gateway HTTP API v2 requests. */
import { randomUUID } from "node:crypto";
import type { ApiGatewayV2Event, KinesisEvent, KinesisTumblingWindowEvent } from "../runtime/events.ts";

/** One record as read from a shard. */
export interface ShardRecord {
  data: Buffer;
  partitionKey: string;
  sequenceNumber: string;
  /** Arrival time in ms since the epoch. */
  arrivalMs: number;
}

/** Where a batch comes from. */
export interface BatchSource {
  streamArn: string;
  shardId: string;
  region: string;
  /** Role ARN Lambda reports as invokeIdentityArn. */
  roleArn?: string;
}

/** A Kinesis event source mapping batch for one shard. */
export function kinesisEvent(src: BatchSource, records: readonly ShardRecord[]): KinesisEvent {
  return {
    Records: records.map((r) => ({
      kinesis: { kinesisSchemaVersion: "1.0", partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber, data: r.data.toString("base64"), approximateArrivalTimestamp: r.arrivalMs / 1000 },
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventID: `${src.shardId}:${r.sequenceNumber}`,
      eventName: "aws:kinesis:record",
      invokeIdentityArn: src.roleArn ?? "arn:aws:iam::123456789012:role/pipegen-local",
      awsRegion: src.region,
      eventSourceARN: src.streamArn,
    })),
  };
}

/** Window bounds as Lambda prints them (`2024-05-01T12:00:00Z`). */
export function windowBounds(startMs: number, seconds: number): { start: string; end: string } {
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");
  return { start: iso(startMs), end: iso(startMs + seconds * 1000) };
}

/** The same batch with the tumbling-window fields Lambda adds when TumblingWindowInSeconds is set. */
export function windowEvent(
  src: BatchSource,
  records: readonly ShardRecord[],
  window: { start: string; end: string },
  state: Record<string, string>,
  final: boolean,
): KinesisTumblingWindowEvent {
  return { ...kinesisEvent(src, records), window, state, shardId: src.shardId, eventSourceARN: src.streamArn, isFinalInvokeForWindow: final, isWindowTerminatedEarly: false };
}

/** Synthetic sequence numbers: Kinesis-like decimal strings of equal length, so they order as strings do. */
export function sequenceNumber(i: number): string {
  return `49${String(i + 1).padStart(54, "0")}`;
}

/** An HTTP API payload v2 event for a request; `routeKey` is the matched route or `$default`. */
export function apiEvent(o: { method: string; url: string; headers?: Record<string, string | string[] | undefined>; body?: Buffer; routeKey: string; sourceIp?: string }): ApiGatewayV2Event {
  const u = new URL(o.url, "http://localhost");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : v;
  const query: Record<string, string> = {};
  // API Gateway joins repeated parameters with commas.
  for (const [k, v] of u.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const now = new Date();
  const text = o.body && o.body.length ? o.body.toString("utf8") : undefined;
  const binary = o.body !== undefined && o.body.length > 0 && !Buffer.from(text ?? "", "utf8").equals(o.body);
  return {
    version: "2.0",
    routeKey: o.routeKey,
    rawPath: decodeURIComponent(u.pathname),
    rawQueryString: u.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : null,
    requestContext: {
      accountId: "123456789012",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: { method: o.method.toUpperCase(), path: decodeURIComponent(u.pathname), protocol: "HTTP/1.1", sourceIp: o.sourceIp ?? "127.0.0.1", userAgent: headers["user-agent"] ?? "" },
      requestId: randomUUID(),
      routeKey: o.routeKey,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(o.body && o.body.length ? { body: binary ? o.body.toString("base64") : text!, isBase64Encoded: binary } : { isBase64Encoded: false }),
  };
}
