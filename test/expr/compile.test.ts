import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { Expr, RecordType } from "../../src/expr/index.ts";
import { checkExpression, compileExpression, parseExpression } from "../../src/expr/index.ts";
import { compile, compileChecked, moduleSource } from "./helpers.ts";

const FIELDS: RecordType = {
  temperature: "number",
  device_id: "string",
  recorded_at: "timestamp",
  active: "boolean",
};

// given expression, want TypeScript
const CASES: [given: string, want: string][] = [
    ["temperature >= -50", "(r[\"temperature\"] as number) >= -50"],
    ["temperature >= -50 and temperature <= 150", "(r[\"temperature\"] as number) >= -50 && (r[\"temperature\"] as number) <= 150"],
    ["active", "(r[\"active\"] as boolean)"],
    ["not active", "!(r[\"active\"] as boolean)"],
    ["not not active", "!!(r[\"active\"] as boolean)"],
    ["not (temperature > 3)", "!((r[\"temperature\"] as number) > 3)"],
    ["active or temperature > 1 and temperature < 2", "(r[\"active\"] as boolean) || ((r[\"temperature\"] as number) > 1 && (r[\"temperature\"] as number) < 2)"],
    ["(active or active) and active", "((r[\"active\"] as boolean) || (r[\"active\"] as boolean)) && (r[\"active\"] as boolean)"],
    ["active or (active or active)", "(r[\"active\"] as boolean) || ((r[\"active\"] as boolean) || (r[\"active\"] as boolean))"],
    ["active and (active and active)", "(r[\"active\"] as boolean) && ((r[\"active\"] as boolean) && (r[\"active\"] as boolean))"],
    ["(active and active) or active", "((r[\"active\"] as boolean) && (r[\"active\"] as boolean)) || (r[\"active\"] as boolean)"],
    ["-temperature", "-(r[\"temperature\"] as number)"],
    ["- -temperature", "-(-(r[\"temperature\"] as number))"],
    ["- -5", "-(-5)"],
    ["-(2 + temperature)", "-(2 + (r[\"temperature\"] as number))"],
    ["temperature - -5", "(r[\"temperature\"] as number) - -5"],
    ["temperature - (1 - 2)", "(r[\"temperature\"] as number) - (1 - 2)"],
    ["(temperature - 1) - 2", "(r[\"temperature\"] as number) - 1 - 2"],
    ["temperature * (1 + 2)", "(r[\"temperature\"] as number) * (1 + 2)"],
    ["temperature / 2 % 3", "(r[\"temperature\"] as number) / 2 % 3"],
    ["temperature / (2 % 3)", "(r[\"temperature\"] as number) / (2 % 3)"],
    ["0.1 + 1e3 + 1e21 + 2.5E-7", "0.1 + 1000 + 1e+21 + 2.5e-7"],
    ["-0", "-0"],
    ["device_id == 'a' or device_id != \"b\"", "(r[\"device_id\"] as string) === \"a\" || (r[\"device_id\"] as string) !== \"b\""],
    ["device_id < 'm'", "(r[\"device_id\"] as string) < \"m\""],
    ["1 == 2", "(1 as number) === 2"],
    ["'a' != 'b'", "(\"a\" as string) !== \"b\""],
    ["true == false", "(true as boolean) === false"],
    ["1 < 2", "1 < 2"],
    ["-1 == 2", "(-1 as number) === 2"],
    ["1 + 1 != 2", "((1 + 1) as number) !== 2"],
    ["false == (not false)", "(false as boolean) === !false"],
    ["lower('A') == 'a'", "(pgLower(\"A\") as string) === \"a\""],
    ["true and false or not true", "(true && false) || !true"],
    ["temperature == null", "(r[\"temperature\"] as number) == null"],
    ["null != device_id", "null != (r[\"device_id\"] as string)"],
    ["null == null", "null == null"],
    ["recorded_at >= '2024-01-01'", "Date.parse(r[\"recorded_at\"] as string) >= Date.parse(\"2024-01-01\")"],
    ["'2024-01-01T00:00:00Z' < recorded_at", "Date.parse(\"2024-01-01T00:00:00Z\") < Date.parse(r[\"recorded_at\"] as string)"],
    ["recorded_at == recorded_at", "Date.parse(r[\"recorded_at\"] as string) === Date.parse(r[\"recorded_at\"] as string)"],
    ["recorded_at != null", "(r[\"recorded_at\"] as string) != null"],
    ["device_id in ['a', 'b']", "[\"a\", \"b\"].includes(r[\"device_id\"] as string)"],
    ["temperature in [1, -2.5]", "[1, -2.5].includes(r[\"temperature\"] as number)"],
    ["not device_id in ['x']", "![\"x\"].includes(r[\"device_id\"] as string)"],
    ["active in [true, false]", "[true, false].includes(r[\"active\"] as boolean)"],
    ["recorded_at in ['2024-01-01', '2024-01-02']", "[Date.parse(\"2024-01-01\"), Date.parse(\"2024-01-02\")].includes(Date.parse(r[\"recorded_at\"] as string))"],
    ["temperature + 1 in [2]", "[2].includes((r[\"temperature\"] as number) + 1)"],
    ["(active == true) == (temperature > 1)", "((r[\"active\"] as boolean) === true) === ((r[\"temperature\"] as number) > 1)"],
    ["abs(temperature)", "Math.abs(r[\"temperature\"] as number)"],
    ["round(temperature)", "pgRound(r[\"temperature\"] as number, 0)"],
    ["round(temperature, 2)", "pgRound(r[\"temperature\"] as number, 2)"],
    ["floor(temperature / 2) + ceil(-temperature)", "Math.floor((r[\"temperature\"] as number) / 2) + Math.ceil(-(r[\"temperature\"] as number))"],
    ["lower(device_id) == upper('x')", "pgLower(r[\"device_id\"] as string) === pgUpper(\"x\")"],
    ["length(device_id) > 3", "pgLength(r[\"device_id\"] as string) > 3"],
    ["concat(device_id, '-', to_string(temperature))", "pgConcat(r[\"device_id\"] as string, \"-\", pgToString(r[\"temperature\"] as number))"],
    ["coalesce(device_id, 'unknown')", "pgCoalesce<string>(r[\"device_id\"] as string, \"unknown\")"],
    ["coalesce(temperature, null) > 1", "pgCoalesce<number>(r[\"temperature\"] as number, null) > 1"],
    ["'a' == coalesce('b', null)", "(\"a\" as string) === pgCoalesce<string>(\"b\", null)"],
    ["coalesce(null, null) == null", "pgCoalesce<null>(null, null) == null"],
    ["coalesce(null, temperature) > 1", "pgCoalesce<number>(null, r[\"temperature\"] as number) > 1"],
    ["date(recorded_at) == '2024-01-01'", "pgDate(r[\"recorded_at\"] as string) === \"2024-01-01\""],
    ["hour(recorded_at) >= 9 and hour(recorded_at) < 17", "pgHour(r[\"recorded_at\"] as string) >= 9 && pgHour(r[\"recorded_at\"] as string) < 17"],
    ["to_number(device_id) * 2", "pgToNumber(r[\"device_id\"] as string) * 2"],
    ["to_string(active)", "pgToString(r[\"active\"] as boolean)"],
    ["date('2024-01-01T10:00:00Z')", "pgDate(\"2024-01-01T10:00:00Z\")"],
    ["coalesce(recorded_at, '2024-01-01') > '2023-12-31'", "Date.parse(pgCoalesce<string>(r[\"recorded_at\"] as string, \"2024-01-01\")) > Date.parse(\"2023-12-31\")"],
];

describe("compileExpression: exact output", () => {
  it.each(CASES)("%j", (given, want) => {
    expect(compile(given, FIELDS)).toBe(want);
  });

  it("uses the given record variable", () => {
    expect(compile("temperature > 1", FIELDS, "rec")).toBe('(rec["temperature"] as number) > 1');
  });

  it("never emits a raw line break, even for strings that contain one", () => {
    expect(compile("device_id == 'a\nb\u2028'", FIELDS)).toBe('(r["device_id"] as string) === "a\\nb\\u2028"');
  });

  it("refuses a record variable that is not an identifier", () => {
    const { ast } = parseExpression("temperature > 1");
    if (!ast) throw new Error("no ast");
    checkExpression(ast, FIELDS);
    expect(() => compileExpression(ast, "r); evil(")).toThrow(/is not an identifier/);
  });

  it("refuses an AST that has not been checked", () => {
    const { ast } = parseExpression("temperature > 1");
    if (!ast) throw new Error("no ast");
    expect(() => compileExpression(ast, "r")).toThrow(/has not been checked/);
  });

  it("refuses an AST whose check failed", () => {
    const { ast } = parseExpression("nope > 1");
    if (!ast) throw new Error("no ast");
    checkExpression(ast, FIELDS);
    expect(() => compileExpression(ast, "r")).toThrow(/has not been checked/);
  });

  it("refuses non-finite numbers in hand-built ASTs", () => {
    const ast: Expr = { kind: "literal", value: Infinity, offset: 0, length: 1 };
    checkExpression(ast, {});
    expect(() => compileExpression(ast, "r")).toThrow(/not finite/);
  });

  it("quotes hand-built field names with JSON.stringify", () => {
    const name = 'a"]; x["';
    const ast: Expr = { kind: "field", name, offset: 0, length: 1 };
    expect(compileChecked(ast, { [name]: "number" })).toBe(`(r[${JSON.stringify(name)}] as number)`);
  });
});

const exec = promisify(execFile);

/** Runs `tsc --noEmit --strict` on one file in a fresh temp dir; returns its diagnostics output. */
async function typeCheck(source: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pipegen-expr-"));
  try {
    await writeFile(path.join(dir, "compiled.ts"), source);
    // A tsconfig with `types: []` keeps the check independent of whatever @types are installed.
    const compilerOptions = { noUncheckedIndexedAccess: true, target: "ES2022", module: "ES2022", lib: ["ES2022"], types: [] };
    await writeFile(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["compiled.ts"] }));
    const tsc = path.resolve("node_modules/.bin/tsc");
    const result = await exec(tsc, ["--noEmit", "--strict", "-p", dir]).catch((e: { stdout?: string; stderr?: string }) => e);
    return `${result.stdout ?? ""}${result.stderr ?? ""}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("compiled output type-checks under tsc --strict", () => {
  it("accepts every compiled case pasted next to EXPRESSION_RUNTIME_TS", async () => {
    const compiled = CASES.map(([given]) => compile(given, FIELDS));
    expect(await typeCheck(moduleSource({ temperature: 1 }, compiled))).toBe("");
  });

  it("notices a type error, so the test above cannot pass vacuously", async () => {
    expect(await typeCheck(moduleSource({}, ['(r["x"] as string) * 2']))).toMatch(/error TS2362/);
  });
});
