import { describe, expect, it } from "vitest";
import { genRecord, genValue, type Gen, type SeqState } from "../../src/runtime/gen.ts";

const now = () => new Date("2024-06-10T06:00:00.000Z");

describe("genValue", () => {
  const cases: Array<{ name: string; gen: Gen; random: number; want: unknown }> = [
    { name: "one_of first", gen: { one_of: ["a", "b", "c"] }, random: 0, want: "a" },
    { name: "one_of last", gen: { one_of: ["a", "b", "c"] }, random: 0.999, want: "c" },
    { name: "uniform with decimals", gen: { uniform: [10, 20], decimals: 1 }, random: 0.1234, want: 11.2 },
    { name: "uniform integer", gen: { uniform: [0, 10], decimals: 0 }, random: 0.96, want: 10 },
    { name: "uniform raw", gen: { uniform: [0, 4] }, random: 0.5, want: 2 },
    { name: "now", gen: { now: true }, random: 0, want: "2024-06-10T06:00:00.000Z" },
    { name: "constant", gen: { constant: false }, random: 0, want: false },
  ];
  it.each(cases)("$name", ({ gen, random, want }) => {
    expect(genValue("f", gen, () => random, now, new Map())).toEqual(want);
  });

  it("sequence counts up across calls sharing state", () => {
    const seq: SeqState = new Map();
    const fields: Record<string, Gen> = { n: { sequence: { start: 100 } }, k: { constant: "x" } };
    expect([1, 2, 3].map(() => genRecord(fields, Math.random, now, seq).n)).toEqual([100, 101, 102]);
  });

  it("rejects an empty one_of", () => {
    expect(() => genValue("f", { one_of: [] }, Math.random, now, new Map())).toThrow(/one_of is empty/);
  });
});
