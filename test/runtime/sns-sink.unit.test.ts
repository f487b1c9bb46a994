import { beforeAll, describe, expect, it, vi } from "vitest";
import { PublishBatchCommand } from "@aws-sdk/client-sns";
import { snsSink } from "../../src/runtime/index.ts";
import type { SinkItem } from "../../src/runtime/index.ts";
import { messageAttributes, messageBytes, RECORD_ID_ATTRIBUTE, SNS_MAX_BYTES } from "../../src/runtime/sns-sink.ts";
import { chunkBatches, publishAll, type Outgoing } from "../../src/runtime/batch-publish.ts";
import { DEFAULT_RETRY } from "../../src/runtime/retry.ts";

// The SNS sink and the shared batch publisher with a fake client: batching, retries, isolation.
beforeAll(() => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
  process.env.TOPIC = "arn:aws:sns:us-east-1:123456789012:t";
});

const noSleep = async () => {};
const item = (n: number, record: Record<string, unknown> = { n }): SinkItem => ({ record, shardId: "shardId-000000000001", sequenceNumber: `seq-${n}`, arrival: 0 });
const out = (id: string, bytes: number): Outgoing<string> => ({ id, entry: id, bytes });
type Entry = { Id: string; Message: string; MessageAttributes: Record<string, { DataType: string; StringValue: string }> };
type Failed = { Id: string; Code: string; Message?: string; SenderFault: boolean };

/** A fake SNS client: `reply` decides, per call, which entries fail or whether the call throws. */
function fakeSns(reply: (entries: Entry[], call: number) => Failed[]) {
  const calls: Entry[][] = [];
  const client = {
    send: vi.fn(async (cmd: PublishBatchCommand) => {
      const entries = cmd.input.PublishBatchRequestEntries as Entry[];
      calls.push(entries);
      return { Successful: [], Failed: reply(entries, calls.length) };
    }),
  };
  return { client: client as never, calls };
}

describe("chunkBatches", () => {
  it("keeps order, at most N entries and at most the byte limit per batch; an oversized entry goes alone", () => {
    const items = [out("a", 40), out("b", 40), out("c", 40), out("d", 150), out("e", 10), out("f", 10), out("g", 10), out("h", 10)];
    expect(chunkBatches(items, 3, 100).map((c) => c.map((i) => i.id).join(""))).toEqual(["ab", "c", "d", "efg", "h"]);
  });
});

describe("publishAll", () => {
  it("retries only the retryable entries, with backoff, until they pass", async () => {
    const sent: string[][] = [];
    const failed = await publishAll([out("a", 1), out("b", 1), out("c", 1)], {
      sink: "t", maxEntries: 10, maxBytes: 100, sleepFn: noSleep,
      send: async (entries) => {
        sent.push(entries);
        return sent.length === 1 ? [{ index: 1, retryable: true, reason: "Throttled" }, { index: 2, retryable: false, reason: "Bad" }] : [];
      },
    });
    expect(failed).toEqual(["c"]);
    expect(sent).toEqual([["a", "b", "c"], ["b"]]);
  });

  it("gives up after the policy's attempts and reports what is left", async () => {
    let calls = 0;
    const failed = await publishAll([out("a", 1), out("b", 1)], {
      sink: "t", maxEntries: 10, maxBytes: 100, sleepFn: noSleep, policy: { ...DEFAULT_RETRY, maxAttempts: 3 },
      send: async (entries) => {
        calls++;
        return entries.map((_, index) => ({ index, retryable: entries[index] === "b", reason: "InternalError" }));
      },
    });
    expect(failed.sort()).toEqual(["a", "b"]);
    expect(calls).toBe(3);
  });

  it("a call rejected for its content is retried entry by entry, so only the culprit fails", async () => {
    const sent: string[][] = [];
    const failed = await publishAll([out("a", 1), out("poison", 1), out("c", 1)], {
      sink: "t", maxEntries: 10, maxBytes: 100, sleepFn: noSleep,
      send: async (entries) => {
        sent.push(entries);
        if (entries.includes("poison")) throw Object.assign(new Error("invalid parameter"), { name: "InvalidParameterException", $fault: "client" });
        return [];
      },
    });
    expect(failed).toEqual(["poison"]);
    expect(sent).toEqual([["a", "poison", "c"], ["a"], ["poison"], ["c"]]);
  });

  it("a call rejected for access, throttling or a server fault fails its entries without isolating them", async () => {
    for (const err of [
      Object.assign(new Error("denied"), { name: "AuthorizationErrorException", $fault: "client" }),
      Object.assign(new Error("slow down"), { name: "ThrottlingException", $fault: "client" }),
      Object.assign(new Error("boom"), { name: "InternalErrorException", $fault: "server" }),
    ]) {
      let calls = 0;
      const failed = await publishAll([out("a", 1), out("b", 1)], { sink: "t", maxEntries: 10, maxBytes: 100, sleepFn: noSleep, send: async () => { calls++; throw err; } });
      expect(failed, err.name).toEqual(["a", "b"]);
      expect(calls, err.name).toBe(1);
    }
  });

  it("reports failures of every batch, whatever order the calls finish in", async () => {
    const items = Array.from({ length: 25 }, (_, i) => out(`r${i}`, 1));
    const failed = await publishAll(items, {
      sink: "t", maxEntries: 10, maxBytes: 100, concurrency: 3,
      send: async (entries) => {
        await new Promise((r) => setTimeout(r, entries[0] === "r0" ? 20 : 0));
        return entries.flatMap((e, index) => (e === "r0" || e === "r24" ? [{ index, retryable: false, reason: "x" }] : []));
      },
    });
    expect(failed.sort()).toEqual(["r0", "r24"]);
  });
});

describe("snsSink", () => {
  it("maps SNS's Failed entries back to records: SenderFault fails at once, service faults are retried", async () => {
    const { client, calls } = fakeSns((entries, call) =>
      call === 1
        ? [
            { Id: entries[1]!.Id, Code: "InvalidParameter", Message: "bad", SenderFault: true },
            { Id: entries[2]!.Id, Code: "InternalError", SenderFault: false },
          ]
        : [],
    );
    const sink = snsSink({ name: "events", topicEnv: "TOPIC" }, { client, sleepFn: noSleep });
    expect(await sink.write([item(1), item(2), item(3), item(4)])).toEqual({ failed: ["seq-2"] });
    expect(calls.map((c) => c.map((e) => JSON.parse(e.Message).n))).toEqual([[1, 2, 3, 4], [3]]);
    expect(calls[0]!.map((e) => e.Id)).toEqual(["0", "1", "2", "3"]);
  });

  it("publishes 10 entries per call and keeps each call under 256 KiB", async () => {
    const { client, calls } = fakeSns(() => []);
    const sink = snsSink({ name: "events", topicEnv: "TOPIC" }, { client });
    expect(await sink.write(Array.from({ length: 25 }, (_, i) => item(i)))).toEqual({ failed: [] });
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    calls.length = 0;
    const big = (n: number) => item(n, { n, pad: "x".repeat(100_000) });
    expect(await sink.write([big(1), big(2), big(3), big(4)])).toEqual({ failed: [] });
    expect(calls.map((c) => c.length)).toEqual([2, 2]);
    for (const c of calls) expect(c.reduce((s, e) => s + messageBytes(e.Message, e.MessageAttributes as never), 0)).toBeLessThanOrEqual(SNS_MAX_BYTES);
  });

  it("writes nothing and needs no topic for an empty batch", async () => {
    const { client, calls } = fakeSns(() => []);
    expect(await snsSink({ name: "events", topicEnv: "UNSET_TOPIC" }, { client }).write([])).toEqual({ failed: [] });
    expect(calls).toEqual([]);
  });
});

describe("message attributes", () => {
  it("carry the record id and the listed fields, typed; empty and missing values are left out", () => {
    const attrs = messageAttributes({ s: "a", n: 1.5, b: false, empty: "", nil: null, inf: Infinity }, "shard:1", ["s", "n", "b", "empty", "nil", "inf", "absent"]);
    expect(attrs).toEqual({
      [RECORD_ID_ATTRIBUTE]: { DataType: "String", StringValue: "shard:1" },
      s: { DataType: "String", StringValue: "a" },
      n: { DataType: "Number", StringValue: "1.5" },
      b: { DataType: "String", StringValue: "false" },
    });
  });

  it("count toward the message size like SNS counts them (name, type and value bytes)", () => {
    expect(messageBytes("é", { k: { DataType: "String", StringValue: "v" } })).toBe(2 + 1 + 6 + 1);
  });
});
