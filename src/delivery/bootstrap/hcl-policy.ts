import { hclString } from "../../emit/hcl-literal.ts";
import type { PolicyDocument } from "../deploy-policy/derive.ts";

/** Terraform expressions the policy placeholders stand for in bootstrap/aws (locals in main.tf). */
const REFERENCES: Record<string, string> = { partition: "local.partition", account: "local.account_id" };

/**
 * A policy string as an HCL string literal: `${partition}` / `${account}` become interpolations of
 * the module's locals, everything else is escaped by hclString (so a stray `${` stays literal).
 */
export function hclPolicyString(value: string): string {
  const parts = value.split(/\$\{(partition|account)\}/);
  let out = "";
  parts.forEach((p, i) => {
    out += i % 2 === 1 ? "${" + REFERENCES[p]! + "}" : hclString(p).slice(1, -1);
  });
  return `"${out}"`;
}

const list = (xs: string[], indent: string): string => `[\n${xs.map((x) => `${indent}  ${hclPolicyString(x)},`).join("\n")}\n${indent}]`;

/**
 * Renders a policy document as `jsonencode({...})`, one action and one resource per line so a
 * pull request's diff of the generated HCL shows exactly which rights changed.
 */
export function hclPolicy(doc: PolicyDocument): string {
  const lines = ["jsonencode({", '  Version = "2012-10-17"', "  Statement = ["];
  for (const st of doc.Statement) {
    lines.push("    {", `      Sid    = ${hclString(st.Sid)}`, `      Effect = ${hclString(st.Effect)}`);
    lines.push(`      Action = ${list(st.Action, "      ")}`);
    lines.push(`      Resource = ${list(st.Resource, "      ")}`);
    if (st.Condition) {
      lines.push("      Condition = {");
      for (const [op, byKey] of Object.entries(st.Condition)) {
        lines.push(`        ${op} = {`);
        for (const [key, values] of Object.entries(byKey)) lines.push(`          ${hclString(key)} = [${values.map(hclPolicyString).join(", ")}]`);
        lines.push("        }");
      }
      lines.push("      }");
    }
    lines.push("    },");
  }
  lines.push("  ]", "})");
  return lines.join("\n");
}
