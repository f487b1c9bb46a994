/** SDK helpers for the runtime integration tests (resources are created through moto). */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";

/** Fresh clients for the test's own setup/assertions (the runtime keeps its own). */
export function testClients() {
  const s3 = new S3Client({ forcePathStyle: true });
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return { s3, ddb };
}

/** Creates a bucket. */
export async function createBucket(s3: S3Client, name: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
}

/** Lists every key under a prefix, sorted. */
export async function listKeys(s3: S3Client, bucket: string, prefix = ""): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

/** Reads an object as text plus its content type. */
export async function getObject(s3: S3Client, bucket: string, key: string): Promise<{ body: string; contentType?: string }> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: await out.Body!.transformToString(), ...(out.ContentType ? { contentType: out.ContentType } : {}) };
}

/** Creates an on-demand table with a string partition key and optional string sort key. */
export async function createTable(ddb: DynamoDBDocumentClient, name: string, pk: string, sk?: string): Promise<void> {
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: pk, AttributeType: "S" }, ...(sk ? [{ AttributeName: sk, AttributeType: "S" as const }] : [])],
      KeySchema: [{ AttributeName: pk, KeyType: "HASH" }, ...(sk ? [{ AttributeName: sk, KeyType: "RANGE" as const }] : [])],
    }),
  );
}

/** Every item of a table. */
export async function scanAll(ddb: DynamoDBDocumentClient, table: string): Promise<Record<string, unknown>[]> {
  const out = await ddb.send(new ScanCommand({ TableName: table }));
  return (out.Items ?? []) as Record<string, unknown>[];
}

/** Puts one item. */
export async function putItem(ddb: DynamoDBDocumentClient, table: string, item: Record<string, unknown>): Promise<void> {
  await ddb.send(new PutCommand({ TableName: table, Item: item }));
}
