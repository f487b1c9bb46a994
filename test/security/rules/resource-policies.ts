/** PIPE-012: no public Allow in resource and trust policies, no Lambda permission for "*". */
import { attr, show } from "../expr.ts";
import { resourcesOf } from "../load-module.ts";
import { allPolicies, docProblems, isPublic, POLICY_SOURCES, stmtLabel } from "../policy.ts";
import type { Rule, Violation } from "../types.ts";
import { violation } from "./util.ts";

const TYPES = [
  ...new Set(POLICY_SOURCES.filter((s) => s.context !== "identity").map((s) => s.type)),
  "aws_lambda_permission",
  "data.aws_iam_policy_document",
];

export const resourcePolicyRules: Rule[] = [
  {
    id: "PIPE-012",
    title: 'Resource and trust policies allow no unconditioned principal "*"',
    resourceTypes: TYPES,
    check(model) {
      const out: Violation[] = [];
      for (const doc of allPolicies(model).filter((d) => d.context !== "identity")) {
        const problems = docProblems(doc);
        if (problems.length) out.push(violation("PIPE-012", doc.owner, `${doc.attribute} cannot be checked statically: ${problems.join("; ")}`));
        for (const st of doc.statements.filter((s) => s.effect === "Allow")) {
          if (isPublic(st) && st.conditions.length === 0) {
            out.push(violation("PIPE-012", doc.owner, `${stmtLabel(doc, st)} allows principal "*" without a Condition`));
          }
          if (st.notPrincipals.length) out.push(violation("PIPE-012", doc.owner, `${stmtLabel(doc, st)} allows with NotPrincipal (everyone else)`));
        }
      }
      for (const p of resourcesOf(model, "aws_lambda_permission")) {
        const principal = attr(model, p, "principal");
        if (principal === "*") out.push(violation("PIPE-012", p, `principal ${show(principal)} lets anyone invoke the function`));
      }
      return out;
    },
  },
];
