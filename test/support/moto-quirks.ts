import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import type { HclValue } from "../security/hcl-expr.ts";
import { parseHclExpression } from "../security/hcl-expr.ts";

/**
 * Differences between moto and AWS that change what a module may apply, as opposed to drift on
 * re-plan (drift-allowlist.ts). Each is applied by an extra override file in the emulated copy
 * only, never in the generated module, and the tests that use it print it.
 */
export const MOTO_APPLY_QUIRKS = [
  {
    id: "s3-policy-conditions",
    resourceType: "aws_s3_bucket_policy",
    change: "statements with a Condition are dropped (Deny) or lose the Condition (Allow)",
    reason:
      "moto (5.2.x) evaluates bucket-policy Conditions without any request context (moto/iam/access_control.py _check_conditions), so every conditional statement DENIES: the TLS-only Deny blocks TLS requests too and the conditional log-delivery Allow blocks writes. The generated policy itself is proven by terraform validate and the PIPE-011/PIPE-012 security rules.",
  },
] as const;

function render(v: HclValue): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v !== "object") return String(v);
  if (Array.isArray(v)) return `[${v.map(render).join(", ")}]`;
  return `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)} = ${render(x)}`).join(", ")} }`;
}

/** Writes `pipegen_moto_quirks_override.tf` into an emulated copy; returns the resources it touched. */
export async function applyMotoQuirks(dir: string): Promise<string[]> {
  const blocks: string[] = [];
  const touched: string[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".tf") && !f.includes("override")).sort()) {
    const json = (await parse(f, readFileSync(join(dir, f), "utf8"))) as Record<string, any>;
    for (const [name, [r]] of Object.entries((json.resource?.aws_s3_bucket_policy ?? {}) as Record<string, any[]>)) {
      const m = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(String(r.policy));
      if (!m) throw new Error(`aws_s3_bucket_policy.${name}: expected policy = jsonencode(...)`);
      const policy = parseHclExpression(m[1]!) as { Statement: Array<Record<string, HclValue>> };
      policy.Statement = policy.Statement.filter((s) => !(s.Effect === "Deny" && s.Condition)).map(({ Condition: _c, ...s }) => s);
      blocks.push(`resource "aws_s3_bucket_policy" "${name}" {\n  policy = jsonencode(${render(policy as unknown as HclValue)})\n}\n`);
      touched.push(`aws_s3_bucket_policy.${name}`);
    }
  }
  writeFileSync(join(dir, "pipegen_moto_quirks_override.tf"), `# Emulator-only overrides, see test/support/moto-quirks.ts.\n${blocks.join("\n")}`);
  return touched;
}
