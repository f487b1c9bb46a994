import { describe, expect, it } from "vitest";
import { contractViolation, isTimestamp } from "../../src/runtime/index.ts";
import type { Contract } from "../../src/runtime/index.ts";

const contract: Contract = { fields: { device_id: "string", temp: "number", ok: "boolean", ts: "timestamp" } };
const good = { device_id: "d1", temp: 21.5, ok: true, ts: "2024-06-10T06:01:02Z" };

describe("contractViolation", () => {
  const cases: Array<{ name: string; given: unknown; want: string | null }> = [
    { name: "valid record", given: good, want: null },
    { name: "extra fields allowed", given: { ...good, extra: [1, 2] }, want: null },
    { name: "timestamp with millis and offset", given: { ...good, ts: "2024-06-10T06:01:02.123+02:00" }, want: null },
    { name: "date-only timestamp", given: { ...good, ts: "2024-06-10" }, want: null },
    { name: "missing field", given: { device_id: "d1", temp: 1, ok: true }, want: "missing field 'ts'" },
    { name: "number as string", given: { ...good, temp: "21.5" }, want: "field 'temp' is not a number" },
    { name: "NaN-like null number", given: { ...good, temp: null }, want: "field 'temp' is not a number" },
    { name: "boolean as string", given: { ...good, ok: "true" }, want: "field 'ok' is not a boolean" },
    { name: "string as number", given: { ...good, device_id: 7 }, want: "field 'device_id' is not a string" },
    { name: "free-form date rejected", given: { ...good, ts: "June 10 2024" }, want: "field 'ts' is not a timestamp" },
    { name: "impossible date rejected", given: { ...good, ts: "2024-13-45T00:00:00Z" }, want: "field 'ts' is not a timestamp" },
    { name: "epoch number is not a timestamp", given: { ...good, ts: 1718000000 }, want: "field 'ts' is not a timestamp" },
    { name: "array", given: [good], want: "record is not a JSON object" },
    { name: "null", given: null, want: "record is not a JSON object" },
    { name: "scalar", given: 42, want: "record is not a JSON object" },
  ];
  it.each(cases)("$name", ({ given, want }) => {
    expect(contractViolation(contract, given)).toBe(want);
  });

  it("never echoes field values in the reason", () => {
    const reason = contractViolation(contract, { ...good, device_id: { secret: "hunter2" } });
    expect(reason).not.toContain("hunter2");
  });
});

describe("isTimestamp", () => {
  it.each([
    ["2024-06-10T06:01:02Z", true],
    ["2024-06-10T06:01Z", true],
    ["2024-06-10T06:01:02.123456Z", true],
    ["", false],
    ["yesterday", false],
    [null, false],
  ])("%s -> %s", (given, want) => {
    expect(isTimestamp(given)).toBe(want);
  });
});
