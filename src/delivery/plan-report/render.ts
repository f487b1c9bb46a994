import type { GuardOutcome } from "./guard.ts";
import { cell, code, codeFence, plural, row, thousands } from "./markdown.ts";
import { STATEFUL_TYPES } from "./stateful.ts";
import type { ChangeAction, ChangedResource, Counts, PlanSummary } from "./summarize.ts";

/** GitHub rejects issue and pull request comments longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** Default budget: the limit minus room for whatever a workflow wraps around the report. */
export const DEFAULT_MAX_CHARS = 65_000;

export interface RenderOptions {
  pipeline: string;
  environment: string;
  /** The report is cut to this many characters (listing first, then the type table; never the warning). */
  maxChars: number;
  /** The guard's decision, when --guard ran. */
  guard?: GuardOutcome;
}

/** The hidden line a workflow finds its own sticky comment by (one per pipeline and environment). */
export function commentMarker(pipeline: string, environment: string): string {
  return `<!-- pipegen-plan:${pipeline}:${environment} -->`;
}

const SYMBOL: Readonly<Record<ChangeAction, string>> = { create: "+", update: "~", replace: "-/+", delete: "-", forget: "." };
const WORD: Readonly<Record<ChangeAction, string>> = {
  create: "create",
  update: "update",
  replace: "replace",
  delete: "destroy",
  forget: "forget",
};

function headline(s: PlanSummary): string {
  const c = s.counts;
  const forget = s.changes.filter((x) => x.action === "forget").length;
  const version = s.terraformVersion ? ` · Terraform ${s.terraformVersion}` : "";
  if (s.changes.length === 0) return `**No changes.** The infrastructure matches the configuration.${version}`;
  const forgets = forget ? `, ${thousands(forget)} to forget (removed from state, left in AWS)` : "";
  return `**${thousands(c.add)} to add, ${thousands(c.change)} to change, ${thousands(c.replace)} to replace, ${thousands(c.destroy)} to destroy${forgets}**${version}`;
}

/** Why a resource changes, in a few words: forcing attributes, Terraform's reason, deposed. */
function why(c: ChangedResource, asCode: (s: string) => string): string {
  const parts: string[] = [];
  if (c.replacePaths.length) parts.push(`forced by ${c.replacePaths.map(asCode).join(", ")}`);
  if (c.reason) parts.push(c.reason);
  if (c.deposed) parts.push("deposed object");
  return parts.join("; ");
}

function dataLossSection(s: PlanSummary, guard: GuardOutcome | undefined): string[] {
  if (s.dataLoss.length === 0) return [];
  const n = s.dataLoss.length;
  const lines = [
    "> [!CAUTION]",
    `> **${plural(n, "stateful resource")} would be destroyed or replaced.** ${n === 1 ? "Its" : "Their"} data is lost unless it is backed up or moved first.`,
    ">",
    ...s.dataLoss.map((c) => {
      const because = why(c, code);
      const action = c.action === "replace" ? "replaced" : "destroyed";
      return `> - ${code(c.address)}: **${action}**${because ? ` (${because})` : ""}. Loses ${STATEFUL_TYPES[c.type]}.`;
    }),
  ];
  if (guard?.status === "blocked") {
    lines.push(">", `> **Plan guard: blocked.** If this data loss is intended, add the label ${code(guard.allowLabel)} to the pull request and re-run the checks.`);
  } else if (guard?.status === "allowed") {
    lines.push(">", `> **Plan guard: allowed** by the label ${code(guard.allowLabel)} on this pull request.`);
  }
  return [lines.join("\n")];
}

const countCells = (c: Counts): string[] => [c.add, c.change, c.replace, c.destroy].map(thousands);

function tableRows(s: PlanSummary): string[] {
  return s.byType.map((t) => row([code(cell(t.type)), ...countCells(t.counts)]));
}

function table(s: PlanSummary, rows: readonly string[]): string[] {
  if (s.byType.length === 0) return [];
  const omitted = s.byType.length - rows.length;
  return [
    [
      row(["resource type", "add", "change", "replace", "destroy"]),
      "|---|--:|--:|--:|--:|",
      ...rows,
      ...(omitted ? [row([`_… ${plural(omitted, "more resource type")} omitted (comment size limit)_`, "", "", "", ""])] : []),
      row(["**total**", ...countCells(s.counts).map((n) => `**${n}**`)]),
    ].join("\n"),
  ];
}

/** Listing order: what loses something first, so a cut listing drops creates before destroys. */
const SEVERITY: Readonly<Record<ChangeAction, number>> = { delete: 0, replace: 1, update: 2, create: 3, forget: 4 };

function listingLines(s: PlanSummary): string[] {
  // Array#sort is stable: within one action the summary's address order is kept.
  return [...s.changes].sort((a, b) => SEVERITY[a.action] - SEVERITY[b.action]).map((c) => {
    const symbol = c.action === "replace" && c.createBeforeDestroy ? "+/-" : SYMBOL[c.action];
    const because = why(c, (x) => x);
    return `${symbol.padEnd(3)} ${WORD[c.action].padEnd(7)} ${c.address}${because ? `  # ${because}` : ""}`;
  });
}

function listing(s: PlanSummary, lines: readonly string[]): string[] {
  if (s.changes.length === 0) return [];
  const total = s.changes.length;
  const omitted = total - lines.length;
  const fence = codeFence(lines);
  const summary = omitted ? `All ${plural(total, "change")} (${thousands(lines.length)} listed)` : `All ${plural(total, "change")}`;
  return [
    [
      "<details>",
      `<summary>${summary}</summary>`,
      "",
      `${fence}diff`,
      ...lines,
      fence,
      ...(omitted
        ? [
            "",
            `**${plural(omitted, "more change")} omitted** to keep this comment under GitHub's ${thousands(GITHUB_COMMENT_LIMIT)}-character limit; run \`terraform show\` on the saved plan for the full list.`,
          ]
        : []),
      "",
      "</details>",
    ].join("\n"),
  ];
}

function assemble(s: PlanSummary, o: RenderOptions, rows: readonly string[], lines: readonly string[]): string {
  const sections = [
    commentMarker(o.pipeline, o.environment),
    `### Terraform plan: ${code(o.pipeline)} (${code(o.environment)})`,
    headline(s),
    ...(s.errored ? ["> [!WARNING]\n> Terraform reported errors while planning: this plan is incomplete and cannot be applied."] : []),
    ...dataLossSection(s, o.guard),
    ...(o.guard?.status === "passed" ? ["Plan guard: passed, no stateful resource is destroyed or replaced."] : []),
    ...table(s, rows),
    ...listing(s, lines),
  ];
  return `${sections.join("\n\n")}\n`;
}

/** Largest n in [0, max] with fits(n), or -1 (fits is monotone: true up to some n). */
function largestFitting(max: number, fits: (n: number) => boolean): number {
  let lo = -1;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi + 1) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The Markdown comment. Over `maxChars` it drops listing entries from the end (saying how many),
 * then type-table rows; the data-loss warning is never cut, so only it can push the report over.
 */
export function renderReport(s: PlanSummary, o: RenderOptions): string {
  const rows = tableRows(s);
  const lines = listingLines(s);
  const doc = (r: number, l: number): string => assemble(s, o, rows.slice(0, r), lines.slice(0, l));
  const fits = (text: string): boolean => text.length <= o.maxChars;
  const full = doc(rows.length, lines.length);
  if (fits(full)) return full;
  const l = largestFitting(lines.length, (n) => fits(doc(rows.length, n)));
  if (l >= 0) return doc(rows.length, l);
  const r = largestFitting(rows.length, (n) => fits(doc(n, 0)));
  return doc(Math.max(r, 0), 0);
}
