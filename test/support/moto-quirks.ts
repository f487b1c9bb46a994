import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import type { HclValue } from "../security/hcl-expr.ts";
import { parseHclExpression } from "../security/hcl-expr.ts";
import { runTerraform } from "./terraform.ts";

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

/**
 * Calls moto_server (5.2.1) does not route at all (no handler in moto/stepfunctions/responses.py:
 * it answers an error the AWS provider retries until the apply times out). The proxy of
 * test/support/moto-sfn-proxy.ts answers exactly these, the way AWS answers them for the generated
 * modules, and forwards every other request to moto unchanged; it prints this list when it starts.
 */
export const MOTO_UNROUTED_CALLS = [
  {
    target: "AWSStepFunctions.ValidateStateMachineDefinition",
    answer: { result: "OK", diagnostics: [], truncated: false },
    reason:
      "the AWS provider validates every new or changed aws_sfn_state_machine definition (CustomizeDiff); moto_server 5.2.1 has no route for it. The definitions are still parsed for real: with stepfunctions.execute_state_machine on, moto's CreateStateMachine runs its Amazon States Language parser and refuses a broken definition (orchestration-on-moto.test.ts checks that).",
  },
  {
    target: "AWSStepFunctions.ListStateMachineVersions",
    answer: { stateMachineVersions: [] },
    reason:
      "the AWS provider lists the versions on every read of aws_sfn_state_machine; moto_server 5.2.1 has no route for it. The generated state machines publish no versions (publish = false), so AWS answers an empty list too.",
  },
] as const;

/**
 * Resource types moto cannot delete. Before a destroy on moto their instances leave the state
 * (forgetUndeletable, which prints this), so the destroy does not retry the missing call for
 * minutes; their deletion is validated only by `terraform validate`.
 */
export const MOTO_UNDELETABLE = [
  {
    resourceType: "aws_athena_named_query",
    reason:
      "moto (5.2.x) does not implement Athena DeleteNamedQuery (HTTP 500, which the provider retries for minutes); the named queries are created and read back on moto, their deletion is not",
  },
] as const;

/** `terraform state rm` of every MOTO_UNDELETABLE instance in the state of `dir` (printed); returns their addresses. */
export async function forgetUndeletable(dir: string): Promise<string[]> {
  const listed = (await runTerraform(dir, ["state", "list", "-no-color"])).stdout.split("\n").filter(Boolean);
  const gone: string[] = [];
  for (const u of MOTO_UNDELETABLE) {
    const mine = listed.filter((a) => a.startsWith(`${u.resourceType}.`));
    if (mine.length === 0) continue;
    console.log(`emulator gap: removing ${mine.join(", ")} from the state before destroy — ${u.reason}`);
    gone.push(...mine);
  }
  if (gone.length > 0) await runTerraform(dir, ["state", "rm", "-no-color", ...gone]);
  return gone;
}
