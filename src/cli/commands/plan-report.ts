import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { InvalidArgumentError } from "commander";
import type { RegisterCommand } from "../io.ts";
import { EXIT } from "../io.ts";
import { parsePlanJson, PlanJsonError } from "../../delivery/plan-report/plan-json.ts";
import type { PlanSummary } from "../../delivery/plan-report/summarize.ts";
import { summarize } from "../../delivery/plan-report/summarize.ts";
import { DEFAULT_ALLOW_LABEL, evaluateGuard, guardMessage, parseLabels } from "../../delivery/plan-report/guard.ts";
import { DEFAULT_MAX_CHARS, GITHUB_COMMENT_LIMIT, renderReport } from "../../delivery/plan-report/render.ts";

interface PlanReportOptions {
  pipeline?: string;
  environment: string;
  guard?: boolean;
  labels: string;
  allowLabel: string;
  maxChars: number;
}

/** Names end up in an HTML comment marker and a heading: keep them to safe characters. */
function name(what: string) {
  return (value: string): string => {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value)) {
      throw new InvalidArgumentError(`${what} may only contain letters, digits, '.', '_' and '-'`);
    }
    return value;
  };
}

function maxChars(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1_000 || n > GITHUB_COMMENT_LIMIT) {
    throw new InvalidArgumentError(`expected a whole number from 1000 to ${GITHUB_COMMENT_LIMIT}`);
  }
  return n;
}

/** The plan's summary, or why the file is not a readable JSON plan. */
function readSummary(path: string): PlanSummary | string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  try {
    return summarize(parsePlanJson(text));
  } catch (e) {
    if (e instanceof PlanJsonError) return e.message;
    throw e;
  }
}

/** `pipegen plan-report <plan.json>`: the Markdown PR comment for a saved plan, and the plan guard. */
export const registerPlanReport: RegisterCommand = (program, io, state) => {
  program
    .command("plan-report")
    .description(
      "Summarize `terraform show -json` of a saved plan as Markdown for a sticky pull request comment; with --guard, fail when a stateful resource would be destroyed or replaced.",
    )
    .argument("<plan.json>", "output of `terraform show -json <planfile>`")
    .option("--pipeline <name>", "pipeline name for the title and comment marker (default: the plan file's name)", name("--pipeline"))
    .option("--environment <env>", "environment name for the title and comment marker", name("--environment"), "default")
    .option("--guard", "exit 1 when a stateful resource would be destroyed or replaced, unless the pull request has the allow label")
    .option("--labels <list>", "the pull request's labels, comma-separated or a JSON array", "")
    .option("--allow-label <label>", "the label that allows destroying or replacing stateful resources", DEFAULT_ALLOW_LABEL)
    .option("--max-chars <n>", `cut the report to this many characters (GitHub's limit is ${GITHUB_COMMENT_LIMIT})`, maxChars, DEFAULT_MAX_CHARS)
    .action((file: string, o: PlanReportOptions) => {
      const summary = readSummary(resolve(io.cwd, file));
      if (typeof summary === "string") {
        io.err(`pipegen plan-report: ${file}: ${summary}\n`);
        state.code = EXIT.invalid;
        return;
      }
      const guard = o.guard ? evaluateGuard(summary, parseLabels(o.labels), o.allowLabel) : undefined;
      const pipeline = o.pipeline ?? (basename(file).replace(/(\.tfplan)?\.json$/, "").replace(/[^A-Za-z0-9_.-]/g, "-") || "plan");
      const report = renderReport(summary, { pipeline, environment: o.environment, maxChars: o.maxChars, ...(guard ? { guard } : {}) });
      io.out(report);
      if (report.length > o.maxChars) {
        io.err(`pipegen plan-report: the report has ${report.length} characters, over --max-chars ${o.maxChars}: the stateful-resource warning alone is that long and is never cut\n`);
      }
      if (guard) {
        io.err(`${guardMessage(guard)}\n`);
        if (guard.status === "blocked") state.code = EXIT.invalid;
      }
    });
};
