import type { Diagnostic } from "./diagnostic.ts";
import { dottedPath } from "./diagnostic.ts";
import type { Code } from "./codes.ts";
import { CODES, docsUrl } from "./codes.ts";

export type Reporter = "pretty" | "short" | "github" | "json";

/** Renders diagnostics for people (pretty, short), for GitHub annotations, or as JSON. */
export function renderDiagnostics(
  diags: readonly Diagnostic[],
  reporter: Reporter,
  sources: ReadonlyMap<string, string> = new Map(),
): string {
  switch (reporter) {
    case "json":
      // The documented shape (STYLE.md §5) includes the docs anchor of the code.
      return JSON.stringify(diags.map((d) => ({ ...d, ...(d.code in CODES ? { docs: docsUrl(d.code as Code) } : {}) })), null, 2) + "\n";
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

/**
 * The code-frame form (biome, rustc): a headline that editors can link (`file:line:col: path: error
 * CODE: message`), the source line with the span underlined, then notes and the hint.
 *
 *     pipelines/orders.yaml:14:5: sinks.lake.batchsize: error PG2001: unknown key `batchsize` in sink `lake` (type s3)
 *        |
 *     14 |     batchsize: 500
 *        |     ^^^^^^^^^
 *        = hint: did you mean `lambda.batch_size`? ...
 */
function pretty(d: Diagnostic, source: string | undefined): string {
  const out = [`${location(d)}: ${dottedPath(d.pointer)}: ${d.severity} ${d.code}: ${d.message}`];
  const line = d.span && source !== undefined ? source.split(/\r?\n/)[d.span.line - 1] : undefined;
  const pad = " ".repeat(d.span && line !== undefined ? String(d.span.line).length : 0);
  if (d.span && line !== undefined) {
    // Tabs would shift the underline; show them as one space so columns stay exact.
    const shown = line.replace(/\t/g, " ");
    const width = Math.max(1, Math.min(d.span.length, shown.length - (d.span.col - 1)));
    out.push(`${pad} |`, `${d.span.line} | ${shown}`.trimEnd(), `${pad} | ${" ".repeat(d.span.col - 1)}${"^".repeat(width)}`);
  }
  // Notes and the hint line up with the gutter bar, or sit two spaces in when there is no code frame.
  const lead = d.span && line !== undefined ? `${pad} = ` : "  = ";
  for (const n of d.notes ?? []) out.push(`${lead}note: ${n}`);
  if (d.hint) out.push(`${lead}hint: ${d.hint}`);
  return out.join("\n") + "\n";
}
