/** DynamoDB's typed JSON (AttributeValue) to plain values and back, for the in-process fake. */

/** One DynamoDB AttributeValue as it travels in the JSON protocol. */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { M: Record<string, AttributeValue> }
  | { L: AttributeValue[] }
  | { SS: string[] }
  | { NS: string[] }
  | { B: string };

/** An item: attribute name → AttributeValue. */
export type RawItem = Record<string, AttributeValue>;

/** Plain JS value of an AttributeValue (numbers as numbers, sets as arrays). */
export function fromAttr(v: AttributeValue): unknown {
  if ("S" in v) return v.S;
  if ("N" in v) return Number(v.N);
  if ("BOOL" in v) return v.BOOL;
  if ("NULL" in v) return null;
  if ("M" in v) return fromItem(v.M);
  if ("L" in v) return v.L.map(fromAttr);
  if ("SS" in v) return [...v.SS];
  if ("NS" in v) return v.NS.map(Number);
  return v.B;
}

/** Plain object of an item. */
export function fromItem(item: RawItem): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(item)) out[k] = fromAttr(item[k]!);
  return out;
}

/** AttributeValue of a plain JS value (what lib-dynamodb's marshalling would send). */
export function toAttr(v: unknown): AttributeValue {
  if (v === null || v === undefined) return { NULL: true };
  if (typeof v === "string") return { S: v };
  if (typeof v === "number") return { N: String(v) };
  if (typeof v === "boolean") return { BOOL: v };
  if (Array.isArray(v)) return { L: v.map(toAttr) };
  if (typeof v === "object") {
    const m: Record<string, AttributeValue> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) m[k] = toAttr(x);
    return { M: m };
  }
  return { S: String(v) };
}

/** Total order used to compare scalar attribute values (numbers numerically, the rest as strings). */
export function compareAttr(a: AttributeValue, b: AttributeValue): number {
  if ("N" in a && "N" in b) return Number(a.N) - Number(b.N);
  const sa = JSON.stringify(fromAttr(a));
  const sb = JSON.stringify(fromAttr(b));
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Structural equality of two AttributeValues (numbers compared as numbers). */
export function equalAttr(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if ("N" in a && "N" in b) return Number(a.N) === Number(b.N);
  return JSON.stringify(a) === JSON.stringify(b);
}
