import { describe, expect, it } from "vitest";
import type { Expr, RecordType } from "../../src/expr/index.ts";
import { compile, compileChecked, evaluate } from "./helpers.ts";

const FIELDS: RecordType = {
  temperature: "number",
  device_id: "string",
  recorded_at: "timestamp",
  active: "boolean",
  missing_n: "number",
  missing_s: "string",
  missing_t: "timestamp",
  null_s: "string",
};
const RECORD = {
  temperature: 21.5,
  device_id: "Sensor-7",
  recorded_at: "2024-03-10T23:30:00-02:00",
  active: true,
  null_s: null,
};

/** Writes `s` as a single-quoted string literal of the expression language. */
function quote(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
}

describe("compiled expressions evaluate to the expected values", () => {
  const cases: [given: string, want: unknown][] = [
    ["temperature >= -50 and temperature <= 150", true],
    ["temperature > 100 or not active", false],
    ["-temperature * 2 + 1", -42],
    ["- -temperature", 21.5],
    ["7 % 4 - 10 / 4", 0.5],
    ["device_id == 'Sensor-7'", true],
    ["device_id != 'Sensor-7'", false],
    ["device_id < 'T'", true],
    ["device_id in ['a', 'Sensor-7']", true],
    ["not device_id in ['a']", true],
    ["temperature in [21.5]", true],
    ["recorded_at > '2024-03-11T01:29:59Z'", true],
    ["recorded_at == '2024-03-11T01:30:00Z'", true],
    ["recorded_at in ['2024-03-11T01:30:00.000Z']", true],
    ["recorded_at < '2024-03-11'", false],
    ["date(recorded_at)", "2024-03-11"],
    ["hour(recorded_at)", 1],
    ["abs(-3)", 3],
    ["floor(-1.5)", -2],
    ["ceil(1.2)", 2],
    ["round(2.5)", 3],
    ["round(-2.5)", -3],
    ["round(1.005, 2)", 1.01],
    ["round(1234.5678, 1)", 1234.6],
    ["round(1234.5678, -2)", 1200],
    ["round(1e300, 20)", 1e300],
    ["lower(device_id)", "sensor-7"],
    ["upper(device_id)", "SENSOR-7"],
    ["length('a😀')", 2],
    ["concat(device_id, '/', to_string(temperature), '/', to_string(active))", "Sensor-7/21.5/true"],
    ["to_number(' 42 ') + 1", 43],
    ["to_string(recorded_at)", "2024-03-10T23:30:00-02:00"],
    ["coalesce(device_id, 'x')", "Sensor-7"],
    // Fields missing from the record (or null) must not throw: one bad record must not fail a batch.
    ["missing_n == null and null_s == null and device_id != null", true],
    ["coalesce(missing_s, 'default')", "default"],
    ["coalesce(null_s, 'default')", "default"],
    ["coalesce(missing_t, '2024-01-01') < '2024-01-02'", true],
    ["missing_n > 0 or missing_n <= 0", false],
    ["lower(missing_s)", ""],
    ["length(null_s)", 0],
    ["concat(missing_s, 'x')", "x"],
    ["date(missing_t)", ""],
    ["missing_t > '2024-01-01'", false],
  ];
  const NAN_CASES = ["to_number('')", "to_number('abc')", "hour(missing_t)", "round(missing_n)", "abs(missing_n)"];

  it("matches every expected value", () => {
    const { values } = evaluate(RECORD, [...cases.map(([given]) => compile(given, FIELDS)), ...NAN_CASES.map((s) => compile(s, FIELDS))]);
    const got = cases.map(([given], i) => [given, values[i]]);
    expect(got).toEqual(cases);
    expect(values.slice(cases.length)).toEqual(NAN_CASES.map(() => NaN));
  });
});

describe("spec text cannot inject code", () => {
  const NASTY = [
    '"',
    "'",
    "`",
    "${globalThis.pwned = 1}",
    "`${globalThis.pwned = 2}`",
    "\n globalThis.pwned = 3;",
    "\\",
    "\\\\\"",
    "*/ globalThis.pwned = 4; /*",
    '"; globalThis.pwned = 5; "',
    '")); globalThis.pwned = 6; //',
    "</script><!--",
    "\u2028\u2029",
    "\r\n\t\0",
    "a'b\"c`d${e}f\\g\nh*/i",
  ];

  it("string literals compile to inert literals with the exact value", () => {
    const compiled = NASTY.flatMap((s) => [compile(quote(s), FIELDS), compile(`concat(device_id, ${quote(s)}) == concat('Sensor-7', ${quote(s)})`, FIELDS)]);
    for (const code of compiled) expect(code).not.toMatch(/[\n\r\u2028\u2029]/);
    const { values, context } = evaluate(RECORD, compiled);
    expect(values).toEqual(NASTY.flatMap((s) => [s, true]));
    expect(context["pwned"]).toBeUndefined();
  });

  it("string literals compare against record values containing the same characters", () => {
    const record = Object.fromEntries(NASTY.map((s, i) => [`f${i}`, s]));
    const fields: RecordType = Object.fromEntries(NASTY.map((_, i) => [`f${i}`, "string" as const]));
    const compiled = NASTY.map((s, i) => compile(`f${i} == ${quote(s)} and f${i} in [${quote(s)}]`, fields));
    const { values, context } = evaluate(record, compiled);
    expect(values).toEqual(NASTY.map(() => true));
    expect(context["pwned"]).toBeUndefined();
  });

  it("field names compile to inert property keys", () => {
    // The lexer only accepts identifier-like names, but the AST is public, so the compiler must
    // be safe on its own.
    const names = [...NASTY, "__proto__x", "constructor"];
    const record = Object.fromEntries(names.map((name, i) => [name, `value ${i}`]));
    const compiled = names.map((name) => {
      const ast: Expr = { kind: "field", name, offset: 0, length: name.length };
      return compileChecked(ast, { [name]: "string" });
    });
    const { values, context } = evaluate(record, compiled);
    expect(values).toEqual(names.map((_, i) => `value ${i}`));
    expect(context["pwned"]).toBeUndefined();
  });
});
