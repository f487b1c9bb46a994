/** Edit distance with adjacent transpositions, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a distance that still looks like a typo, or undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  if (word === "") return undefined;
  // A one- or two-letter word is within two edits of any short name; only suggest near-identical ones.
  const limit = word.length <= 2 ? 1 : Math.max(2, Math.floor(word.length / 3));
  for (const c of [...candidates].sort()) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD && dist <= limit) {
      best = c;
      bestD = dist;
    }
  }
  if (best !== undefined || word.length < 4) return best;
  // A truncated name (`retention` for `retention_hours`, `device` for `device_id`) is far in edits but
  // obvious to a reader; suggest it when exactly one candidate extends the word at a `_`/`-` boundary.
  const w = word.toLowerCase();
  const extending = candidates.filter((c) => c.toLowerCase().startsWith(w) && /[_-]/.test(c.charAt(w.length)));
  return extending.length === 1 ? extending[0] : undefined;
}

/** "did you mean `x`? known keys: a, b, c" — the hint every unknown-name error uses. */
export function didYouMean(word: string, candidates: readonly string[], what = "known keys"): string {
  const sorted = [...candidates].sort();
  const c = closest(word, sorted);
  const list = `${what}: ${sorted.join(", ")}`;
  return c ? `did you mean \`${c}\`? ${list}` : list;
}

/** Just enough of a component for `droppedBy` (kept structural so this module needs no model import). */
interface Upstream {
  id: string;
  type: string;
  inputs: string[];
  config: Record<string, unknown>;
}

/**
 * Why a field of the record contract is missing from the records arriving from `fromId`: the
 * nearest upstream component that reshapes records. Undefined when the field is not in the contract
 * (then it is a plain typo and did-you-mean says enough).
 */
export function droppedBy(
  model: { record: Record<string, unknown>; byId: ReadonlyMap<string, Upstream> },
  fromId: string,
  field: string,
): { by: string; reason: string; hint: string } | undefined {
  if (!(field in model.record)) return undefined;
  const seen = new Set<string>();
  for (let c = model.byId.get(fromId); c && !seen.has(c.id); c = model.byId.get(c.inputs[0] ?? "")) {
    seen.add(c.id);
    if (c.type === "aggregate") {
      // Point at what the aggregate offers instead: fields computed from this one, the window bounds
      // for a timestamp, or grouping by it for a key-like field.
      const computed = Object.entries((c.config.compute ?? {}) as Record<string, string>)
        .filter(([, src]) => new RegExp(`\\(\\s*${field}\\s*\\)`).test(src))
        .map(([name]) => `\`${name}\``)
        .sort();
      const hint = computed.length
        ? `use a field \`${c.id}\` computes from it: ${computed.join(", ")}`
        : model.record[field] === "timestamp"
          ? `use \`window_start\` or \`window_end\`, or add a compute entry such as \`last_${field}: max(${field})\` to \`${c.id}\``
          : `add \`${field}\` to \`group_by\` of \`${c.id}\`, or use a field it emits`;
      return {
        by: c.id,
        reason: `aggregate \`${c.id}\` emits one record per group and window, holding only its \`group_by\` fields, \`window_start\`, \`window_end\` and its \`compute\` fields`,
        hint,
      };
    }
    const cfg = c.config as { rename?: Record<string, string>; drop?: string[]; output?: Record<string, string> };
    if (c.type === "map" && (cfg.drop?.includes(field) || (cfg.rename && field in cfg.rename))) {
      return { by: c.id, reason: `map \`${c.id}\` ${cfg.drop?.includes(field) ? "drops" : "renames"} it`, hint: `use the field as \`${c.id}\` emits it, or keep it in that map` };
    }
    if (c.type === "function" && cfg.output && !(field in cfg.output)) {
      return { by: c.id, reason: `function \`${c.id}\` declares an \`output\` contract without it`, hint: `add \`${field}\` to the \`output\` of \`${c.id}\`, or use a field it emits` };
    }
  }
  return undefined;
}
