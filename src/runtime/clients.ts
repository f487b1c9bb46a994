/** SDK clients, created lazily once per Lambda container and reused across invocations. */
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";

let s3: S3Client | undefined;
let ddbRaw: DynamoDBClient | undefined;
let ddb: DynamoDBDocumentClient | undefined;
let kinesis: KinesisClient | undefined;

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
