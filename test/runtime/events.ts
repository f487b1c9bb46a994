/** Builders of realistic Kinesis and API Gateway events for the runtime tests. */
import type { ApiGatewayV2Event, KinesisStreamRecord, KinesisTumblingWindowEvent, KinesisEvent } from "../../src/runtime/index.ts";

export const SHARD = "shardId-000000000000";
const ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/pipegen-test";

/** Realistic 56-digit sequence number for index n. */
export function seq(n: number): string {
  return `4959033827149025660855969253836157109592157598913658${String(n).padStart(4, "0")}`;
}

/** One Kinesis record whose data is `payload` (an object is JSON-encoded, a string is sent raw). */
export function kinesisRecord(n: number, payload: unknown, arrivalSec = 1_718_000_000.123): KinesisStreamRecord {
  const raw = typeof payload === "string" ? payload : JSON.stringify(payload);
  return {
    kinesis: {
      kinesisSchemaVersion: "1.0",
      partitionKey: "pk",
      sequenceNumber: seq(n),
      data: Buffer.from(raw).toString("base64"),
      approximateArrivalTimestamp: arrivalSec,
    },
    eventSource: "aws:kinesis",
    eventVersion: "1.0",
    eventID: `${SHARD}:${seq(n)}`,
    eventName: "aws:kinesis:record",
    invokeIdentityArn: "arn:aws:iam::123456789012:role/pipegen-test",
    awsRegion: "us-east-1",
    eventSourceARN: ARN,
  };
}

/** A Kinesis event of payloads numbered from `first`. */
export function kinesisEvent(payloads: unknown[], first = 1): KinesisEvent {
  return { Records: payloads.map((p, i) => kinesisRecord(first + i, p)) };
}

/** A tumbling-window event. */
export function windowEvent(payloads: unknown[], first: number, state: Record<string, string>, final = false): KinesisTumblingWindowEvent {
  return {
    ...kinesisEvent(payloads, first),
    window: { start: "2024-06-10T06:00:00Z", end: "2024-06-10T06:05:00Z" },
    state,
    shardId: SHARD,
    eventSourceARN: ARN,
    isFinalInvokeForWindow: final,
    isWindowTerminatedEarly: false,
  };
}

/** An HTTP API payload v2 GET request. */
export function apiEvent(path: string, query?: Record<string, string>, method = "GET"): ApiGatewayV2Event {
  const qs = new URLSearchParams(query ?? {}).toString();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: qs,
    headers: { accept: "application/json" },
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: { http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "vitest" } },
    isBase64Encoded: false,
  };
}
