/** Compact per-group aggregates carried in the tumbling-window `state` (Record<string,string>, max 1 MB). */

/** Aggregate function of a measure. */
export type MeasureFn = "avg" | "min" | "max" | "sum" | "count";

/** One output measure. */
export interface Measure {
  name: string;
  fn: MeasureFn;
  field?: string;
}

/** Running aggregate of one group: record count and [sum, min, max] per measured field. */
export interface GroupAgg {
  n: number;
  f: Record<string, [sum: number, min: number, max: number]>;
}

/** Fields whose numeric value must be tracked (count needs none). */
export function measuredFields(measures: readonly Measure[]): string[] {
  const fields = new Set<string>();
  for (const m of measures) {
    if (m.fn === "count") continue;
    if (m.field === undefined) throw new Error(`measure '${m.name}' (${m.fn}) needs a field`);
    fields.add(m.field);
  }
  return [...fields];
}

/** Group key: a JSON array of the group values, in groupBy order. */
export function groupKey(values: readonly unknown[]): string {
  return JSON.stringify(values);
}

/** Adds one record's measured values to a group aggregate (returns a new object). */
export function addValues(agg: GroupAgg | undefined, values: Readonly<Record<string, number>>): GroupAgg {
  const out: GroupAgg = { n: (agg?.n ?? 0) + 1, f: { ...(agg?.f ?? {}) } };
  for (const [field, v] of Object.entries(values)) {
    const prev = out.f[field];
    out.f[field] = prev ? [prev[0] + v, Math.min(prev[1], v), Math.max(prev[2], v)] : [v, v, v];
  }
  return out;
}

/** Combines two aggregates of the same group. */
export function mergeAggs(a: GroupAgg, b: GroupAgg): GroupAgg {
  const out: GroupAgg = { n: a.n + b.n, f: { ...a.f } };
  for (const [field, [s, lo, hi]] of Object.entries(b.f)) {
    const prev = out.f[field];
    out.f[field] = prev ? [prev[0] + s, Math.min(prev[1], lo), Math.max(prev[2], hi)] : [s, lo, hi];
  }
  return out;
}

/** Value of one measure; avg is sum/count so partial sums from several invocations combine exactly. */
export function measureValue(agg: GroupAgg, m: Measure): number | null {
  if (m.fn === "count") return agg.n;
  const s = agg.f[m.field!];
  if (!s || agg.n === 0) return null;
  switch (m.fn) {
    case "sum":
      return s[0];
    case "avg":
      return s[0] / agg.n;
    case "min":
      return s[1];
    case "max":
      return s[2];
  }
}

function isAgg(v: unknown): v is GroupAgg {
  if (typeof v !== "object" || v === null) return false;
  const a = v as Partial<GroupAgg>;
  return typeof a.n === "number" && typeof a.f === "object" && a.f !== null &&
    Object.values(a.f).every((t) => Array.isArray(t) && t.length === 3 && t.every((x) => typeof x === "number"));
}

/** Parses the event state; throws on a malformed entry rather than silently resetting the window. */
export function decodeState(state: Record<string, string> | null | undefined): Map<string, GroupAgg> {
  const out = new Map<string, GroupAgg>();
  for (const [k, v] of Object.entries(state ?? {})) {
    const parsed: unknown = JSON.parse(v);
    if (!isAgg(parsed)) throw new Error(`window state entry is malformed (group ${k.slice(0, 100)})`);
    out.set(k, parsed);
  }
  return out;
}

/** Serialises aggregates back into the state map, one compact JSON value per group key. */
export function encodeState(groups: ReadonlyMap<string, GroupAgg>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of groups) out[k] = JSON.stringify(v);
  return out;
}

/** UTF-8 size of the state as Lambda receives it in the JSON response. */
export function stateBytes(state: Record<string, string>): number {
  return Buffer.byteLength(JSON.stringify(state));
}
