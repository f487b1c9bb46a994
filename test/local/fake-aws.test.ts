// The in-process fake `pipegen test` runs sinks against: what it serves, and that it refuses what the
// real services refuse (so a handler that would fail in AWS does not pass locally).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Client, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { DynamoDBClient, DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { FakeAws } from "../../src/local/fake-aws.ts";

const fake = new FakeAws();
let s3: S3Client;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  const endpoint = await fake.start();
  const c = { endpoint, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } };
  s3 = new S3Client({ ...c, forcePathStyle: true });
  raw = new DynamoDBClient({ ...c, maxAttempts: 1 });
  doc = DynamoDBDocumentClient.from(raw);
  fake.defineBucket("lake");
  fake.defineTable({ name: "avg", partitionKey: { name: "device_id", type: "S" }, sortKey: { name: "window_start", type: "S" } });
});

afterAll(async () => {
  s3.destroy();
  raw.destroy();
  await fake.stop();
});

describe("fake S3 and DynamoDB", () => {
  it("stores PutObject bodies under decoded keys and counts writes", async () => {
    fake.reset();
    await s3.send(new PutObjectCommand({ Bucket: "lake", Key: "raw/dt=2024-05-01/shardId-000000000000/1-2.jsonl", Body: '{"a":1}\n' }));
    expect(fake.objects("lake")).toEqual([{ key: "raw/dt=2024-05-01/shardId-000000000000/1-2.jsonl", body: '{"a":1}\n' }]);
    expect(fake.writes).toBe(1);
    await expect(s3.send(new PutObjectCommand({ Bucket: "nope", Key: "k", Body: "x" }))).rejects.toMatchObject({ name: "NoSuchBucket" });
  });

  it("answers Query and Scan with key conditions, filters (OR/AND/parentheses) and projections", async () => {
    fake.reset();
    const put = (device: string, w: string, avg: number, n: number) => doc.send(new PutCommand({ TableName: "avg", Item: { device_id: device, window_start: w, average: avg, readings: n } }));
    await put("sensor-1", "2024-05-01T12:05:00Z", 22, 2);
    await put("sensor-1", "2024-05-01T12:00:00Z", 20, 1);
    await put("sensor-2", "2024-05-01T12:00:00Z", 30, 3);
    await put("sensor-1", "2024-05-01T12:00:00Z", 21, 4); // same key: overwrite
    expect(fake.items("avg")).toHaveLength(3);
    const q = await doc.send(new QueryCommand({ TableName: "avg", KeyConditionExpression: "#pk = :pk", ExpressionAttributeNames: { "#pk": "device_id", "#p0": "average" }, ExpressionAttributeValues: { ":pk": "sensor-1" }, ProjectionExpression: "#p0" }));
    expect(q.Items).toEqual([{ average: 21 }, { average: 22 }]);
    const s = await doc.send(new ScanCommand({ TableName: "avg", FilterExpression: "(#f0 = :a OR #f0 = :b) AND NOT #n < :min", ExpressionAttributeNames: { "#f0": "device_id", "#n": "readings" }, ExpressionAttributeValues: { ":a": "sensor-2", ":b": "nobody", ":min": 2 } }));
    expect(s.Items).toEqual([{ device_id: "sensor-2", window_start: "2024-05-01T12:00:00Z", average: 30, readings: 3 }]);
  });

  it("refuses what DynamoDB refuses: missing or mistyped keys, duplicate keys or more than 25 puts in one batch, unknown tables", async () => {
    fake.reset();
    await expect(doc.send(new PutCommand({ TableName: "avg", Item: { device_id: "x" } }))).rejects.toMatchObject({ name: "ValidationException", message: expect.stringContaining("Missing the key window_start") });
    await expect(doc.send(new PutCommand({ TableName: "avg", Item: { device_id: 7, window_start: "w" } }))).rejects.toMatchObject({ name: "ValidationException", message: expect.stringContaining("Type mismatch for key device_id") });
    const item = { device_id: "a", window_start: "w" };
    await expect(doc.send(new BatchWriteCommand({ RequestItems: { avg: [{ PutRequest: { Item: item } }, { PutRequest: { Item: item } }] } }))).rejects.toMatchObject({ name: "ValidationException", message: "Provided list of item keys contains duplicates" });
    const many = Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { device_id: `d${i}`, window_start: "w" } } }));
    await expect(doc.send(new BatchWriteCommand({ RequestItems: { avg: many } }))).rejects.toMatchObject({ name: "ValidationException" });
    await expect(doc.send(new PutCommand({ TableName: "other", Item: item }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect(fake.items("avg")).toEqual([]);
  });

  it("names the operation it does not implement instead of pretending", async () => {
    await expect(raw.send(new DeleteItemCommand({ TableName: "avg", Key: { device_id: { S: "a" }, window_start: { S: "w" } } }))).rejects.toMatchObject({ message: expect.stringContaining("implements DynamoDB BatchWriteItem, PutItem, Query and Scan (and S3 PutObject); got DeleteItem") });
    await expect(s3.send(new GetObjectCommand({ Bucket: "lake", Key: "k" }))).rejects.toThrow(/implements S3 PutObject only/);
  });
});
