/**
 * Planned data printed as an HCL expression, for arguments whose value is a whole document
 * (`jsonencode({...})` of a dashboard body or a state machine definition): strings are escaped by
 * hclString, references built by pipegen are `Raw` and printed verbatim.
 */
import { hclKey, hclString, Raw } from "../emit/hcl-literal.ts";

/** HCL values: strings, numbers, null, references, lists and objects (keys in insertion order). */
export type HclValue = string | number | boolean | null | Raw | HclValue[] | { [key: string]: HclValue };

const isFlat = (v: HclValue): boolean =>
  !Array.isArray(v) && (typeof v !== "object" || v === null || v instanceof Raw || Object.values(v).every((x) => typeof x !== "object" || x === null || x instanceof Raw));

/** Prints a value; lists of scalars and flat objects stay on one line, the rest one entry per line (terraform fmt aligns them). */
export function printHcl(v: HclValue, inline = false): string {
  if (v === null) return "null";
  if (v instanceof Raw) return v.expr;
  if (typeof v === "string") return hclString(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) {
    if (v.every(isFlat)) return `[${v.map((x) => printHcl(x, true)).join(", ")}]`;
    return `[\n${v.map((x) => `${printHcl(x)},`).join("\n")}\n]`;
  }
  const entries = Object.entries(v).map(([k, x]) => `${hclKey(k)} = ${printHcl(x, inline)}`);
  return inline ? `{ ${entries.join(", ")} }` : `{\n${entries.join("\n")}\n}`;
}
