/** Minimal structural copies of the AWS Lambda event shapes the runtime consumes. */

/** The `kinesis` member of one Kinesis stream record. */
export interface KinesisPayload {
  kinesisSchemaVersion: string;
  partitionKey: string;
  sequenceNumber: string;
  /** Base64 of the record bytes. */
  data: string;
  /** Seconds since the epoch, with a fractional part. */
  approximateArrivalTimestamp: number;
}

/** One record of a Kinesis event source mapping batch. */
export interface KinesisStreamRecord {
  kinesis: KinesisPayload;
  eventSource: string;
  eventVersion: string;
  /** `shardId-000000000000:<sequenceNumber>`. */
  eventID: string;
  eventName: string;
  invokeIdentityArn: string;
  awsRegion: string;
  eventSourceARN: string;
}

/** Kinesis event delivered by an event source mapping (one shard per batch). */
export interface KinesisEvent {
  Records: KinesisStreamRecord[];
}

/** Kinesis event with TumblingWindowInSeconds set on the event source mapping. */
export interface KinesisTumblingWindowEvent extends KinesisEvent {
  window: { start: string; end: string };
  /** Absent or empty on the first invocation of a window. */
  state?: Record<string, string> | null;
  shardId: string;
  eventSourceARN: string;
  isFinalInvokeForWindow: boolean;
  isWindowTerminatedEarly: boolean;
}

/** Response of a Kinesis handler with FunctionResponseTypes=ReportBatchItemFailures. */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** Response of a tumbling-window handler: Lambda treats a response without `state` as a failure. */
export interface WindowResponse extends BatchResponse {
  state: Record<string, string>;
}

/** API Gateway HTTP API (payload format 2.0) request event. */
export interface ApiGatewayV2Event {
  version?: string;
  routeKey: string;
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined> | null;
  requestContext?: {
    http?: { method: string; path: string; protocol?: string; sourceIp?: string; userAgent?: string };
    [k: string]: unknown;
  };
  body?: string;
  isBase64Encoded?: boolean;
}

/** API Gateway HTTP API (payload format 2.0) response. */
export interface ApiGatewayV2Result {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}
