/** CloudWatch Logs rules: row 16 (AVD-AWS-0017) and PIPE-001. */
import { attr, isSet, show } from "../expr.ts";
import { unwrapInterpolation } from "../hcl-expr.ts";
import { resourcesOf } from "../load-module.ts";
import type { Model, Rule, Violation } from "../types.ts";
import { keyPolicyAllowsService, keysFor } from "./kms.ts";
import { violation } from "./util.ts";

const LOG_GROUP = ["aws_cloudwatch_log_group"];

/** logs.amazonaws.com or logs.<region>.amazonaws.com (region may be an interpolation). */
const LOGS_SERVICE = /^logs\.([A-Za-z0-9-]+\.)?amazonaws\.com(\.cn)?$/;

/** A positive retention: a literal, or a variable whose default is positive. */
function retentionProblem(model: Model, v: unknown): string | undefined {
  if (typeof v === "number") return v > 0 ? undefined : `retention_in_days is ${v}; 0 keeps logs forever`;
  if (typeof v === "string" && /^\d+$/.test(v)) return Number(v) > 0 ? undefined : `retention_in_days is ${v}; 0 keeps logs forever`;
  const inner = typeof v === "string" ? unwrapInterpolation(v) : undefined;
  const m = inner ? /^var\.([A-Za-z_][\w-]*)$/.exec(inner) : null;
  if (m) {
    const def = model.variables[m[1]!]?.default;
    if (typeof def === "number" && def > 0) return undefined;
    return `retention_in_days comes from var.${m[1]} without a positive default (${show(def)})`;
  }
  return `retention_in_days must be set to a positive number of days (is ${show(v)})`;
}

export const logsRules: Rule[] = [
  {
    id: "PIPE-001",
    title: "Log groups expire their logs",
    resourceTypes: LOG_GROUP,
    check(model) {
      const out: Violation[] = [];
      for (const g of resourcesOf(model, "aws_cloudwatch_log_group")) {
        const problem = retentionProblem(model, attr(model, g, "retention_in_days"));
        if (problem) out.push(violation("PIPE-001", g, problem));
      }
      return out;
    },
  },
  {
    id: "AVD-AWS-0017",
    title: "Log groups are encrypted with a customer managed key that CloudWatch Logs may use",
    aliases: ["aws-cloudwatch-log-group-customer-key"],
    resourceTypes: LOG_GROUP,
    check(model) {
      const out: Violation[] = [];
      for (const g of resourcesOf(model, "aws_cloudwatch_log_group")) {
        const key = attr(model, g, "kms_key_id");
        if (!isSet(key)) {
          out.push(violation("AVD-AWS-0017", g, "kms_key_id is not set"));
          continue;
        }
        // Keys defined in the module must let the regional CloudWatch Logs service use them.
        for (const k of keysFor(model, key)) {
          const problem = keyPolicyAllowsService(model, k, LOGS_SERVICE, "logs.<region>.amazonaws.com");
          if (problem) out.push(violation("AVD-AWS-0017", g, problem));
        }
      }
      return out;
    },
  },
];
