/** Synthetic field generators for the generator source. */

/** How one generated field gets its value. */
export type Gen =
  | { one_of: Array<string | number> }
  | { uniform: [number, number]; decimals?: number }
  | { now: true }
  | { sequence: { start: number } }
  | { constant: string | number | boolean };

/** Injected randomness and clock, so tests are deterministic. */
export interface GenDeps {
  random?: () => number;
  now?: () => Date;
}

/** Per-field mutable state: the next value of each `sequence` field. */
export type SeqState = Map<string, number>;

/** Produces one field value; `random` must return a number in [0, 1). */
export function genValue(field: string, g: Gen, random: () => number, now: () => Date, seq: SeqState): string | number | boolean {
  if ("one_of" in g) {
    if (g.one_of.length === 0) throw new Error(`field '${field}': one_of is empty`);
    return g.one_of[Math.min(g.one_of.length - 1, Math.floor(random() * g.one_of.length))]!;
  }
  if ("uniform" in g) {
    const [lo, hi] = g.uniform;
    const v = lo + random() * (hi - lo);
    if (g.decimals === undefined) return v;
    const f = 10 ** g.decimals;
    return Math.round(v * f) / f;
  }
  if ("now" in g) return now().toISOString();
  if ("sequence" in g) {
    const v = seq.get(field) ?? g.sequence.start;
    seq.set(field, v + 1);
    return v;
  }
  return g.constant;
}

/** Builds one record, generating fields in declaration order. */
export function genRecord(fields: Readonly<Record<string, Gen>>, random: () => number, now: () => Date, seq: SeqState): Record<string, string | number | boolean> {
  const rec: Record<string, string | number | boolean> = {};
  for (const [name, g] of Object.entries(fields)) rec[name] = genValue(name, g, random, now, seq);
  return rec;
}
