/** Contract checking for decoded records. */
import type { Contract, FieldType } from "./types.ts";

// Date.parse also accepts free-form dates ("March 7 2024"); require the ISO-8601 shape first.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** True when `v` is an ISO-8601 timestamp string that Date.parse accepts. */
export function isTimestamp(v: unknown): v is string {
  return typeof v === "string" && ISO_8601.test(v) && !Number.isNaN(Date.parse(v));
}

function matches(t: FieldType, v: unknown): boolean {
  switch (t) {
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return typeof v === "boolean";
    case "timestamp":
      return isTimestamp(v);
  }
}

/** Returns why `value` violates the contract (field names and types only, never values), or null. */
export function contractViolation(contract: Contract, value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "record is not a JSON object";
  const rec = value as Record<string, unknown>;
  for (const [field, type] of Object.entries(contract.fields)) {
    if (!(field in rec) || rec[field] === undefined) return `missing field '${field}'`;
    if (!matches(type, rec[field])) return `field '${field}' is not a ${type}`;
  }
  return null;
}
