import { describe, expect, it } from "vitest";
import type { ExprError, FieldType, RecordType } from "../../src/expr/index.ts";
import { checkExpression, parseExpression } from "../../src/expr/index.ts";

const FIELDS: RecordType = {
  temperature: "number",
  device_id: "string",
  recorded_at: "timestamp",
  active: "boolean",
};
const KNOWN_FIELDS = "known fields: active, device_id, recorded_at, temperature";
const KNOWN_FUNCTIONS = "known functions: abs, ceil, coalesce, concat, date, floor, hour, length, lower, round, to_number, to_string, upper";
const TS_HINT = "write a date like '2024-01-31' or a date-time like '2024-01-31T12:00:00Z'";

function check(src: string, fields: RecordType = FIELDS) {
  const { ast, errors } = parseExpression(src);
  expect(errors).toEqual([]);
  if (!ast) throw new Error("no ast");
  return checkExpression(ast, fields);
}

describe("checkExpression: result types", () => {
  const cases: [given: string, want: FieldType | "null"][] = [
    ["12", "number"],
    ["'x'", "string"],
    ["true", "boolean"],
    ["null", "null"],
    ["temperature", "number"],
    ["recorded_at", "timestamp"],
    ["active", "boolean"],
    ["temperature >= -50 and temperature <= 150", "boolean"],
    ["not active or temperature > 3", "boolean"],
    ["-temperature * 2 % 7 / 1 - 1 + 1", "number"],
    ["device_id == 'a' and device_id != \"b\" and device_id < 'z'", "boolean"],
    ["device_id in ['a', 'b']", "boolean"],
    ["temperature in [1, -2.5]", "boolean"],
    ["active in [true]", "boolean"],
    ["active == false", "boolean"],
    ["device_id == null or null != temperature or null == null", "boolean"],
    ["recorded_at >= '2024-01-01' and recorded_at < '2024-02-01T00:00:00.123+02:00'", "boolean"],
    ["'2024-01-01T10:00:00Z' < recorded_at", "boolean"],
    ["recorded_at == recorded_at", "boolean"],
    ["recorded_at in ['2024-01-01', '2024-01-02T00:00Z']", "boolean"],
    ["abs(temperature)", "number"],
    ["round(temperature)", "number"],
    ["round(temperature, 2)", "number"],
    ["round(temperature, temperature)", "number"],
    ["floor(1.5) + ceil(1.5)", "number"],
    ["lower(device_id)", "string"],
    ["upper(device_id)", "string"],
    ["length(device_id)", "number"],
    ["concat(device_id, '-', lower(device_id))", "string"],
    ["coalesce(device_id, 'unknown')", "string"],
    ["coalesce(null, temperature)", "number"],
    ["coalesce(temperature, null)", "number"],
    ["coalesce(null, null)", "null"],
    ["coalesce(recorded_at, '2024-01-01')", "timestamp"],
    ["coalesce('2024-01-01', recorded_at)", "timestamp"],
    ["date(recorded_at)", "string"],
    ["date('2024-01-01T23:00:00Z')", "string"],
    ["hour(recorded_at)", "number"],
    ["to_number(device_id)", "number"],
    ["to_string(temperature)", "string"],
    ["to_string(active)", "string"],
    ["to_string(recorded_at)", "string"],
    ["date(recorded_at) == '2024-01-01'", "boolean"],
  ];
  it.each(cases)("%j has type %s", (given, want) => {
    const result = check(given);
    expect(result.errors).toEqual([]);
    expect(result.type).toBe(want);
  });
});

describe("checkExpression: errors", () => {
  const cases: [given: string, want: ExprError[]][] = [
    // unknown names
    [
      "temprature > 3",
      [{ message: "unknown field `temprature`", offset: 0, length: 10, hint: `did you mean \`temperature\`? ${KNOWN_FIELDS}` }],
    ],
    ["Temperature > 3", [{ message: "unknown field `Temperature`", offset: 0, length: 11, hint: `did you mean \`temperature\`? ${KNOWN_FIELDS}` }]],
    ["temp > 3", [{ message: "unknown field `temp`", offset: 0, length: 4, hint: `did you mean \`temperature\`? ${KNOWN_FIELDS}` }]],
    ["deviceid == 'a'", [{ message: "unknown field `deviceid`", offset: 0, length: 8, hint: `did you mean \`device_id\`? ${KNOWN_FIELDS}` }]],
    ["xyz == 'a'", [{ message: "unknown field `xyz`", offset: 0, length: 3, hint: KNOWN_FIELDS }]],
    ["constructor == 'a'", [{ message: "unknown field `constructor`", offset: 0, length: 11, hint: KNOWN_FIELDS }]],
    ["TRUE", [{ message: "unknown field `TRUE`", offset: 0, length: 4, hint: "keywords are lower-case: write `true`" }]],
    ["flor(temperature)", [{ message: "unknown function `flor`", offset: 0, length: 4, hint: `did you mean \`floor\`? ${KNOWN_FUNCTIONS}` }]],
    ["toString(1)", [{ message: "unknown function `toString`", offset: 0, length: 8, hint: `did you mean \`to_string\`? ${KNOWN_FUNCTIONS}` }]],
    ["sqrt(2)", [{ message: "unknown function `sqrt`", offset: 0, length: 4, hint: KNOWN_FUNCTIONS }]],
    ["hasOwnProperty(2)", [{ message: "unknown function `hasOwnProperty`", offset: 0, length: 14, hint: KNOWN_FUNCTIONS }]],
    [
      "temperature(2)",
      [{ message: "unknown function `temperature`", offset: 0, length: 11, hint: `\`temperature\` is a field, not a function; ${KNOWN_FUNCTIONS}` }],
    ],
    [
      "avg(temperature) > 3",
      [
        {
          message: "aggregate function `avg` cannot be used here",
          offset: 0,
          length: 3,
          hint: `aggregate functions are only allowed in an aggregate transform's compute; ${KNOWN_FUNCTIONS}`,
        },
      ],
    ],
    // operand types
    ["not temperature", [{ message: "`not` needs a boolean operand, found number", offset: 4, length: 11 }]],
    ["-device_id", [{ message: "`-` needs a number operand, found string", offset: 1, length: 9 }]],
    ["active and 1", [{ message: "`and` needs boolean operands, found number", offset: 11, length: 1 }]],
    [
      "'a' or (temperature + 1)",
      [
        { message: "`or` needs boolean operands, found string", offset: 0, length: 3 },
        { message: "`or` needs boolean operands, found number", offset: 8, length: 15 },
      ],
    ],
    [
      "device_id + 'x'",
      [
        { message: "`+` needs number operands, found string", offset: 0, length: 9, hint: "use concat(a, b) to join strings" },
        { message: "`+` needs number operands, found string", offset: 12, length: 3, hint: "use concat(a, b) to join strings" },
      ],
    ],
    ["temperature * device_id", [{ message: "`*` needs number operands, found string", offset: 14, length: 9, hint: "convert it with to_number(...)" }]],
    [
      "recorded_at - 1",
      [{ message: "`-` needs number operands, found timestamp", offset: 0, length: 11, hint: "extract a number with hour(...) or compare timestamps directly" }],
    ],
    ["active % null", [
      { message: "`%` needs number operands, found boolean", offset: 0, length: 6 },
      { message: "`%` needs number operands, found null", offset: 9, length: 4 },
    ]],
    // comparisons
    [
      "device_id > 3",
      [{ message: "cannot compare string with number", offset: 0, length: 13, hint: "convert one side with to_number(...) or to_string(...)" }],
    ],
    ["active == 1", [{ message: "cannot compare boolean with number", offset: 0, length: 11 }]],
    ["recorded_at > 5", [{ message: "cannot compare timestamp with number", offset: 0, length: 15 }]],
    [
      "recorded_at > device_id",
      [
        {
          message: "cannot compare timestamp with string",
          offset: 0,
          length: 23,
          hint: "only string literals are read as timestamps; declare the field as timestamp instead",
        },
      ],
    ],
    ["recorded_at > '2024-13-01'", [{ message: "`2024-13-01` is not a valid ISO-8601 timestamp", offset: 14, length: 12, hint: TS_HINT }]],
    ["'yesterday' <= recorded_at", [{ message: "`yesterday` is not a valid ISO-8601 timestamp", offset: 0, length: 11, hint: TS_HINT }]],
    ["recorded_at == '2023-02-29'", [{ message: "`2023-02-29` is not a valid ISO-8601 timestamp", offset: 15, length: 12, hint: TS_HINT }]],
    ["recorded_at == '2024-01-01T24:00:00Z'", [{ message: "`2024-01-01T24:00:00Z` is not a valid ISO-8601 timestamp", offset: 15, length: 22, hint: TS_HINT }]],
    ["active < true", [{ message: "`<` cannot order boolean values", offset: 7, length: 1, hint: "booleans support only `==` and `!=`" }]],
    [
      "temperature >= null",
      [{ message: "`>=` cannot compare with null", offset: 12, length: 2, hint: "test for a missing value with `== null` or `!= null`" }],
    ],
    // in lists
    [
      "device_id in []",
      [{ message: "`in` list is empty", offset: 0, length: 15, hint: "an empty list never matches; remove the condition or add values" }],
    ],
    [
      "temperature in [1, 'a', null, true]",
      [
        { message: "`in` list element must be number like the value being tested, found string", offset: 19, length: 3 },
        { message: "null cannot appear in an `in` list", offset: 24, length: 4, hint: "test for a missing value with `== null`" },
        { message: "`in` list element must be number like the value being tested, found boolean", offset: 30, length: 4 },
      ],
    ],
    ["null in [1]", [{ message: "`in` cannot test null", offset: 0, length: 4, hint: "test for a missing value with `== null`" }]],
    [
      "recorded_at in ['2024-01-01', 'soon', 3]",
      [
        { message: "`soon` is not a valid ISO-8601 timestamp", offset: 30, length: 6, hint: TS_HINT },
        { message: "`in` list element must be timestamp like the value being tested, found number", offset: 38, length: 1 },
      ],
    ],
    // function arguments
    ["round()", [{ message: "`round` takes 1 or 2 arguments but got 0", offset: 0, length: 7, hint: "usage: round(n, digits?)" }]],
    ["round(1, 2, 3, 4)", [{ message: "`round` takes 1 or 2 arguments but got 4", offset: 12, length: 4, hint: "usage: round(n, digits?)" }]],
    ["abs(1, 2)", [{ message: "`abs` takes 1 argument but got 2", offset: 7, length: 1, hint: "usage: abs(n)" }]],
    ["coalesce(1)", [{ message: "`coalesce` takes 2 arguments but got 1", offset: 0, length: 11, hint: "usage: coalesce(a, b)" }]],
    ["concat('a')", [{ message: "`concat` takes at least 2 arguments but got 1", offset: 0, length: 11, hint: "usage: concat(a, b, ...)" }]],
    ["round(temperature, 1.5)", [{ message: "`round` digits must be a whole number", offset: 19, length: 3 }]],
    ["round(temperature, 'a')", [{ message: "argument 2 of `round` must be number, found string", offset: 19, length: 3, hint: "convert it with to_number(...)" }]],
    ["abs(device_id)", [{ message: "argument 1 of `abs` must be number, found string", offset: 4, length: 9, hint: "convert it with to_number(...)" }]],
    ["floor(active)", [{ message: "argument 1 of `floor` must be number, found boolean", offset: 6, length: 6 }]],
    ["ceil(null)", [{ message: "argument 1 of `ceil` must be number, found null", offset: 5, length: 4 }]],
    ["lower(temperature)", [{ message: "argument 1 of `lower` must be string, found number", offset: 6, length: 11, hint: "convert it with to_string(...)" }]],
    ["upper(null)", [{ message: "argument 1 of `upper` must be string, found null", offset: 6, length: 4 }]],
    ["length(recorded_at)", [{ message: "argument 1 of `length` must be string, found timestamp", offset: 7, length: 11, hint: "convert it with to_string(...)" }]],
    [
      "concat(device_id, temperature, active)",
      [
        { message: "argument 2 of `concat` must be string, found number", offset: 18, length: 11, hint: "convert it with to_string(...)" },
        { message: "argument 3 of `concat` must be string, found boolean", offset: 31, length: 6, hint: "convert it with to_string(...)" },
      ],
    ],
    ["coalesce(device_id, 3)", [{ message: "arguments of `coalesce` must have the same type, found string and number", offset: 0, length: 22 }]],
    ["coalesce(recorded_at, 'later')", [{ message: "`later` is not a valid ISO-8601 timestamp", offset: 22, length: 7, hint: TS_HINT }]],
    [
      "date(device_id)",
      [{ message: "argument 1 of `date` must be timestamp, found string", offset: 5, length: 9, hint: "only timestamp fields and ISO-8601 string literals are accepted" }],
    ],
    ["hour(temperature)", [{ message: "argument 1 of `hour` must be timestamp, found number", offset: 5, length: 11 }]],
    ["hour('noon')", [{ message: "`noon` is not a valid ISO-8601 timestamp", offset: 5, length: 6, hint: TS_HINT }]],
    ["to_number(temperature)", [{ message: "argument 1 of `to_number` must be string, found number", offset: 10, length: 11, hint: "convert it with to_string(...)" }]],
    ["to_string(null)", [{ message: "argument 1 of `to_string` cannot be null", offset: 10, length: 4 }]],
  ];
  it.each(cases)("%j", (given, want) => {
    expect(check(given).errors).toStrictEqual(want);
  });
});

describe("checkExpression: independent errors are all reported, cascades are not", () => {
  it("reports every unknown name once and nothing derived from them", () => {
    const result = check("temprature > 3 and devce_id == 'x' and speed(recorded_at) > 2");
    expect(result.errors.map((e) => [e.message, e.offset, e.length])).toEqual([
      ["unknown field `temprature`", 0, 10],
      ["unknown field `devce_id`", 19, 8],
      ["unknown function `speed`", 39, 5],
    ]);
    // Comparisons are boolean whatever their operands, so the caller can still check the filter type.
    expect(result.type).toBe("boolean");
  });

  it("sorts errors by position in the source", () => {
    const result = check("abs(nope) + nada(x) > 'a'");
    expect(result.errors.map((e) => [e.message, e.offset])).toEqual([
      ["cannot compare number with string", 0],
      ["unknown field `nope`", 4],
      ["unknown function `nada`", 12],
      ["unknown field `x`", 17],
    ]);
  });

  it("leaves the type undefined when it cannot be known", () => {
    const result = check("nope");
    expect(result.type).toBeUndefined();
    expect(check("coalesce(nope, 1)").type).toBeUndefined();
    expect(check("coalesce(null, nope)").type).toBeUndefined();
  });

  it("explains that no fields exist when the record type is empty", () => {
    expect(check("a", {}).errors).toEqual([{ message: "unknown field `a`", offset: 0, length: 1, hint: "no fields are declared" }]);
  });
});

describe("checkExpression: fieldsUsed and annotations", () => {
  it("lists known fields once, sorted by code point", () => {
    const fields: RecordType = { b: "number", a: "number", B: "number", é: "number", z: "number" };
    expect(check("z + b + a + B + b + unknown", fields).fieldsUsed).toEqual(["B", "a", "b", "z"]);
  });

  it("annotates nodes with types and clears stale annotations on re-check", () => {
    const { ast } = parseExpression("x > 1");
    if (!ast || ast.kind !== "binary") throw new Error("bad parse");
    checkExpression(ast, { x: "number" });
    expect(ast.left.type).toBe("number");
    expect(ast.type).toBe("boolean");
    checkExpression(ast, {});
    expect(ast.left.type).toBeUndefined();
  });
});
