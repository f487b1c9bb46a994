/** KMS rules: row 15 (AVD-AWS-0065) and PIPE-002, plus key-policy helpers used by other families. */
import { asString, attr, expand, refs, show, traversalsIn } from "../expr.ts";
import { isLiteralString, literalSkeleton, splitCode, unwrapInterpolation } from "../hcl-expr.ts";
import { allBlocks, resourcesOf } from "../load-module.ts";
import { readPolicy, type PolicyDoc } from "../policy.ts";
import type { Block, Body, Model, Rule, Violation } from "../types.ts";
import { designates, violation } from "./util.ts";

const KEY_TYPES = ["aws_kms_key", "aws_kms_alias", "aws_kms_replica_key", "aws_kms_external_key"];
const KEY_ATTRIBUTES: Record<string, string[]> = {
  aws_kms_key: ["arn", "key_id", "id"],
  aws_kms_replica_key: ["arn", "key_id", "id"],
  aws_kms_external_key: ["arn", "id"],
  aws_kms_alias: ["arn", "name", "id", "target_key_arn", "target_key_id"],
};
const KEY_ARGUMENTS = new Set(["kms_key_id", "kms_master_key_id", "kms_key_arn", "key_arn", "target_key_id"]);

/** Key arguments whose AWS-managed alias is reported by a service rule instead of PIPE-002. */
const DEFERRED_MANAGED_ALIAS: Record<string, string[]> = {
  aws_sns_topic: ["kms_master_key_id"], // AVD-AWS-0136
  aws_sqs_queue: ["kms_master_key_id"], // AVD-AWS-0135
  aws_dynamodb_table: ["server_side_encryption.kms_key_arn"], // AVD-AWS-0025
};

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const STRICT_KEY = new RegExp(
  `^(arn:aws(-cn|-us-gov|-iso|-iso-[a-z])?:kms:[a-z0-9-]+:\\d{12}:(key/(${UUID}|mrk-[0-9a-f]{32})|alias/[A-Za-z0-9/_-]+)|alias/[A-Za-z0-9/_-]+|${UUID}|mrk-[0-9a-f]{32})$`,
);
const LOOSE_KEY = /^(arn:[^:]+:kms:[^:]*:[^:]*:(key|alias)\/.+|alias\/.+)$/;

/** True when a (possibly templated) key value names an AWS managed alias (alias/aws/...). */
export function isAwsManagedAlias(v: unknown): boolean {
  if (typeof v !== "string") return false;
  if (literalSkeleton(v).includes("alias/aws/")) return true;
  const inner = unwrapInterpolation(v);
  return inner !== undefined && splitCode(inner).strings.some((s) => s.includes("alias/aws/"));
}

/**
 * Why a KMS key value is not acceptable for PIPE-002, or undefined when it is: it must
 * refer to a key/alias in the module (resource or data source) or a declared variable,
 * or be a well-formed key ARN, alias ARN, alias name or key id.
 */
export function keyValueProblem(model: Model, value: unknown, checkManagedAlias = true): string | undefined {
  const v = expand(model, value);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") return `${show(v)} is not a key reference`;
  if (checkManagedAlias && isAwsManagedAlias(v)) return `${show(v)} is an AWS managed key alias`;
  const inner = unwrapInterpolation(v);
  if (inner === undefined) {
    if (isLiteralString(v)) return STRICT_KEY.test(v) ? undefined : `${show(v)} is not a key ARN, alias or key id`;
    return LOOSE_KEY.test(literalSkeleton(v, "X")) ? undefined : `${show(v)} is not shaped like a key or alias ARN`;
  }
  const traversals = traversalsIn(inner);
  if (traversals.length === 0) return `${show(v)} does not refer to a key`;
  for (const t of traversals) {
    const [head, a, b, c] = t;
    if (head === "var") {
      if (!a || !model.variables[a]) return `${show(v)} refers to undeclared variable ${a}`;
    } else if (head === "local") {
      return `${show(v)} refers to local.${a}, which does not resolve to a key reference`;
    } else if (head === "data") {
      if (!a || !b || !model.data[a]?.[b]) return `${show(v)} refers to data.${a}.${b}, which is not in the module`;
      if (!KEY_TYPES.includes(a)) return `${show(v)} refers to data.${a}.${b}, which is not a KMS key or alias`;
      if (c && !KEY_ATTRIBUTES[a]!.includes(c)) return `${show(v)} uses .${c} of a KMS data source`;
    } else {
      if (!head || !a || !model.resources[head]?.[a]) return `${show(v)} refers to ${t.join(".")}, which is not in the module`;
      if (!KEY_TYPES.includes(head)) return `${show(v)} refers to ${head}.${a}, which is not a KMS key or alias`;
      if (b && !KEY_ATTRIBUTES[head]!.includes(b)) return `${show(v)} uses .${b} of ${head}.${a}`;
    }
  }
  return undefined;
}

/** Visits every KMS key argument of a block body (nested blocks included), with its dotted path. */
function visitKeyArguments(type: string, body: Body, path: string[], visit: (path: string, value: unknown) => void): void {
  for (const [k, v] of Object.entries(body)) {
    if (KEY_ARGUMENTS.has(k) || (k === "key_id" && type === "aws_xray_encryption_config")) {
      visit([...path, k].filter((p) => p !== "content").join("."), v);
    } else if (Array.isArray(v)) {
      for (const x of v) if (x && typeof x === "object" && !Array.isArray(x)) visitKeyArguments(type, x as Body, [...path, k], visit);
    } else if (k === "dynamic" && v && typeof v === "object") {
      visitKeyArguments(type, v as Body, path, visit);
    }
  }
}

/** The aws_kms_key blocks a key value designates (directly or through an alias in the module). */
export function keysFor(model: Model, value: unknown): Block[] {
  const out = new Map<string, Block>();
  for (const r of refs(model, value)) {
    if (r.kind !== "resource") continue;
    if (r.type === "aws_kms_key") out.set(r.address, model.resources.aws_kms_key![r.name]!);
    if (r.type === "aws_kms_alias") {
      const alias = model.resources.aws_kms_alias![r.name]!;
      for (const k of keysFor(model, alias.body.target_key_id)) out.set(k.address, k);
    }
  }
  const v = expand(model, value);
  if (typeof v === "string") {
    // a literal alias name that matches an alias in the module
    for (const alias of resourcesOf(model, "aws_kms_alias")) {
      const name = asString(attr(model, alias, "name"));
      if (name && (v === name || v.endsWith(`:${name}`))) for (const k of keysFor(model, alias.body.target_key_id)) out.set(k.address, k);
    }
  }
  return [...out.values()];
}

/** The key policies of a key (inline `policy` and aws_kms_key_policy). Empty means the default key policy. */
export function keyPolicies(model: Model, key: Block): PolicyDoc[] {
  const docs: PolicyDoc[] = [];
  const inline = readPolicy(model, key.body.policy, key, "policy", "resource");
  if (inline) docs.push(inline);
  for (const p of resourcesOf(model, "aws_kms_key_policy")) {
    if (!designates(model, p.body.key_id, key)) continue;
    const d = readPolicy(model, p.body.policy, p, "policy", "resource");
    if (d) docs.push(d);
  }
  return docs;
}

/**
 * Whether a key's policy has an Allow statement for a service principal matching `service`.
 * Returns the reason when it does not.
 */
export function keyPolicyAllowsService(model: Model, key: Block, service: RegExp, label: string): string | undefined {
  const docs = keyPolicies(model, key);
  if (docs.length === 0) return `${key.address} has no key policy, and the default key policy does not allow ${label}`;
  const ok = docs.some((d) =>
    d.statements.some((s) => s.effect === "Allow" && s.principals.some((p) => p.type === "Service" && p.ids.some((id) => service.test(literalSkeleton(id, "X"))))),
  );
  return ok ? undefined : `the key policy of ${key.address} does not allow ${label}`;
}

export const kmsRules: Rule[] = [
  {
    id: "AVD-AWS-0065",
    title: "KMS keys rotate automatically",
    aliases: ["aws-kms-auto-rotate-keys"],
    resourceTypes: ["aws_kms_key"],
    check(model) {
      const out: Violation[] = [];
      for (const key of resourcesOf(model, "aws_kms_key")) {
        if (attr(model, key, "key_usage") === "SIGN_VERIFY") continue;
        const v = attr(model, key, "enable_key_rotation");
        if (v !== true && v !== "true") out.push(violation("AVD-AWS-0065", key, `enable_key_rotation must be true (is ${show(v)})`));
      }
      return out;
    },
  },
  {
    id: "PIPE-002",
    title: "KMS key arguments refer to a customer managed key of the module, a variable or a well-formed key ARN",
    resourceTypes: [],
    applies(model) {
      let found = false;
      for (const block of allBlocks(model)) {
        if (block.kind === "resource") visitKeyArguments(block.type, block.body, [], () => (found = true));
      }
      return found;
    },
    check(model) {
      const out: Violation[] = [];
      for (const block of allBlocks(model)) {
        if (block.kind !== "resource") continue;
        visitKeyArguments(block.type, block.body, [], (path, value) => {
          const deferred = DEFERRED_MANAGED_ALIAS[block.type]?.includes(path) ?? false;
          const problem = keyValueProblem(model, value, !deferred);
          if (problem) out.push(violation("PIPE-002", block, `${path}: ${problem}`));
        });
        if (block.type === "aws_kms_alias" && literalSkeleton(String(attr(model, block, "name") ?? "")).startsWith("alias/aws/")) {
          out.push(violation("PIPE-002", block, "alias names under alias/aws/ are reserved for AWS managed keys"));
        }
      }
      return out;
    },
  },
];
