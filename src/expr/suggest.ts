// "Did you mean" support for unknown names.

/** Orders strings by Unicode code point, unlike the default sort which compares UTF-16 units. */
export function compareCodePoints(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = (x.value.codePointAt(0) ?? 0) - (y.value.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
}

/** Edit distance counting insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const s = Array.from(a);
  const t = Array.from(b);
  // Three rolling rows are enough for the optimal-string-alignment variant of Damerau-Levenshtein.
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur: number[] = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, (prev2[j - 2] ?? 0) + 1);
      }
      cur.push(best);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[t.length] ?? 0;
}

/** The candidate closest to `name`, if any is close enough to be a plausible typo or abbreviation. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of [...candidates].sort(compareCodePoints)) {
    // Case is ignored so `Temperature` still finds `temperature`.
    const other = candidate.toLowerCase();
    const d = editDistance(lower, other);
    const limit = Math.max(1, Math.floor(Math.max(lower.length, other.length) / 3));
    let score = d <= limit ? d : Infinity;
    // Abbreviations (`temp`, `average` vs `avg`) are too far apart for edit distance; rank them
    // after every typo-distance match.
    if (score === Infinity && Math.min(lower.length, other.length) >= 3 && (isSubsequence(lower, other) || isSubsequence(other, lower))) {
      score = 1000 + Math.abs(lower.length - other.length);
    }
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

function isSubsequence(short: string, long: string): boolean {
  const wanted = Array.from(short);
  let i = 0;
  for (const c of long) if (c === wanted[i]) i++;
  return i === wanted.length;
}

/** Hint for an unknown name: the closest match (if any) followed by every known name. */
export function unknownNameHint(name: string, known: readonly string[], noun: string): string {
  const sorted = [...known].sort(compareCodePoints);
  if (sorted.length === 0) return `no ${noun} are declared`;
  const match = closestName(name, sorted);
  const list = `known ${noun}: ${sorted.join(", ")}`;
  return match === undefined ? list : `did you mean \`${match}\`? ${list}`;
}
