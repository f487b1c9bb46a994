import { describe, expect, it, vi } from "vitest";
import { BatchWriteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { chunkByKey, writeChunk, type DocSender, type KeyedItem } from "../../src/runtime/dynamodb-batch.ts";
import { putRecordsWithRetry, type KinesisSender } from "../../src/runtime/kinesis-put.ts";
import { backoffDelay, DEFAULT_RETRY } from "../../src/runtime/retry.ts";

const noSleep = async () => {};
const keyOf = (i: Record<string, unknown>) => JSON.stringify([i.id]);
const item = (id: string): KeyedItem => ({ id: `seq-${id}`, key: JSON.stringify([id]), item: { id } });

vi.spyOn(console, "error").mockImplementation(() => {});

describe("chunkByKey", () => {
  it("splits at 25 and never repeats a key inside a chunk", () => {
    const items = [...Array.from({ length: 30 }, (_, i) => item(String(i)))];
    expect(chunkByKey(items).map((c) => c.length)).toEqual([25, 5]);
    const dup = [item("a"), item("b"), item("a"), item("c")];
    expect(chunkByKey(dup).map((c) => c.map((x) => x.item.id))).toEqual([["a", "b"], ["a", "c"]]);
  });
});

describe("writeChunk", () => {
  it("retries only UnprocessedItems until they are written", async () => {
    const sent: string[][] = [];
    const client = {
      send: async (cmd: BatchWriteCommand) => {
        const reqs = cmd.input.RequestItems!.t!;
        sent.push(reqs.map((r) => r.PutRequest!.Item!.id as string));
        // First call leaves b and c unprocessed, second leaves c, third writes everything.
        const left = sent.length === 1 ? reqs.slice(1) : sent.length === 2 ? reqs.slice(1) : [];
        return { UnprocessedItems: left.length ? { t: left } : {} };
      },
    } as unknown as DocSender;
    const failed = await writeChunk([item("a"), item("b"), item("c")], { client, table: "t", keyOf, sleepFn: noSleep });
    expect(failed).toEqual([]);
    expect(sent).toEqual([["a", "b", "c"], ["b", "c"], ["c"]]);
  });

  it("fails the items still unprocessed after the bounded attempts", async () => {
    let calls = 0;
    const client = {
      send: async (cmd: BatchWriteCommand) => {
        calls++;
        return { UnprocessedItems: { t: cmd.input.RequestItems!.t!.filter((r) => r.PutRequest!.Item!.id === "b") } };
      },
    } as unknown as DocSender;
    const failed = await writeChunk([item("a"), item("b")], { client, table: "t", keyOf, sleepFn: noSleep, policy: { ...DEFAULT_RETRY, maxAttempts: 3 } });
    expect(failed).toEqual(["seq-b"]);
    expect(calls).toBe(3);
  });

  it("isolates a poison item with PutItem when the whole batch is rejected", async () => {
    const client = {
      send: async (cmd: BatchWriteCommand | PutCommand) => {
        if (cmd instanceof BatchWriteCommand) throw Object.assign(new Error("Item size has exceeded the maximum allowed size"), { name: "ValidationException" });
        if ((cmd as PutCommand).input.Item!.id === "b") throw Object.assign(new Error("too big"), { name: "ValidationException" });
        return {};
      },
    } as unknown as DocSender;
    expect(await writeChunk([item("a"), item("b"), item("c")], { client, table: "t", keyOf, sleepFn: noSleep })).toEqual(["seq-b"]);
  });
});

describe("putRecordsWithRetry", () => {
  const entries = ["a", "b", "c"].map((k) => ({ Data: Buffer.from(k), PartitionKey: k }));

  it("resends only the entries that came back with an ErrorCode", async () => {
    const sent: string[][] = [];
    const client = {
      send: async (cmd: PutRecordsCommand) => {
        const keys = cmd.input.Records!.map((r) => r.PartitionKey!);
        sent.push(keys);
        const fail = sent.length === 1 ? new Set(["a", "c"]) : new Set<string>();
        return {
          FailedRecordCount: fail.size,
          Records: keys.map((k) => (fail.has(k) ? { ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "slow down" } : { SequenceNumber: "1", ShardId: "s" })),
        };
      },
    } as unknown as KinesisSender;
    expect(await putRecordsWithRetry(client, "s", entries, DEFAULT_RETRY, noSleep)).toBe(3);
    expect(sent).toEqual([["a", "b", "c"], ["a", "c"]]);
  });

  it("throws when entries keep failing", async () => {
    const client = {
      send: async (cmd: PutRecordsCommand) => ({
        FailedRecordCount: 1,
        Records: cmd.input.Records!.map((r) => (r.PartitionKey === "b" ? { ErrorCode: "InternalFailure" } : { SequenceNumber: "1" })),
      }),
    } as unknown as KinesisSender;
    await expect(putRecordsWithRetry(client, "s", entries, { ...DEFAULT_RETRY, maxAttempts: 2 }, noSleep)).rejects.toThrow(/1 records still failing after 2 attempts \(InternalFailure\)/);
  });

  it("splits into PutRecords calls of at most 500", async () => {
    const sizes: number[] = [];
    const client = {
      send: async (cmd: PutRecordsCommand) => {
        sizes.push(cmd.input.Records!.length);
        return { FailedRecordCount: 0, Records: [] };
      },
    } as unknown as KinesisSender;
    const many = Array.from({ length: 1201 }, (_, i) => ({ Data: Buffer.from("x"), PartitionKey: String(i) }));
    await putRecordsWithRetry(client, "s", many, DEFAULT_RETRY, noSleep);
    expect(sizes).toEqual([500, 500, 201]);
  });
});

describe("backoffDelay", () => {
  it.each([
    { attempt: 1, random: 0, want: 25 },
    { attempt: 1, random: 1, want: 50 },
    { attempt: 3, random: 0.5, want: 150 },
    { attempt: 20, random: 1, want: 2000 },
  ])("attempt $attempt random $random -> $want ms", ({ attempt, random, want }) => {
    expect(backoffDelay(attempt, DEFAULT_RETRY, () => random)).toBe(want);
  });
});
