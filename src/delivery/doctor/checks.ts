/** One line of the doctor's checklist. */
export interface Check {
  status: "ok" | "warn" | "fail";
  title: string;
  /** Indented lines under the title: facts, then what to do. */
  details: string[];
}

const MARK: Readonly<Record<Check["status"], string>> = { ok: "✓", warn: "!", fail: "✗" };

export const ok = (title: string, ...details: string[]): Check => ({ status: "ok", title, details });
export const warn = (title: string, ...details: string[]): Check => ({ status: "warn", title, details });
export const fail = (title: string, ...details: string[]): Check => ({ status: "fail", title, details });

/** The checklist as text: `✓ title`, indented details, and a count line. */
export function renderChecklist(heading: string, checks: readonly Check[]): string {
  const lines = [heading, ""];
  for (const c of checks) {
    lines.push(`${MARK[c.status]} ${c.title}`);
    for (const d of c.details) lines.push(`    ${d}`);
  }
  const n = (s: Check["status"]) => checks.filter((c) => c.status === s).length;
  const w = n("warn");
  const f = n("fail");
  lines.push("", `${n("ok")} ok, ${w} warning${w === 1 ? "" : "s"}, ${f} failed`);
  return `${lines.join("\n")}\n`;
}
