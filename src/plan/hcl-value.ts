/**
 * Planned data printed as an HCL expression, for arguments whose value is a whole document
 * (`jsonencode({...})` of a dashboard body or a state machine definition): strings are escaped by
 * hclString, references built by pipegen are `Raw` and printed verbatim.
 */
import { hclKey, hclString, Raw } from "../emit/hcl-literal.ts";

/** HCL values: strings, numbers, null, references, lists and objects (keys in insertion order). */
export type HclValue = string | number | boolean | null | Raw | HclValue[] | { [key: string]: HclValue };

/** A scalar, or an object of scalars: printed on one line inside a list. */
function isFlat(v: HclValue): boolean {
  if (Array.isArray(v)) return false;
  if (typeof v !== "object" || v === null || v instanceof Raw) return true;
  for (const k in v) {
    const x = v[k]!;
    if (typeof x === "object" && x !== null && !(x instanceof Raw)) return false;
  }
  return true;
}

/** Prints a value; lists of scalars and flat objects stay on one line, the rest one entry per line (terraform fmt aligns them). */
export function printHcl(v: HclValue, inline = false): string {
  const out: string[] = [];
  print(v, inline, 0, out);
  return out.join("");
}

const indent = (depth: number) => "  ".repeat(depth);

// One output array and plain loops: a dashboard body is ~600 values, printed once per module, so
// this runs in V8's interpreter, where every map/join/entries allocation and callback counts.
// Nested lines are indented (terraform fmt would redo it anyway) so that no `}` of a value lands at
// column 0, where format-hcl.ts splits a file into top-level blocks.
function print(v: HclValue, inline: boolean, depth: number, out: string[]): void {
  if (v === null) out.push("null");
  else if (v instanceof Raw) out.push(v.expr);
  else if (typeof v === "string") out.push(hclString(v));
  else if (typeof v === "number" || typeof v === "boolean") out.push(String(v));
  else if (Array.isArray(v)) {
    let flat = true;
    for (let i = 0; i < v.length && flat; i++) flat = isFlat(v[i]!);
    out.push(flat ? "[" : "[\n");
    const inner = indent(depth + 1);
    for (let i = 0; i < v.length; i++) {
      if (flat) {
        if (i > 0) out.push(", ");
        print(v[i]!, true, depth + 1, out);
      } else {
        out.push(inner);
        print(v[i]!, false, depth + 1, out);
        out.push(",\n");
      }
    }
    out.push(flat ? "]" : `${indent(depth)}]`);
  } else {
    out.push(inline ? "{ " : "{\n");
    const inner = inline ? "" : indent(depth + 1);
    let first = true;
    for (const k in v) {
      if (!first) out.push(inline ? ", " : "\n");
      first = false;
      out.push(inner, hclKey(k), " = ");
      print(v[k]!, inline, depth + 1, out);
    }
    out.push(inline ? " }" : `\n${indent(depth)}}`);
  }
}
