import { describe, expect, it } from "vitest";
import { weightedAverage } from "../../src/runtime/weighted.ts";

describe("weightedAverage", () => {
  const cases: Array<{ name: string; items: Record<string, unknown>[]; weight?: string; want: { average: number | null; count: number } }> = [
    { name: "empty", items: [], weight: "n", want: { average: null, count: 0 } },
    {
      name: "count-weighted, not a plain mean of means",
      items: [{ avg: 10, n: 1 }, { avg: 20, n: 3 }],
      weight: "n",
      want: { average: 17.5, count: 2 },
    },
    { name: "no weight field = plain mean", items: [{ avg: 10 }, { avg: 20 }], want: { average: 15, count: 2 } },
    { name: "zero total weight", items: [{ avg: 10, n: 0 }], weight: "n", want: { average: null, count: 1 } },
    {
      name: "items without numeric average or weight are skipped",
      items: [{ avg: 10, n: 2 }, { avg: "x", n: 5 }, { avg: 30 }, { avg: 40, n: -1 }],
      weight: "n",
      want: { average: 10, count: 1 },
    },
    {
      name: "many windows",
      items: [{ avg: 21, n: 60 }, { avg: 22, n: 30 }, { avg: 18, n: 10 }],
      weight: "n",
      want: { average: (21 * 60 + 22 * 30 + 18 * 10) / 100, count: 3 },
    },
  ];
  it.each(cases)("$name", ({ items, weight, want }) => {
    expect(weightedAverage(items, "avg", weight)).toEqual(want);
  });
});
