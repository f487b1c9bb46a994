/**
 * Reads IAM policy documents wherever the module keeps them (jsonencode expressions,
 * JSON heredocs/strings, `data "aws_iam_policy_document"` blocks, locals) into one
 * normalised statement form. Parts that cannot be read statically are recorded as
 * `problems`, and the rules treat them as failures (fail closed).
 */
import { dataOf, resourcesOf } from "./load-module.ts";
import { asString, blocks, expand, expandDeep, refs } from "./expr.ts";
import { tryParseHclExpression, unwrapInterpolation } from "./hcl-expr.ts";
import type { Block, Body, Model } from "./types.ts";

export type PolicyContext = "identity" | "trust" | "resource";

export interface Principal {
  /** "*" (Principal: "*"), "AWS", "Service", "Federated", "CanonicalUser". */
  type: string;
  ids: string[];
}

export interface Condition {
  test: string;
  variable: string;
  values: string[];
}

export interface Statement {
  index: number;
  sid?: string;
  effect: string;
  actions: string[];
  notActions: string[];
  resources: string[];
  notResources: string[];
  principals: Principal[];
  notPrincipals: Principal[];
  conditions: Condition[];
  /** Which policy elements were present (e.g. "NotAction"). */
  present: Set<string>;
  /** Parts that could not be read statically. */
  problems: string[];
}

export interface PolicyDoc {
  /** The resource (or unreferenced data source) holding the policy. */
  owner: Block;
  attribute: string;
  context: PolicyContext;
  /** Address of the aws_iam_policy_document the policy comes from, if any. */
  via?: string;
  statements: Statement[];
  /** Document-level problems (policy not readable at all). */
  problems: string[];
}

interface Source {
  type: string;
  attribute: string;
  context: PolicyContext;
  /** Nested block holding the attribute (aws_iam_role inline_policy). */
  nested?: string;
}

export const POLICY_SOURCES: Source[] = [
  { type: "aws_iam_role_policy", attribute: "policy", context: "identity" },
  { type: "aws_iam_policy", attribute: "policy", context: "identity" },
  { type: "aws_iam_user_policy", attribute: "policy", context: "identity" },
  { type: "aws_iam_group_policy", attribute: "policy", context: "identity" },
  { type: "aws_iam_role", attribute: "policy", context: "identity", nested: "inline_policy" },
  { type: "aws_iam_role", attribute: "assume_role_policy", context: "trust" },
  { type: "aws_s3_bucket_policy", attribute: "policy", context: "resource" },
  { type: "aws_s3_bucket", attribute: "policy", context: "resource" },
  { type: "aws_sqs_queue", attribute: "policy", context: "resource" },
  { type: "aws_sqs_queue_policy", attribute: "policy", context: "resource" },
  { type: "aws_sns_topic", attribute: "policy", context: "resource" },
  { type: "aws_sns_topic_policy", attribute: "policy", context: "resource" },
  { type: "aws_kms_key", attribute: "policy", context: "resource" },
  { type: "aws_kms_key_policy", attribute: "policy", context: "resource" },
  { type: "aws_opensearch_domain", attribute: "access_policies", context: "resource" },
  { type: "aws_opensearch_domain_policy", attribute: "access_policies", context: "resource" },
  { type: "aws_elasticsearch_domain", attribute: "access_policies", context: "resource" },
  { type: "aws_elasticsearch_domain_policy", attribute: "access_policies", context: "resource" },
  { type: "aws_cloudwatch_log_resource_policy", attribute: "policy_document", context: "resource" },
  { type: "aws_kinesis_resource_policy", attribute: "policy", context: "resource" },
  { type: "aws_dynamodb_resource_policy", attribute: "policy", context: "resource" },
  { type: "aws_cloudwatch_event_bus_policy", attribute: "policy", context: "resource" },
  { type: "aws_glue_resource_policy", attribute: "policy", context: "resource" },
  { type: "aws_secretsmanager_secret_policy", attribute: "policy", context: "resource" },
  { type: "aws_api_gateway_rest_api_policy", attribute: "policy", context: "resource" },
];

/** Resource types whose presence means some policy is read (for rule applicability). */
export const POLICY_TYPES = [...new Set(POLICY_SOURCES.map((s) => s.type))];

const DATA_DOC = /^data\.aws_iam_policy_document\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.(?:json|minified_json)$/;

function emptyStatement(index: number): Statement {
  return {
    index,
    effect: "Allow",
    actions: [],
    notActions: [],
    resources: [],
    notResources: [],
    principals: [],
    notPrincipals: [],
    conditions: [],
    present: new Set(),
    problems: [],
  };
}

const isOpaque = (v: unknown): boolean => typeof v === "string" && unwrapInterpolation(v) !== undefined;

const LIST_FUNCTIONS = /^(concat|flatten|tolist|toset|values|keys|distinct|compact|setunion|setintersection|formatlist|split|sort|reverse|slice|coalescelist|matchkeys|range|zipmap)\s*\(/;

/**
 * True when a whole-value expression may produce a list (so its elements are unknown):
 * splats, for-expressions, tuple-building functions, and variables of a collection type.
 * References to resource attributes (`aws_s3_bucket.lake.arn`) are single values.
 */
function mayBeList(model: Model, expr: string): boolean {
  if (/\[\*\]|\.\*|\bfor\s/.test(expr) || expr.startsWith("[") || LIST_FUNCTIONS.test(expr)) return true;
  const v = /^var\.([A-Za-z_][\w-]*)$/.exec(expr);
  if (v) {
    const type = String(model.variables[v[1]!]?.type ?? "");
    return type === "" || /list|set|tuple|any/.test(type);
  }
  return /^local\./.test(expr);
}

/** Reads a string-or-list policy element; whole-value list expressions are problems. */
function stringList(model: Model, v: unknown, what: string, problems: string[], literalOnly = false): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string" && isOpaque(v) && mayBeList(model, unwrapInterpolation(v)!)) {
    problems.push(`${what} is not a static list: ${String(v)}`);
    return [];
  }
  const items = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const item of items) {
    const s = asString(item);
    if (s === undefined) {
      problems.push(`${what} has a non-string element ${JSON.stringify(item)}`);
      continue;
    }
    if (literalOnly && s.includes("${")) problems.push(`${what} element is not a literal: ${s}`);
    out.push(s);
  }
  return out;
}

function jsonPrincipals(model: Model, v: unknown, what: string, problems: string[]): Principal[] {
  if (v === undefined || v === null) return [];
  if (v === "*") return [{ type: "*", ids: ["*"] }];
  if (typeof v !== "object" || Array.isArray(v)) {
    problems.push(`${what} is not readable: ${JSON.stringify(v)}`);
    return [];
  }
  return Object.entries(v as Body).map(([type, ids]) => ({ type, ids: stringList(model, ids, `${what}.${type}`, problems) }));
}

function jsonConditions(model: Model, v: unknown, problems: string[]): Condition[] {
  if (v === undefined || v === null) return [];
  if (typeof v !== "object" || Array.isArray(v)) {
    problems.push(`Condition is not readable: ${JSON.stringify(v)}`);
    return [];
  }
  const out: Condition[] = [];
  for (const [test, byVar] of Object.entries(v as Body)) {
    if (!byVar || typeof byVar !== "object" || Array.isArray(byVar)) {
      problems.push(`Condition ${test} is not readable`);
      continue;
    }
    for (const [variable, values] of Object.entries(byVar as Body)) {
      out.push({ test, variable, values: stringList(model, values, `Condition ${test} ${variable}`, problems) });
    }
  }
  return out;
}

/** Normalises a JSON-shaped policy document (already locals-expanded). */
export function statementsFromJson(model: Model, doc: unknown, problems: string[]): Statement[] {
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    problems.push(`policy document is not an object: ${JSON.stringify(doc)}`);
    return [];
  }
  const raw = (doc as Body).Statement;
  if (raw === undefined) {
    problems.push("policy document has no Statement");
    return [];
  }
  if (isOpaque(raw)) {
    problems.push(`Statement is not static: ${String(raw)}`);
    return [];
  }
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((s, index) => {
    const st = emptyStatement(index);
    if (!s || typeof s !== "object" || Array.isArray(s)) {
      st.problems.push(`statement ${index} is not an object: ${JSON.stringify(s)}`);
      return st;
    }
    const b = s as Body;
    for (const k of Object.keys(b)) st.present.add(k);
    st.sid = asString(b.Sid);
    const effect = asString(b.Effect);
    if (effect !== "Allow" && effect !== "Deny") st.problems.push(`Effect is not "Allow" or "Deny": ${JSON.stringify(b.Effect)}`);
    st.effect = effect ?? "?";
    st.actions = stringList(model, b.Action, "Action", st.problems, true);
    st.notActions = stringList(model, b.NotAction, "NotAction", st.problems, true);
    st.resources = stringList(model, b.Resource, "Resource", st.problems);
    st.notResources = stringList(model, b.NotResource, "NotResource", st.problems);
    st.principals = jsonPrincipals(model, b.Principal, "Principal", st.problems);
    st.notPrincipals = jsonPrincipals(model, b.NotPrincipal, "NotPrincipal", st.problems);
    st.conditions = jsonConditions(model, b.Condition, st.problems);
    return st;
  });
}

function docPrincipals(bodies: Body[], what: string, model: Model, problems: string[]): Principal[] {
  return bodies.map((p) => {
    const type = asString(expand(model, p.type)) ?? "?";
    const ids = stringList(model, expandDeep(model, p.identifiers), `${what} ${type}`, problems);
    // In aws_iam_policy_document, principals { type = "*" identifiers = ["*"] } is Principal "*".
    return type === "*" ? { type: "*", ids: ["*"] } : { type, ids };
  });
}

/** Normalises a `data "aws_iam_policy_document"` block, following source/override documents. */
export function statementsFromDataDoc(model: Model, doc: Block, problems: string[], seen = new Set<string>()): Statement[] {
  if (seen.has(doc.address)) {
    problems.push(`${doc.address} includes itself`);
    return [];
  }
  seen.add(doc.address);
  const body = doc.body;
  if (body.dynamic !== undefined) problems.push(`${doc.address} uses dynamic blocks`);
  for (const k of ["source_json", "override_json"]) {
    if (body[k] !== undefined) problems.push(`${doc.address} uses ${k}`);
  }
  const out: Statement[] = [];
  for (const k of ["source_policy_documents", "override_policy_documents"]) {
    const v = expandDeep(model, body[k]);
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) {
      problems.push(`${doc.address}.${k} is not a static list`);
      continue;
    }
    for (const item of v) {
      const inner = typeof item === "string" ? unwrapInterpolation(item) : undefined;
      const m = inner ? DATA_DOC.exec(inner) : null;
      const other = m ? model.data.aws_iam_policy_document?.[m[1]!] : undefined;
      if (!other) {
        problems.push(`${doc.address}.${k} element is not a policy document in the module: ${JSON.stringify(item)}`);
        continue;
      }
      out.push(...statementsFromDataDoc(model, other, problems, seen));
    }
  }
  for (const s of blocks(body, "statement")) {
    const st = emptyStatement(out.length);
    const map: [string, string][] = [
      ["actions", "Action"],
      ["not_actions", "NotAction"],
      ["resources", "Resource"],
      ["not_resources", "NotResource"],
      ["principals", "Principal"],
      ["not_principals", "NotPrincipal"],
      ["condition", "Condition"],
    ];
    for (const [k, name] of map) if (s[k] !== undefined) st.present.add(name);
    st.sid = asString(expand(model, s.sid));
    const effect = s.effect === undefined ? "Allow" : asString(expand(model, s.effect));
    if (effect !== "Allow" && effect !== "Deny") st.problems.push(`effect is not "Allow" or "Deny": ${JSON.stringify(s.effect)}`);
    st.effect = effect ?? "?";
    st.actions = stringList(model, expandDeep(model, s.actions), "actions", st.problems, true);
    st.notActions = stringList(model, expandDeep(model, s.not_actions), "not_actions", st.problems, true);
    st.resources = stringList(model, expandDeep(model, s.resources), "resources", st.problems);
    st.notResources = stringList(model, expandDeep(model, s.not_resources), "not_resources", st.problems);
    st.principals = docPrincipals(blocks(s, "principals"), "principals", model, st.problems);
    st.notPrincipals = docPrincipals(blocks(s, "not_principals"), "not_principals", model, st.problems);
    st.conditions = blocks(s, "condition").map((c) => ({
      test: asString(expand(model, c.test)) ?? "?",
      variable: asString(expand(model, c.variable)) ?? "?",
      values: stringList(model, expandDeep(model, c.values), "condition values", st.problems),
    }));
    if (s.dynamic !== undefined) st.problems.push("statement uses dynamic blocks");
    out.push(st);
  }
  return out.map((s, index) => ({ ...s, index }));
}

/** Reads a policy attribute value. Returns undefined when the attribute is unset. */
export function readPolicy(
  model: Model,
  value: unknown,
  owner: Block,
  attribute: string,
  context: PolicyContext,
): PolicyDoc | undefined {
  const v = expand(model, value);
  if (v === undefined || v === null) return undefined;
  const doc: PolicyDoc = { owner, attribute, context, statements: [], problems: [] };
  if (typeof v === "object") {
    doc.statements = statementsFromJson(model, expandDeep(model, v), doc.problems);
    return doc;
  }
  if (typeof v !== "string") {
    doc.problems.push(`policy is not a document: ${JSON.stringify(v)}`);
    return doc;
  }
  const inner = unwrapInterpolation(v);
  if (inner !== undefined) {
    const m = DATA_DOC.exec(inner);
    if (m) {
      const data = model.data.aws_iam_policy_document?.[m[1]!];
      if (!data) {
        doc.problems.push(`refers to data.aws_iam_policy_document.${m[1]}, which is not in the module`);
        return doc;
      }
      doc.via = data.address;
      doc.statements = statementsFromDataDoc(model, data, doc.problems);
      return doc;
    }
    const call = /^jsonencode\s*\(([\s\S]*)\)$/.exec(inner);
    if (call) {
      let parsed: unknown = tryParseHclExpression(call[1]!);
      if (parsed === undefined) {
        doc.problems.push("jsonencode argument does not parse");
        return doc;
      }
      parsed = expandDeep(model, parsed);
      doc.statements = statementsFromJson(model, parsed, doc.problems);
      return doc;
    }
    doc.problems.push(`policy expression is not statically readable: ${v.slice(0, 120)}`);
    return doc;
  }
  const text = v.trim();
  if (text.startsWith("{")) {
    try {
      doc.statements = statementsFromJson(model, expandDeep(model, JSON.parse(text)), doc.problems);
    } catch (e) {
      doc.problems.push(`policy JSON does not parse: ${String(e)}`);
    }
    return doc;
  }
  doc.problems.push(`policy is not a document: ${v.slice(0, 120)}`);
  return doc;
}

const cache = new WeakMap<Model, PolicyDoc[]>();

/**
 * Every policy document in the module, with its context. Data documents that no policy
 * attribute uses are included on their own: as resource policies when they name
 * principals, else as identity policies.
 */
export function allPolicies(model: Model): PolicyDoc[] {
  const cached = cache.get(model);
  if (cached) return cached;
  const docs: PolicyDoc[] = [];
  for (const src of POLICY_SOURCES) {
    for (const block of resourcesOf(model, src.type)) {
      const holders = src.nested ? blocks(block.body, src.nested) : [block.body];
      holders.forEach((holder, i) => {
        const attribute = src.nested ? `${src.nested}[${i}].${src.attribute}` : src.attribute;
        const doc = readPolicy(model, holder[src.attribute], block, attribute, src.context);
        if (doc) docs.push(doc);
      });
    }
  }
  const used = new Set<string>();
  const markUsed = (address: string, depth = 0): void => {
    if (used.has(address) || depth > 20) return;
    used.add(address);
    const b = model.data.aws_iam_policy_document?.[address.split(".")[2] ?? ""];
    if (!b) return;
    for (const k of ["source_policy_documents", "override_policy_documents"]) {
      for (const r of refs(model, b.body[k])) if (r.type === "aws_iam_policy_document") markUsed(r.address, depth + 1);
    }
  };
  for (const d of docs) if (d.via) markUsed(d.via);
  for (const data of dataOf(model, "aws_iam_policy_document")) {
    if (used.has(data.address)) continue;
    const problems: string[] = [];
    const statements = statementsFromDataDoc(model, data, problems);
    const context: PolicyContext = statements.some((s) => s.principals.length > 0 || s.notPrincipals.length > 0)
      ? "resource"
      : "identity";
    docs.push({ owner: data, attribute: "(unreferenced document)", context, via: data.address, statements, problems });
  }
  cache.set(model, docs);
  return docs;
}

export const policiesIn = (model: Model, context: PolicyContext): PolicyDoc[] =>
  allPolicies(model).filter((d) => d.context === context);

/** Policies attached to a specific block's attribute (e.g. the trust policy of a role). */
export function policyOf(model: Model, block: Block, attribute: string): PolicyDoc | undefined {
  return allPolicies(model).find((d) => d.owner.address === block.address && d.attribute === attribute);
}

/** Glob match of IAM action patterns (case-insensitive, `*` and `?`). */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    "^" +
      pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("") +
      "$",
    "i",
  );
  return re.test(action);
}

/** True when some principal is everyone ("*" or AWS "*"). */
export const isPublic = (st: Statement): boolean => st.principals.some((p) => p.type === "*" || p.ids.includes("*"));

/** Every problem of a document, prefixed with the statement it is in. */
export function docProblems(doc: PolicyDoc): string[] {
  return [
    ...doc.problems,
    ...doc.statements.flatMap((s) => s.problems.map((p) => `statement ${s.sid ?? s.index}: ${p}`)),
  ];
}

/** Label for a statement in messages. */
export const stmtLabel = (doc: PolicyDoc, st: Statement): string =>
  `${doc.attribute}${doc.via && doc.via !== doc.owner.address ? ` (${doc.via})` : ""} statement ${st.sid ? `"${st.sid}"` : `#${st.index}`}`;
