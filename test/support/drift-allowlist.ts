/**
 * THE one place listing known moto-vs-AWS differences that make a no-change re-plan show
 * drift after an apply against moto.
 *
 * Rules (do not loosen):
 *  - an entry names ONE exact resource type and ONE exact attribute path;
 *  - it only explains an in-place "update" action (never create/delete/replace/read);
 *  - it explains a difference at that attribute or below it (e.g. `tags` covers `tags.Name`),
 *    nothing else on the resource;
 *  - a `json-equivalent` entry only explains a string attribute whose before/after both parse
 *    as JSON to the same value (moto re-serialises stored policy documents).
 * Every entry says why it exists. Add entries only for a quirk actually observed, with the
 * moto version in the reason.
 */
import type { PlanChange, PlanJson } from "./terraform.ts";

export interface DriftAllowance {
  resourceType: string;
  /** Dotted attribute path as printed by attributeChanges(), e.g. "tags" or "logging_config". */
  attributePath: string;
  reason: string;
  /** "always" (default): any difference at/below the path; "json-equivalent": see header. */
  when?: "always" | "json-equivalent";
}

const jsonPolicy = (resourceType: string, attributePath: string): DriftAllowance => ({
  resourceType,
  attributePath,
  when: "json-equivalent",
  reason: "moto re-serialises stored JSON policy documents (whitespace/key order); allowed only when both sides parse to the same JSON value",
});

export const MOTO_DRIFT_ALLOWLIST: readonly DriftAllowance[] = Object.freeze([
  {
    resourceType: "aws_kinesis_stream",
    attributePath: "tags",
    reason: "moto (5.2.x) ignores the Tags parameter of Kinesis CreateStream, so tags read back empty",
  },
  {
    resourceType: "aws_kinesis_stream",
    attributePath: "tags_all",
    reason: "moto (5.2.x) ignores the Tags parameter of Kinesis CreateStream, so tags_all (incl. default_tags) reads back empty",
  },
  {
    resourceType: "aws_lambda_function",
    attributePath: "kms_key_arn",
    reason: "moto (5.2.x) does not store KMSKeyArn of Lambda CreateFunction/UpdateFunctionConfiguration",
  },
  {
    resourceType: "aws_lambda_function",
    attributePath: "logging_config",
    reason: "moto (5.2.x) does not store LoggingConfig of Lambda functions",
  },
  {
    resourceType: "aws_lambda_function",
    attributePath: "dead_letter_config",
    reason: "moto (5.2.x) ignores DeadLetterConfig of Lambda CreateFunction (moto/awslambda/models.py never reads it), so it reads back absent",
  },
  jsonPolicy("aws_iam_role", "assume_role_policy"),
  jsonPolicy("aws_iam_role_policy", "policy"),
  jsonPolicy("aws_iam_policy", "policy"),
  jsonPolicy("aws_kms_key", "policy"),
  jsonPolicy("aws_s3_bucket_policy", "policy"),
  jsonPolicy("aws_sqs_queue", "policy"),
  jsonPolicy("aws_sqs_queue_policy", "policy"),
  jsonPolicy("aws_sns_topic", "policy"),
  jsonPolicy("aws_sns_topic_policy", "policy"),
]);

// ---------------------------------------------------------------------------

export interface AttributeChange {
  /** e.g. "tags.Project", "logging_config[0].log_format", 'tags["a.b"]' */
  path: string;
  before: unknown;
  after: unknown;
  /** true when the value is unknown until apply */
  afterUnknown: boolean;
}

export interface UnexpectedChange {
  address: string;
  /** resource type, or "output" for an output change */
  type: string;
  actions: string[];
  /** Why it is unexpected. */
  why: string;
  /** For updates: the attribute differences no allowlist entry explains. */
  attributes: AttributeChange[];
}

export interface ExplainedChange {
  address: string;
  type: string;
  path: string;
  before: unknown;
  after: unknown;
  reason: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  const plain = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key);
  if (parent === "") return plain ? key : `[${JSON.stringify(key)}]`;
  return plain ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function collect(before: unknown, after: unknown, unknown: unknown, path: string, out: AttributeChange[]): void {
  if (unknown === true) {
    out.push({ path, before, after, afterUnknown: true });
    return;
  }
  if (isObject(before) && isObject(after)) {
    const u = isObject(unknown) ? unknown : {};
    for (const key of new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(u)])) {
      collect(before[key], after[key], u[key], childPath(path, key), out);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const u = Array.isArray(unknown) ? unknown : [];
    const n = Math.max(before.length, after.length, u.length);
    for (let i = 0; i < n; i++) collect(before[i], after[i], u[i], childPath(path, i), out);
    return;
  }
  if (!deepEqual(before, after) || hasUnknown(unknown)) {
    out.push({ path, before, after, afterUnknown: hasUnknown(unknown) });
  }
}

function hasUnknown(u: unknown): boolean {
  if (u === true) return true;
  if (Array.isArray(u)) return u.some(hasUnknown);
  if (isObject(u)) return Object.values(u).some(hasUnknown);
  return false;
}

/** Leaf-level attribute differences of one planned change (after_unknown counts as a difference). */
export function attributeChanges(change: PlanChange): AttributeChange[] {
  const out: AttributeChange[] = [];
  collect(change.before, change.after, change.after_unknown, "", out);
  return out;
}

/** Is `path` the attribute `base` itself or something below it? */
function isAtOrBelow(path: string, base: string): boolean {
  return path === base || path.startsWith(`${base}.`) || path.startsWith(`${base}[`);
}

function parseJson(v: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof v !== "string") return { ok: false };
  try {
    return { ok: true, value: JSON.parse(v) as unknown };
  } catch {
    return { ok: false };
  }
}

function explain(type: string, ch: AttributeChange, allowlist: readonly DriftAllowance[]): DriftAllowance | undefined {
  return allowlist.find((a) => {
    if (a.resourceType !== type) return false;
    if ((a.when ?? "always") === "json-equivalent") {
      if (ch.path !== a.attributePath || ch.afterUnknown) return false;
      const b = parseJson(ch.before);
      const f = parseJson(ch.after);
      return b.ok && f.ok && deepEqual(b.value, f.value);
    }
    return isAtOrBelow(ch.path, a.attributePath);
  });
}

interface Classified {
  unexpected: UnexpectedChange[];
  explained: ExplainedChange[];
}

function classify(plan: PlanJson, allowlist: readonly DriftAllowance[]): Classified {
  const unexpected: UnexpectedChange[] = [];
  const explained: ExplainedChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const actions = rc.change.actions;
    if (actions.length === 1 && actions[0] === "no-op") continue;
    if (!(actions.length === 1 && actions[0] === "update")) {
      unexpected.push({
        address: rc.address,
        type: rc.type,
        actions,
        why: `action ${actions.join("+")} is never explained by the drift allowlist`,
        attributes: attributeChanges(rc.change),
      });
      continue;
    }
    const changes = attributeChanges(rc.change);
    if (changes.length === 0) {
      unexpected.push({
        address: rc.address,
        type: rc.type,
        actions,
        why: "update with no visible attribute difference (sensitive or provider-internal change)",
        attributes: [],
      });
      continue;
    }
    const unexplained: AttributeChange[] = [];
    const mine: ExplainedChange[] = [];
    for (const ch of changes) {
      const allowance = explain(rc.type, ch, allowlist);
      if (allowance) {
        mine.push({ address: rc.address, type: rc.type, path: ch.path, before: ch.before, after: ch.after, reason: allowance.reason });
      } else {
        unexplained.push(ch);
      }
    }
    explained.push(...mine);
    if (unexplained.length > 0) {
      unexpected.push({
        address: rc.address,
        type: rc.type,
        actions,
        why: "attribute differences not in the drift allowlist",
        attributes: unexplained,
      });
    }
  }
  for (const [name, oc] of Object.entries(plan.output_changes ?? {})) {
    if (oc.actions.length === 1 && oc.actions[0] === "no-op") continue;
    unexpected.push({
      address: `output.${name}`,
      type: "output",
      actions: oc.actions,
      why: "output value changes on a no-change re-plan",
      attributes: attributeChanges(oc),
    });
  }
  return { unexpected, explained };
}

/** Changes in a `terraform show -json` plan that the allowlist does NOT explain. Empty = clean re-plan. */
export function unexpectedChanges(
  plan: PlanJson,
  allowlist: readonly DriftAllowance[] = MOTO_DRIFT_ALLOWLIST,
): UnexpectedChange[] {
  return classify(plan, allowlist).unexpected;
}

/** The attribute differences the allowlist explains (for logging what was tolerated and why). */
export function explainedChanges(
  plan: PlanJson,
  allowlist: readonly DriftAllowance[] = MOTO_DRIFT_ALLOWLIST,
): ExplainedChange[] {
  return classify(plan, allowlist).explained;
}

const show = (v: unknown): string => (v === undefined ? "(absent)" : JSON.stringify(v));

/** Human-readable report of unexpected and explained changes. */
export function formatDrift(unexpected: UnexpectedChange[], explained: ExplainedChange[] = []): string {
  const lines: string[] = [];
  if (unexpected.length > 0) {
    lines.push(`UNEXPECTED changes on re-plan (${unexpected.length}):`);
    for (const u of unexpected) {
      lines.push(`  ${u.address} [${u.actions.join("+")}] — ${u.why}`);
      for (const a of u.attributes) {
        lines.push(`      ${a.path}: ${show(a.before)} -> ${a.afterUnknown ? "(known after apply)" : show(a.after)}`);
      }
    }
  }
  if (explained.length > 0) {
    lines.push(`Tolerated (drift allowlist, ${explained.length}):`);
    for (const e of explained) {
      lines.push(`  ${e.address} ${e.path}: ${show(e.before)} -> ${show(e.after)} — ${e.reason}`);
    }
  }
  return lines.join("\n");
}
