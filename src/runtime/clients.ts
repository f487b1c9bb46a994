/** SDK clients, created lazily once per Lambda container and reused across invocations. */
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";

let s3: S3Client | undefined;
let ddbRaw: DynamoDBClient | undefined;
let ddb: DynamoDBDocumentClient | undefined;
let kinesis: KinesisClient | undefined;
let sns: Promise<SNSClient> | undefined;
let eventBridge: Promise<EventBridgeClient> | undefined;

/** True when AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_<SERVICE> points the SDK at an emulator. */
function customEndpoint(service: string): boolean {
  return Boolean(process.env.AWS_ENDPOINT_URL || process.env[`AWS_ENDPOINT_URL_${service}`]);
}

/** Shared S3 client. */
export function s3Client(): S3Client {
  // SDK v3 reads AWS_ENDPOINT_URL itself; an emulator endpoint cannot serve virtual-hosted
  // bucket names, so use path-style addressing only then.
  s3 ??= new S3Client({ forcePathStyle: customEndpoint("S3") });
  return s3;
}

function dynamoClient(): DynamoDBClient {
  ddbRaw ??= new DynamoDBClient({});
  return ddbRaw;
}

/** Shared DynamoDB document client (plain JS values in and out). */
export function dynamoDocClient(): DynamoDBDocumentClient {
  ddb ??= DynamoDBDocumentClient.from(dynamoClient(), { marshallOptions: { removeUndefinedValues: true } });
  return ddb;
}

/** Shared Kinesis client. */
export function kinesisClient(): KinesisClient {
  // The Kinesis client defaults to an HTTP/2 handler (for SubscribeToShard); on a plain-http
  // emulator endpoint it opens with HTTP/2 prior knowledge, which moto rejects. There, borrow the
  // HTTP/1.1 handler of the DynamoDB client instead of bundling another copy of the Smithy handler.
  kinesis ??= new KinesisClient(customEndpoint("KINESIS") ? { requestHandler: dynamoClient().config.requestHandler } : {});
  return kinesis;
}

// The SNS and EventBridge packages are imported dynamically: esbuild keeps a static import of an
// external package in every bundle, so each function would load them at cold start, used or not.

/** Shared SNS client (SDK v3 honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SNS itself). */
export function snsClient(): Promise<SNSClient> {
  sns ??= import("@aws-sdk/client-sns").then((m) => new m.SNSClient({}));
  return sns;
}

/** Shared EventBridge client (SDK v3 honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EVENTBRIDGE itself). */
export function eventBridgeClient(): Promise<EventBridgeClient> {
  eventBridge ??= import("@aws-sdk/client-eventbridge").then((m) => new m.EventBridgeClient({}));
  return eventBridge;
}
