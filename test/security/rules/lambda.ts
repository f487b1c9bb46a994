/** Lambda rules: rows 18–19 (AVD-AWS-0066, AVD-AWS-0067), PIPE-003, PIPE-004 and PIPE-013. */
import { asString, attr, get, isSet, referencedBlocks, show } from "../expr.ts";
import { isLiteralString, templateParts, unwrapInterpolation } from "../hcl-expr.ts";
import { resourcesOf } from "../load-module.ts";
import { docProblems, policyOf, stmtLabel } from "../policy.ts";
import type { Block, Model, Rule, Violation } from "../types.ts";
import { designates, normalizeExpr, violation } from "./util.ts";

const FUNCTION = ["aws_lambda_function"];
const LAMBDA_SERVICES = ["lambda.amazonaws.com", "edgelambda.amazonaws.com"];

const functions = (model: Model): Block[] => resourcesOf(model, "aws_lambda_function");

/** The module roles a function's `role` refers to. */
export const rolesOf = (model: Model, fn: Block): Block[] => referencedBlocks(model, fn.body.role, "aws_iam_role");

/** Roles used as Lambda execution roles, with the functions using them. */
export function lambdaRoles(model: Model): Map<string, { role: Block; functions: Block[] }> {
  const out = new Map<string, { role: Block; functions: Block[] }>();
  for (const fn of functions(model)) {
    for (const role of rolesOf(model, fn)) {
      const entry = out.get(role.address) ?? { role, functions: [] };
      entry.functions.push(fn);
      out.set(role.address, entry);
    }
  }
  return out;
}

/** True when the log group's name is "/aws/lambda/<function_name>" for this function. */
function isFunctionLogGroup(model: Model, group: Block, fn: Block): boolean {
  const name = asString(attr(model, group, "name"));
  if (name === undefined) return false;
  const fnName = asString(attr(model, fn, "function_name"));
  if (fnName !== undefined && normalizeExpr(name) === normalizeExpr(`/aws/lambda/${fnName}`)) return true;
  const parts = templateParts(name);
  const ref = new RegExp(`^aws_lambda_function\\.${fn.name}(\\[[^\\]]*\\])?\\.(function_name|id)$`);
  return parts.length === 2 && parts[0]!.kind === "literal" && parts[0]!.text === "/aws/lambda/" && parts[1]!.kind === "interp" && ref.test(parts[1]!.text);
}

export const lambdaRules: Rule[] = [
  {
    id: "AVD-AWS-0066",
    title: "Lambda functions use active X-Ray tracing",
    aliases: ["aws-lambda-enable-tracing"],
    resourceTypes: FUNCTION,
    check: (model) =>
      functions(model)
        .filter((fn) => get(model, fn.body, "tracing_config", "mode") !== "Active")
        .map((fn) => violation("AVD-AWS-0066", fn, `tracing_config.mode must be "Active" (is ${show(get(model, fn.body, "tracing_config", "mode"))})`)),
  },
  {
    id: "AVD-AWS-0067",
    title: "Lambda permissions for AWS services restrict source_arn",
    aliases: ["aws-lambda-restrict-source-arn"],
    resourceTypes: ["aws_lambda_permission"],
    check(model) {
      const out: Violation[] = [];
      for (const p of resourcesOf(model, "aws_lambda_permission")) {
        const principal = attr(model, p, "principal");
        const s = asString(principal);
        const service = s !== undefined && (!isLiteralString(s) || /\.amazonaws\.com(\.cn)?$/.test(s));
        if (service && !isSet(attr(model, p, "source_arn"))) {
          out.push(violation("AVD-AWS-0067", p, `principal ${show(principal)} is (or may be) an AWS service, so source_arn must be set`));
        }
      }
      return out;
    },
  },
  {
    id: "PIPE-003",
    title: "Each Lambda function has its own execution role",
    resourceTypes: FUNCTION,
    check(model) {
      const out: Violation[] = [];
      for (const fn of functions(model)) {
        if (rolesOf(model, fn).length === 0) {
          out.push(violation("PIPE-003", fn, `role ${show(fn.body.role)} does not refer to an aws_iam_role of the module`));
        }
      }
      for (const { role, functions: fns } of lambdaRoles(model).values()) {
        if (fns.length < 2) continue;
        for (const fn of fns) {
          const others = fns.filter((f) => f !== fn).map((f) => f.address);
          out.push(violation("PIPE-003", fn, `shares execution role ${role.address} with ${others.join(", ")}`));
        }
      }
      return out;
    },
  },
  {
    id: "PIPE-004",
    title: "Lambda execution roles trust only lambda.amazonaws.com",
    resourceTypes: FUNCTION,
    check(model) {
      const out: Violation[] = [];
      for (const { role } of lambdaRoles(model).values()) {
        const doc = policyOf(model, role, "assume_role_policy");
        if (!doc) {
          out.push(violation("PIPE-004", role, "assume_role_policy is not set"));
          continue;
        }
        const problems = docProblems(doc);
        if (problems.length) out.push(violation("PIPE-004", role, `trust policy is not readable: ${problems.join("; ")}`));
        let trustsLambda = false;
        for (const st of doc.statements.filter((s) => s.effect === "Allow")) {
          if (st.notPrincipals.length) out.push(violation("PIPE-004", role, `${stmtLabel(doc, st)} uses NotPrincipal`));
          for (const p of st.principals) {
            const bad = p.type !== "Service" ? p.ids : p.ids.filter((id) => !LAMBDA_SERVICES.includes(id));
            if (bad.length) out.push(violation("PIPE-004", role, `${stmtLabel(doc, st)} trusts ${p.type} ${bad.join(", ")}; only lambda.amazonaws.com is allowed`));
            if (p.type === "Service" && p.ids.includes("lambda.amazonaws.com")) trustsLambda = true;
          }
        }
        if (!trustsLambda) out.push(violation("PIPE-004", role, "the trust policy does not allow lambda.amazonaws.com"));
      }
      return out;
    },
  },
  {
    id: "PIPE-013",
    title: "Each Lambda function's log group is managed in the module",
    resourceTypes: FUNCTION,
    check(model) {
      const out: Violation[] = [];
      const groups = resourcesOf(model, "aws_cloudwatch_log_group");
      for (const fn of functions(model)) {
        const configured = get(model, fn.body, "logging_config", "log_group");
        if (isSet(configured)) {
          if (!groups.some((g) => designates(model, configured, g, "name"))) {
            out.push(violation("PIPE-013", fn, `logging_config.log_group ${show(configured)} is not an aws_cloudwatch_log_group of the module`));
          }
          continue;
        }
        if (!groups.some((g) => isFunctionLogGroup(model, g, fn))) {
          const name = asString(attr(model, fn, "function_name"));
          const shown = name && unwrapInterpolation(name) === undefined ? `/aws/lambda/${name}` : `/aws/lambda/<${show(fn.body.function_name)}>`;
          out.push(violation("PIPE-013", fn, `no aws_cloudwatch_log_group named ${shown} in the module`));
        }
      }
      return out;
    },
  },
];
