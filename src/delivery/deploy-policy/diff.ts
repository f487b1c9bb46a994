import type { PolicyDocument, PolicyStatement } from "./derive.ts";

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function conditionLines(c: PolicyStatement["Condition"]): string[] {
  const out: string[] = [];
  for (const op of Object.keys(c ?? {}).sort(byCodePoint)) {
    for (const key of Object.keys(c![op]!).sort(byCodePoint)) out.push(`${op} ${key} = ${JSON.stringify(c![op]![key])}`);
  }
  return out;
}

function listDiff(label: string, before: string[], after: string[]): string[] {
  const a = new Set(before);
  const b = new Set(after);
  return [
    ...[...b].filter((x) => !a.has(x)).sort(byCodePoint).map((x) => `    + ${label}${x}`),
    ...[...a].filter((x) => !b.has(x)).sort(byCodePoint).map((x) => `    - ${label}${x}`),
  ];
}

/**
 * Human-readable difference of two policy documents, statement by statement (matched by Sid):
 * added and removed actions, resources and conditions. Empty string when they grant the same.
 * `bootstrap` prints it so a pull request shows how the deploy role's rights change.
 */
export function policyDiff(before: PolicyDocument | undefined, after: PolicyDocument): string {
  const old = new Map((before?.Statement ?? []).map((s) => [s.Sid, s]));
  const neu = new Map(after.Statement.map((s) => [s.Sid, s]));
  const sids = [...new Set([...old.keys(), ...neu.keys()])].sort(byCodePoint);
  const lines: string[] = [];
  for (const sid of sids) {
    const a = old.get(sid);
    const b = neu.get(sid);
    if (!a && b) {
      lines.push(`  + statement ${sid} (added)`, ...listDiff("", [], b.Action), ...listDiff("resource ", [], b.Resource), ...listDiff("condition ", [], conditionLines(b.Condition)));
    } else if (a && !b) {
      lines.push(`  - statement ${sid} (removed)`, ...listDiff("", a.Action, []), ...listDiff("resource ", a.Resource, []), ...listDiff("condition ", conditionLines(a.Condition), []));
    } else if (a && b) {
      const body = [...listDiff("", a.Action, b.Action), ...listDiff("resource ", a.Resource, b.Resource), ...listDiff("condition ", conditionLines(a.Condition), conditionLines(b.Condition))];
      if (body.length) lines.push(`  ~ statement ${sid}`, ...body);
    }
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}
