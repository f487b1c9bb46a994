import { describe, expect, it } from "vitest";
import type { AggregateFn, ExprError, FieldType, RecordType } from "../../src/expr/index.ts";
import { parseAggregate } from "../../src/expr/index.ts";

const FIELDS: RecordType = {
  temperature: "number",
  device_id: "string",
  recorded_at: "timestamp",
  active: "boolean",
};
const KNOWN_FIELDS = "known fields: active, device_id, recorded_at, temperature";
const USAGE = "write one of avg(field), min(field), max(field), sum(field) or count()";

describe("parseAggregate: accepted calls", () => {
  const cases: [given: string, fn: AggregateFn, field: string | undefined, resultType: FieldType][] = [
    ["avg(temperature)", "avg", "temperature", "number"],
    ["sum(temperature)", "sum", "temperature", "number"],
    ["min(temperature)", "min", "temperature", "number"],
    ["max(temperature)", "max", "temperature", "number"],
    ["min(recorded_at)", "min", "recorded_at", "timestamp"],
    ["max( recorded_at )", "max", "recorded_at", "timestamp"],
    ["count()", "count", undefined, "number"],
    ["  count ( ) ", "count", undefined, "number"],
    ["(avg(temperature))", "avg", "temperature", "number"],
  ];
  it.each(cases)("%j", (given, fn, field, resultType) => {
    const want = field === undefined ? { fn, resultType, errors: [] } : { fn, field, resultType, errors: [] };
    expect(parseAggregate(given, FIELDS)).toStrictEqual(want);
  });
});

describe("parseAggregate: errors", () => {
  const cases: [given: string, want: ExprError[]][] = [
    ["", [{ message: "empty expression", offset: 0, length: 0 }]],
    ["avg(temperature", [{ message: "expected `,` or `)` but found end of expression", offset: 15, length: 0 }]],
    ["temperature", [{ message: "expected an aggregate call", offset: 0, length: 11, hint: USAGE }]],
    ["avg(temperature) + 1", [{ message: "expected an aggregate call", offset: 0, length: 20, hint: USAGE }]],
    [
      "average(temperature)",
      [{ message: "unknown aggregate function `average`", offset: 0, length: 7, hint: "did you mean `avg`? known aggregate functions: avg, count, max, min, sum" }],
    ],
    [
      "mean(temperature)",
      [{ message: "unknown aggregate function `mean`", offset: 0, length: 4, hint: "known aggregate functions: avg, count, max, min, sum" }],
    ],
    [
      "round(temperature)",
      [{ message: "unknown aggregate function `round`", offset: 0, length: 5, hint: "known aggregate functions: avg, count, max, min, sum" }],
    ],
    ["count(*)", [{ message: "`count` takes no argument", offset: 6, length: 1, hint: "write `count()` to count records" }]],
    ["count(device_id)", [{ message: "`count` takes no argument", offset: 6, length: 9, hint: "write `count()` to count records" }]],
    ["count(a, b)", [{ message: "`count` takes no argument", offset: 6, length: 4, hint: "write `count()` to count records" }]],
    ["avg()", [{ message: "`avg` takes one field but got 0 arguments", offset: 0, length: 5, hint: "write `avg(field)`" }]],
    ["sum(temperature, 1, 2)", [{ message: "`sum` takes one field but got 3 arguments", offset: 17, length: 4, hint: "write `sum(field)`" }]],
    [
      "avg(temperature * 2)",
      [
        {
          message: "`avg` takes a field name, not an expression",
          offset: 4,
          length: 15,
          hint: "compute the value in a map transform first, then aggregate that field",
        },
      ],
    ],
    ["avg(temprature)", [{ message: "unknown field `temprature`", offset: 4, length: 10, hint: `did you mean \`temperature\`? ${KNOWN_FIELDS}` }]],
    ["avg(device_id)", [{ message: "`avg` needs a number field, but `device_id` is string", offset: 4, length: 9 }]],
    ["sum(recorded_at)", [{ message: "`sum` needs a number field, but `recorded_at` is timestamp", offset: 4, length: 11 }]],
    ["min(active)", [{ message: "`min` needs a number or timestamp field, but `active` is boolean", offset: 4, length: 6 }]],
    ["max(device_id)", [{ message: "`max` needs a number or timestamp field, but `device_id` is string", offset: 4, length: 9 }]],
  ];
  it.each(cases)("%j", (given, want) => {
    const result = parseAggregate(given, FIELDS);
    expect(result).toStrictEqual({ errors: want });
  });
});
