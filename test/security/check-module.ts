/**
 * pipegen's own Terraform security checker: proves the rules SECURITY-RULES.md marks
 * required on a generated module, since trivy and tflint cannot run here.
 *
 *   const { applied, violations, ignored } = await checkModule("generated/orders");
 */
import { hasType, loadModule, loadModuleFromFiles, type LoadOptions } from "./load-module.ts";
import { ALL_RULES, IGNORE_RULE_ID } from "./rules/index.ts";
import type { CheckResult, IgnoredViolation, Model, Rule, SourceFile, Violation } from "./types.ts";

export type { CheckResult, IgnoredViolation, Violation } from "./types.ts";

/** True when the rule's resource types are present in the module. */
export function ruleApplies(rule: Rule, model: Model): boolean {
  if (rule.applies) return rule.applies(model);
  return rule.resourceTypes.length === 0 || rule.resourceTypes.some((t) => hasType(model, t));
}

/** Runs the rules on a loaded model and applies the module's valid ignore directives. */
export function evaluate(model: Model, rules: readonly Rule[] = ALL_RULES): CheckResult {
  const applied: string[] = [];
  const found: Violation[] = [];
  for (const rule of rules) {
    if (!ruleApplies(rule, model)) continue;
    applied.push(rule.id);
    found.push(...rule.check(model));
  }
  const byId = new Map(rules.map((r) => [r.id, r]));
  const seen = new Set<string>();
  const violations: Violation[] = [];
  const ignored: IgnoredViolation[] = [];
  for (const v of found) {
    const key = `${v.id}\u0000${v.resource}\u0000${v.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const names = new Set([v.id, ...(byId.get(v.id)?.aliases ?? [])].map((n) => n.toLowerCase()));
    const ignore =
      v.id === IGNORE_RULE_ID
        ? undefined
        : model.ignores.find((d) => d.problem === undefined && d.address === v.resource && names.has(d.id.toLowerCase()));
    if (ignore) ignored.push({ id: v.id, resource: v.resource, reason: ignore.reason });
    else violations.push(v);
  }
  const order = (a: Violation | IgnoredViolation, b: Violation | IgnoredViolation): number =>
    a.id.localeCompare(b.id) || a.resource.localeCompare(b.resource);
  return { applied: applied.sort(), violations: violations.sort(order), ignored: ignored.sort(order) };
}

/** Loads the module in `dir` (all *.tf files) and checks it. */
export async function checkModule(dir: string, options: LoadOptions = {}): Promise<CheckResult> {
  return evaluate(await loadModule(dir, options));
}

/** Checks in-memory files as one module (used by the fixture tests). */
export async function checkFiles(files: SourceFile[], options: LoadOptions = {}): Promise<CheckResult> {
  return evaluate(await loadModuleFromFiles(files, "<memory>", options));
}

/** One line per violation, for assertion messages. */
export const formatViolations = (vs: Violation[]): string => vs.map((v) => `  ${v.id} ${v.resource}: ${v.message}`).join("\n");
