import type { PlanSummary } from "./summarize.ts";

/** The label a pull request carries to accept destroying or replacing stateful resources. */
export const DEFAULT_ALLOW_LABEL = "allow-stateful-changes";

export interface GuardOutcome {
  /** passed: no data loss; blocked: data loss without the label; allowed: data loss with it. */
  status: "passed" | "blocked" | "allowed";
  allowLabel: string;
  /** Addresses of the stateful resources destroyed or replaced. */
  dataLoss: string[];
}

/**
 * The pull request's labels as the workflow passes them: comma-separated
 * (`join(github.event.pull_request.labels.*.name, ',')`) or a JSON array (`toJSON(...)`).
 */
export function parseLabels(value: string): string[] {
  const text = value.trim();
  if (text.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.filter((l): l is string => typeof l === "string").map((l) => l.trim());
    } catch {
      // not JSON after all: fall through to the comma-separated form
    }
  }
  return text.split(",").map((l) => l.trim()).filter((l) => l !== "");
}

/** Decide whether the plan may go ahead. GitHub label names are case-insensitive. */
export function evaluateGuard(summary: PlanSummary, labels: readonly string[], allowLabel: string): GuardOutcome {
  const dataLoss = summary.dataLoss.map((c) => c.address);
  const labelled = labels.some((l) => l.toLowerCase() === allowLabel.toLowerCase());
  const status = dataLoss.length === 0 ? "passed" : labelled ? "allowed" : "blocked";
  return { status, allowLabel, dataLoss };
}

/** One plain-text line for the job log (stderr). */
export function guardMessage(g: GuardOutcome): string {
  const what = `${g.dataLoss.length} stateful resource${g.dataLoss.length === 1 ? "" : "s"} would be destroyed or replaced (${g.dataLoss.join(", ")})`;
  switch (g.status) {
    case "passed":
      return "plan guard: passed: no stateful resource is destroyed or replaced";
    case "allowed":
      return `plan guard: allowed by the label "${g.allowLabel}": ${what}`;
    case "blocked":
      return `plan guard: BLOCKED: ${what}; if that data loss is intended, add the label "${g.allowLabel}" to the pull request and re-run the check`;
  }
}
