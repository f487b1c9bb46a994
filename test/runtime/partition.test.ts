import { describe, expect, it } from "vitest";
import { normalizePrefix, objectKey, partitionPath } from "../../src/runtime/partition.ts";

describe("partitionPath", () => {
  const ms = Date.parse("2024-06-10T23:59:59.999Z");
  it.each([
    { given: ["date", "hour"] as const, want: "dt=2024-06-10/hr=23/" },
    { given: ["date"] as const, want: "dt=2024-06-10/" },
    { given: ["hour"] as const, want: "dt=2024-06-10/hr=23/" },
    { given: [] as const, want: "" },
  ])("$given -> $want", ({ given, want }) => {
    expect(partitionPath(ms, given)).toBe(want);
  });

  it("uses UTC, not the offset of the source timestamp", () => {
    expect(partitionPath(Date.parse("2024-06-11T01:30:00+03:00"), ["date", "hour"])).toBe("dt=2024-06-10/hr=22/");
  });
});

describe("objectKey", () => {
  it.each([
    { prefix: "raw/", want: "raw/dt=2024-06-10/hr=06/shardId-000000000000/100-200.jsonl" },
    { prefix: "raw", want: "raw/dt=2024-06-10/hr=06/shardId-000000000000/100-200.jsonl" },
    { prefix: "", want: "dt=2024-06-10/hr=06/shardId-000000000000/100-200.jsonl" },
  ])("prefix '$prefix'", ({ prefix, want }) => {
    expect(objectKey(prefix, "dt=2024-06-10/hr=06/", "shardId-000000000000", "100", "200")).toBe(want);
  });

  it("is deterministic for the same coordinates", () => {
    const a = objectKey("p/", "dt=2024-01-01/", "s", "1", "9");
    expect(objectKey("p/", "dt=2024-01-01/", "s", "1", "9")).toBe(a);
    expect(normalizePrefix("x/y")).toBe("x/y/");
  });
});
