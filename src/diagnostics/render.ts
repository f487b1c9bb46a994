import type { Diagnostic } from "./diagnostic.ts";
import { dottedPath } from "./diagnostic.ts";

export type Reporter = "pretty" | "short" | "github" | "json";

/** Renders diagnostics for people (pretty, short), for GitHub annotations, or as JSON. */
export function renderDiagnostics(
  diags: readonly Diagnostic[],
  reporter: Reporter,
  sources: ReadonlyMap<string, string> = new Map(),
): string {
  switch (reporter) {
    case "json":
      return JSON.stringify(diags, null, 2) + "\n";
    case "short":
      return diags.map(shortLine).join("");
    case "github":
      return diags.map(githubLine).join("");
    case "pretty":
      return diags.map((d) => pretty(d, sources.get(d.file))).join("\n");
  }
}

function location(d: Diagnostic): string {
  return d.span ? `${d.file}:${d.span.line}:${d.span.col}` : d.file;
}

/** `file:line:col: path.in.spec: message` — the form editors and CI logs link to. */
function shortLine(d: Diagnostic): string {
  const hint = d.hint ? ` (hint: ${d.hint})` : "";
  return `${location(d)}: ${d.severity} ${d.code} ${dottedPath(d.pointer)}: ${d.message}${hint}\n`;
}

function githubLine(d: Diagnostic): string {
  const props = [`file=${d.file}`];
  if (d.span) props.push(`line=${d.span.line}`, `col=${d.span.col}`);
  props.push(`title=${d.code}`);
  const body = `${dottedPath(d.pointer)}: ${d.message}${d.hint ? ` — hint: ${d.hint}` : ""}`;
  // Workflow commands treat %, CR and LF specially; escape them so a message cannot forge another command.
  const esc = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  return `::${d.severity === "error" ? "error" : "warning"} ${props.map((p) => esc(p).replace(/,/g, "%2C").replace(/::/g, "%3A%3A")).join(",")}::${esc(body)}\n`;
}

function pretty(d: Diagnostic, source: string | undefined): string {
  const out = [`${location(d)}: ${dottedPath(d.pointer)}: ${d.severity} ${d.code}: ${d.message}`];
  if (d.span && source !== undefined) {
    const line = source.split(/\r?\n/)[d.span.line - 1];
    if (line !== undefined) {
      const num = String(d.span.line);
      const pad = " ".repeat(num.length);
      out.push(`${pad} |`, `${num} | ${line}`, `${pad} | ${" ".repeat(d.span.col - 1)}${"^".repeat(Math.max(1, d.span.length))}`);
    }
  }
  for (const n of d.notes ?? []) out.push(`  = note: ${n}`);
  if (d.hint) out.push(`  = hint: ${d.hint}`);
  return out.join("\n") + "\n";
}
