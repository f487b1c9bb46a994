import { describe, expect, it } from "vitest";
import { closestName, compareCodePoints, editDistance, EXPRESSION_RUNTIME_TS, FUNCTIONS } from "../../src/expr/index.ts";

describe("editDistance", () => {
  const cases: [a: string, b: string, want: number][] = [
    ["", "", 0],
    ["abc", "", 3],
    ["", "abc", 3],
    ["temperature", "temperature", 0],
    ["temprature", "temperature", 1],
    ["tempreature", "temperature", 1], // adjacent transposition counts once
    ["kitten", "sitting", 3],
    ["ca", "abc", 3], // optimal string alignment, not unrestricted Damerau
    ["😀a", "a😀", 1], // compares code points, not UTF-16 units
  ];
  it.each(cases)("%j -> %j = %i", (a, b, want) => {
    expect(editDistance(a, b)).toBe(want);
    expect(editDistance(b, a)).toBe(want);
  });
});

describe("closestName", () => {
  const known = ["temperature", "device_id", "recorded_at", "humidity"];
  const cases: [given: string, want: string | undefined][] = [
    ["temprature", "temperature"],
    ["TEMPERATURE", "temperature"],
    ["device", "device_id"],
    ["temp", "temperature"],
    ["recordedat", "recorded_at"],
    ["xyz", undefined],
    ["h", undefined],
  ];
  it.each(cases)("%j -> %j", (given, want) => {
    expect(closestName(given, known)).toBe(want);
  });

  it("breaks ties by code point order", () => {
    expect(closestName("ab", ["ac", "aa"])).toBe("aa");
  });

  it("prefers a typo match over an abbreviation match", () => {
    expect(closestName("tmp", ["temperature", "tap"])).toBe("tap");
  });
});

describe("compareCodePoints", () => {
  it("orders by code point where UTF-16 order differs", () => {
    const values = ["\u{1F600}", "\uFF01", "b", "B", "a", "ab", ""];
    expect([...values].sort(compareCodePoints)).toEqual(["", "B", "a", "ab", "b", "\uFF01", "\u{1F600}"]);
    expect([...values].sort()).not.toEqual([...values].sort(compareCodePoints));
  });
});

describe("EXPRESSION_RUNTIME_TS", () => {
  const declared = [...EXPRESSION_RUNTIME_TS.matchAll(/^function (\w+)/gm)].map((m) => m[1]);

  it("declares only pg-prefixed top-level functions", () => {
    expect(declared.length).toBeGreaterThan(0);
    for (const name of declared) expect(name).toMatch(/^pg[A-Z]/);
    expect(EXPRESSION_RUNTIME_TS).not.toMatch(/^(const|let|var|import|export|class)\b/m);
  });

  it("declares every helper a compiled call can reference", () => {
    for (const sig of Object.values(FUNCTIONS)) {
      if (!sig.callee.startsWith("Math.")) expect(declared).toContain(sig.callee);
    }
  });
});
