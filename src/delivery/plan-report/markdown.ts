/** Small GitHub-Flavored-Markdown helpers: values from a plan never break out of their span. */

function longestBacktickRun(s: string): number {
  return Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
}

/** An inline code span that holds any text (a longer fence when the text has backticks). */
export function code(s: string): string {
  const fence = "`".repeat(longestBacktickRun(s) + 1);
  const pad = s.startsWith("`") || s.endsWith("`") ? " " : "";
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** The fence for a fenced code block holding `lines` (longer than any backtick run inside). */
export function codeFence(lines: readonly string[]): string {
  return "`".repeat(Math.max(3, ...lines.map((l) => longestBacktickRun(l) + 1)));
}

/** A table cell: pipes escaped (GFM splits cells on `|` even inside code spans), one line. */
export function cell(s: string): string {
  return s.replaceAll("|", "\\|").replace(/[\r\n]+/g, " ");
}

/** A GFM table row. */
export function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** 65536 → "65,536" (fixed separator: the output must not depend on the machine's locale). */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "1 resource", "3 resources", "5,000 changes". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${thousands(n)} ${n === 1 ? one : many}`;
}
