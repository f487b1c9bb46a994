/**
 * Comparing expected and actual records for `pipegen test`, and describing the difference in a way
 * a reader can act on: which expected record is missing, the closest actual record with the fields
 * that differ, and which actual records were not expected.
 */

export type Rec = Record<string, unknown>;
export type MatchMode = "exact" | "subset";

/** One failed expectation: a title and the lines of its diff. */
export interface Mismatch {
  title: string;
  lines: string[];
}

/** Numbers equal within a relative 1e-9 (aggregates are sums and divisions of floats). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameValue(a[k], b[k]));
  }
  return a === b;
}

function isObject(v: unknown): v is Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Does `actual` satisfy `expected`: same fields and values (exact), or the listed fields equal (subset). */
export function recordMatches(expected: Rec, actual: Rec, mode: MatchMode): boolean {
  const keys = Object.keys(expected);
  if (mode === "exact" && Object.keys(actual).length !== keys.length) return false;
  return keys.every((k) => k in actual && sameValue(expected[k], actual[k]));
}

/** Maximum matching of expected to actual records (Kuhn's augmenting paths): expected index → actual index. */
function matchAll(expected: readonly Rec[], actual: readonly Rec[], mode: MatchMode): Map<number, number> {
  const fits = expected.map((e) => actual.map((a, j) => (recordMatches(e, a, mode) ? j : -1)).filter((j) => j >= 0));
  const owner = new Map<number, number>();
  const tryAssign = (i: number, seen: Set<number>): boolean => {
    for (const j of fits[i]!) {
      if (seen.has(j)) continue;
      seen.add(j);
      const prev = owner.get(j);
      if (prev === undefined || tryAssign(prev, seen)) {
        owner.set(j, i);
        return true;
      }
    }
    return false;
  };
  expected.forEach((_, i) => tryAssign(i, new Set()));
  return new Map([...owner].map(([j, i]) => [i, j]));
}

/** A value as the diff prints it: JSON, with object keys unquoted when they are plain names. */
export function show(v: unknown): string {
  if (isObject(v)) return `{ ${Object.entries(v).map(([k, x]) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : JSON.stringify(k)}: ${show(x)}`).join(", ")} }`;
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  return v === undefined ? "(absent)" : JSON.stringify(v);
}

/** Field-by-field differences of the closest actual record to an expected one. */
function fieldDiff(expected: Rec, actual: Rec, mode: MatchMode): string[] {
  const out: string[] = [];
  for (const k of Object.keys(expected)) {
    if (!(k in actual)) out.push(`${k}: expected ${show(expected[k])}, field absent`);
    else if (!sameValue(expected[k], actual[k])) out.push(`${k}: expected ${show(expected[k])}, got ${show(actual[k])}`);
  }
  if (mode === "exact") for (const k of Object.keys(actual)) if (!(k in expected)) out.push(`${k}: not expected, got ${show(actual[k])}`);
  return out;
}

function closestIndex(e: Rec, pool: readonly Rec[], candidates: readonly number[]): number | undefined {
  let best: number | undefined;
  let score = -1;
  for (const j of candidates) {
    const a = pool[j]!;
    const s = Object.keys(e).filter((k) => k in a && sameValue(e[k], a[k])).length;
    if (s > score) {
      score = s;
      best = j;
    }
  }
  return score > 0 ? best : undefined;
}

/** Compares a record list and/or count; undefined when everything expected holds. */
export function compareRecords(o: { what: string; expected?: readonly Rec[]; count?: number; actual: readonly Rec[]; mode: MatchMode }): Mismatch | undefined {
  const lines: string[] = [];
  if (o.count !== undefined && o.count !== o.actual.length) lines.push(`expected ${o.count} record${o.count === 1 ? "" : "s"}, got ${o.actual.length}`);
  if (o.expected) {
    if (o.mode === "exact" && o.count === undefined && o.expected.length !== o.actual.length) lines.push(`expected ${o.expected.length} record${o.expected.length === 1 ? "" : "s"}, got ${o.actual.length}`);
    const m = matchAll(o.expected, o.actual, o.mode);
    const usedActual = new Set(m.values());
    const freeActual = o.actual.map((_, j) => j).filter((j) => !usedActual.has(j));
    const paired = new Set<number>();
    o.expected.forEach((e, i) => {
      if (m.has(i)) return;
      lines.push(`- expected record ${i + 1} not found: ${show(e)}`);
      const j = closestIndex(e, o.actual, freeActual.filter((x) => !paired.has(x)));
      if (j !== undefined) {
        paired.add(j);
        lines.push(`  closest actual record ${j + 1}: ${show(o.actual[j])}`);
        for (const d of fieldDiff(e, o.actual[j]!, o.mode)) lines.push(`    ${d}`);
      }
    });
    if (o.mode === "exact") for (const j of freeActual) if (!paired.has(j)) lines.push(`+ unexpected record ${j + 1}: ${show(o.actual[j])}`);
  }
  if (!lines.length) return undefined;
  if (o.expected && o.actual.length && o.actual.length <= 20 && lines.every((l) => !l.startsWith("+") && !l.startsWith("  closest"))) {
    lines.push(`actual records: ${o.actual.map(show).join(", ")}`);
  }
  if (!o.actual.length) lines.push("no records came out");
  return { title: `records at \`${o.what}\` differ (match: ${o.mode})`, lines };
}

/** An inserted record and what happened to it. */
export interface Outcome {
  index: number;
  record: Rec;
  reason?: string;
}

/** Compares dropped or failed records with a count or a list (listed fields compared, others ignored). */
export function compareOutcome(kind: "dropped" | "failed", expected: number | readonly Rec[] | undefined, actual: readonly Outcome[]): Mismatch | undefined {
  const describe = (a: Outcome) => `record ${a.index + 1} ${show(a.record)}${a.reason ? ` — ${a.reason}` : ""}`;
  if (expected === undefined) {
    if (kind === "dropped" || actual.length === 0) return undefined;
    return { title: `${actual.length} inserted record${actual.length === 1 ? "" : "s"} failed, and the case expects none (add \`failed:\` if that is intended)`, lines: actual.map((a) => `! ${describe(a)}`) };
  }
  if (typeof expected === "number") {
    if (expected === actual.length) return undefined;
    return { title: `expected ${expected} ${kind} record${expected === 1 ? "" : "s"}, got ${actual.length}`, lines: actual.map((a) => `${kind}: ${describe(a)}`) };
  }
  const pool = actual.map((a) => a.record);
  const m = matchAll(expected, pool, "subset");
  const lines: string[] = [];
  expected.forEach((e, i) => {
    if (!m.has(i)) lines.push(`- expected ${kind} record not ${kind}: ${show(e)}`);
  });
  const used = new Set(m.values());
  actual.forEach((a, j) => {
    if (!used.has(j)) lines.push(`+ also ${kind}: ${describe(a)}`);
  });
  return lines.length ? { title: `${kind} records differ`, lines } : undefined;
}
