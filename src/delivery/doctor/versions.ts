/**
 * Version constraints as Terraform writes them (`>= 5.100, < 7.0`, `~> 1.5`, `= 1.2.3`, `!= 1.3.0`)
 * and the comparator subset npm `engines` uses (`>=20.19`, `>=18 <23`). Pre-release suffixes are
 * ignored. Anything else (`^`, `||`, `x` ranges) is reported as unsupported rather than guessed.
 * https://developer.hashicorp.com/terraform/language/expressions/version-constraints
 */

export type Version = number[];

interface Comparator {
  op: "=" | "!=" | ">" | ">=" | "<" | "<=" | "~>";
  version: Version;
}

/** "v1.11.4", "5.100.0", "20.19" → [1, 11, 4] …; undefined when it is not a version. */
export function parseVersion(text: string): Version | undefined {
  const m = /^v?(\d+(?:\.\d+)*)(?:[-+][0-9A-Za-z.-]*)?$/.exec(text.trim());
  return m ? m[1]!.split(".").map(Number) : undefined;
}

/** Compare two versions; missing parts count as 0 (5.100 == 5.100.0). */
export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

const COMPARATOR = /(>=|<=|!=|~>|>|<|=)?\s*v?(\d+(?:\.\d+)*)(?:-[0-9A-Za-z.-]+)?/g;

/** Parse a constraint; undefined when it uses syntax this checker does not support. */
export function parseConstraint(text: string): Comparator[] | undefined {
  const comparators: Comparator[] = [];
  const rest = text.replace(COMPARATOR, (_m, op: string | undefined, v: string) => {
    comparators.push({ op: (op ?? "=") as Comparator["op"], version: v.split(".").map(Number) });
    return "";
  });
  if (rest.replace(/[\s,]/g, "") !== "" || comparators.length === 0) return undefined;
  return comparators;
}

function satisfiesOne(v: Version, c: Comparator): boolean {
  const cmp = compareVersions(v, c.version);
  switch (c.op) {
    case "=":
      return cmp === 0;
    case "!=":
      return cmp !== 0;
    case ">":
      return cmp > 0;
    case ">=":
      return cmp >= 0;
    case "<":
      return cmp < 0;
    case "<=":
      return cmp <= 0;
    case "~>": {
      // ~> 1.2.3 allows >= 1.2.3, < 1.3; ~> 1.2 allows >= 1.2, < 2; the rightmost part may grow.
      const upper = c.version.length === 1 ? [c.version[0]! + 1] : [...c.version.slice(0, -2), c.version[c.version.length - 2]! + 1];
      return cmp >= 0 && compareVersions(v, upper) < 0;
    }
  }
}

/** True/false when `version` meets `constraint`; undefined when either cannot be parsed. */
export function satisfies(version: string, constraint: string): boolean | undefined {
  const v = parseVersion(version);
  const cs = parseConstraint(constraint);
  if (!v || !cs) return undefined;
  return cs.every((c) => satisfiesOne(v, c));
}
