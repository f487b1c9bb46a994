import { describe, expect, it } from "vitest";
import {
  addValues, decodeState, encodeState, groupKey, measuredFields, measureValue, mergeAggs, stateBytes,
  type GroupAgg, type Measure,
} from "../../src/runtime/window-state.ts";

const measures: Measure[] = [
  { name: "avg_temp", fn: "avg", field: "temp" },
  { name: "min_temp", fn: "min", field: "temp" },
  { name: "max_temp", fn: "max", field: "temp" },
  { name: "sum_hum", fn: "sum", field: "hum" },
  { name: "readings", fn: "count" },
];

function fold(values: Array<Record<string, number>>): GroupAgg | undefined {
  return values.reduce<GroupAgg | undefined>((agg, v) => addValues(agg, v), undefined);
}

describe("window state", () => {
  it("tracks each measured field once", () => {
    expect(measuredFields(measures)).toEqual(["temp", "hum"]);
    expect(() => measuredFields([{ name: "x", fn: "avg" }])).toThrow(/needs a field/);
  });

  it("group key is a JSON array of group values", () => {
    expect(groupKey(["d1", 3])).toBe('["d1",3]');
  });

  const cases = [
    { name: "single record", given: [{ temp: 20, hum: 1 }], want: { avg_temp: 20, min_temp: 20, max_temp: 20, sum_hum: 1, readings: 1 } },
    { name: "three records", given: [{ temp: 20, hum: 1 }, { temp: 25, hum: 2 }, { temp: 15, hum: 3 }], want: { avg_temp: 20, min_temp: 15, max_temp: 25, sum_hum: 6, readings: 3 } },
    { name: "negative values", given: [{ temp: -5, hum: 0 }, { temp: -1, hum: 0 }], want: { avg_temp: -3, min_temp: -5, max_temp: -1, sum_hum: 0, readings: 2 } },
  ];
  it.each(cases)("measures: $name", ({ given, want }) => {
    const agg = fold(given)!;
    expect(Object.fromEntries(measures.map((m) => [m.name, measureValue(agg, m)]))).toEqual(want);
  });

  it("merging partial aggregates equals folding everything at once", () => {
    const a = fold([{ temp: 1, hum: 1 }, { temp: 2, hum: 1 }])!;
    const b = fold([{ temp: 9, hum: 4 }])!;
    expect(mergeAggs(a, b)).toEqual(fold([{ temp: 1, hum: 1 }, { temp: 2, hum: 1 }, { temp: 9, hum: 4 }]));
  });

  it("round-trips through the Record<string,string> state", () => {
    const groups = new Map([[groupKey(["d1"]), fold([{ temp: 1, hum: 2 }])!], [groupKey(["d2"]), fold([{ temp: 3, hum: 4 }, { temp: 5, hum: 6 }])!]]);
    const state = encodeState(groups);
    expect(Object.values(state).every((v) => typeof v === "string")).toBe(true);
    expect(state['["d2"]']).toBe('{"n":2,"f":{"temp":[8,3,5],"hum":[10,4,6]}}');
    expect(decodeState(JSON.parse(JSON.stringify(state)))).toEqual(groups);
    expect(stateBytes(state)).toBe(Buffer.byteLength(JSON.stringify(state)));
  });

  it("treats missing or null state as empty and rejects malformed entries", () => {
    expect(decodeState(undefined).size).toBe(0);
    expect(decodeState(null).size).toBe(0);
    expect(() => decodeState({ '["d1"]': '{"n":"x"}' })).toThrow(/malformed/);
    expect(() => decodeState({ '["d1"]': "not json" })).toThrow();
  });
});
