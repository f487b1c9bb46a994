/**
 * Model-aware helpers over hcl2json values: local expansion, reference extraction,
 * attribute access and literal predicates.
 */
import { joinTemplate, splitCode, templateParts, unwrapInterpolation } from "./hcl-expr.ts";
import type { Block, Body, Model } from "./types.ts";

export interface Ref {
  kind: "resource" | "data" | "var" | "local";
  /** Resource/data type (undefined for var/local). */
  type?: string;
  name: string;
  /** First attribute after the address ("arn" in aws_s3_bucket.lake.arn). */
  attr?: string;
  /** "aws_s3_bucket.lake", "data.aws_kms_key.k", "var.x", "local.y". */
  address: string;
}

const MAX_DEPTH = 25;

/**
 * Expands `local.*` references: a string that is exactly `${local.x}` becomes the local's
 * (expanded) value; `${local.x}` parts of a larger template are replaced by the local's
 * text when it is a string, number or bool. Other values are returned unchanged.
 */
export function expand(model: Model, v: unknown, depth = 0): unknown {
  if (typeof v !== "string" || depth > MAX_DEPTH || !v.includes("local.")) return v;
  const inner = unwrapInterpolation(v);
  if (inner !== undefined && /^local\.[A-Za-z_][\w-]*$/.test(inner)) {
    const name = inner.slice(6);
    return name in model.locals ? expand(model, model.locals[name], depth + 1) : v;
  }
  const parts = templateParts(v).map((p) => {
    if (p.kind !== "interp" || !/^local\.[A-Za-z_][\w-]*$/.test(p.text)) return p;
    const name = p.text.slice(6);
    const value = name in model.locals ? expand(model, model.locals[name], depth + 1) : undefined;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      return { kind: "literal" as const, text: String(value) };
    }
    return p;
  });
  return joinTemplate(parts);
}

/** expand() applied through arrays and objects. */
export function expandDeep(model: Model, v: unknown, depth = 0): unknown {
  const e = expand(model, v);
  if (depth > MAX_DEPTH) return e;
  if (Array.isArray(e)) return e.map((x) => expandDeep(model, x, depth + 1));
  if (e && typeof e === "object") {
    return Object.fromEntries(Object.entries(e).map(([k, x]) => [k, expandDeep(model, x, depth + 1)]));
  }
  return e;
}

const TRAVERSAL = /(?<![\w.\-"])([A-Za-z_][\w-]*(?:\[[^\]]*\])*(?:\.[A-Za-z_][\w-]*(?:\[[^\]]*\])*)+)/g;

/** Raw dotted traversals (index brackets removed) in an expression, including nested strings. */
export function traversalsIn(expr: string, depth = 0): string[][] {
  if (depth > MAX_DEPTH) return [];
  const { code, strings } = splitCode(expr);
  const out: string[][] = [];
  for (const m of code.matchAll(TRAVERSAL)) {
    out.push(m[1]!.replace(/\[[^\]]*\]/g, "").split("."));
  }
  for (const s of strings) {
    for (const p of templateParts(s)) if (p.kind !== "literal") out.push(...traversalsIn(p.text, depth + 1));
  }
  return out;
}

function collectRefs(model: Model, v: unknown, out: Ref[], seenLocals: Set<string>, depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (Array.isArray(v)) {
    for (const x of v) collectRefs(model, x, out, seenLocals, depth + 1);
    return;
  }
  if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      collectRefs(model, k, out, seenLocals, depth + 1);
      collectRefs(model, x, out, seenLocals, depth + 1);
    }
    return;
  }
  if (typeof v !== "string") return;
  for (const p of templateParts(v)) {
    if (p.kind === "literal") continue;
    for (const t of traversalsIn(p.text)) {
      const [head, a, b, c] = t;
      if (head === "local" && a) {
        out.push({ kind: "local", name: a, address: `local.${a}`, attr: b });
        if (!seenLocals.has(a) && a in model.locals) {
          seenLocals.add(a);
          collectRefs(model, model.locals[a], out, seenLocals, depth + 1);
        }
      } else if (head === "var" && a) {
        out.push({ kind: "var", name: a, address: `var.${a}`, attr: b });
      } else if (head === "data" && a && b && model.data[a]?.[b]) {
        out.push({ kind: "data", type: a, name: b, attr: c, address: `data.${a}.${b}` });
      } else if (head && a && model.resources[head]?.[a]) {
        out.push({ kind: "resource", type: head, name: a, attr: b, address: `${head}.${a}` });
      }
    }
  }
}

/** References (to resources and data sources that exist in the model, vars and locals) in a value. */
export function refs(model: Model, v: unknown): Ref[] {
  const out: Ref[] = [];
  collectRefs(model, v, out, new Set(), 0);
  return out;
}

/** True when the value references the block (directly or through locals). */
export function refersTo(model: Model, v: unknown, block: Block): boolean {
  return refs(model, v).some((r) => r.address === block.address);
}

/** Blocks of `type` referenced by the value. */
export function referencedBlocks(model: Model, v: unknown, type: string): Block[] {
  const seen = new Set<string>();
  const out: Block[] = [];
  for (const r of refs(model, v)) {
    if (r.type !== type || seen.has(r.address)) continue;
    seen.add(r.address);
    const b = r.kind === "data" ? model.data[type]?.[r.name] : r.kind === "resource" ? model.resources[type]?.[r.name] : undefined;
    if (b) out.push(b);
  }
  return out;
}

/** The nested blocks of a type (hcl2json arrays); a single object is wrapped. */
export function blocks(body: unknown, key: string): Body[] {
  if (!body || typeof body !== "object" || Array.isArray(body)) return [];
  const v = (body as Body)[key];
  if (Array.isArray(v)) return v.filter((x) => x && typeof x === "object" && !Array.isArray(x)) as Body[];
  if (v && typeof v === "object") return [v as Body];
  return [];
}

/**
 * Follows a path of attribute / nested-block names (first block of each type), expanding
 * locals, and returns the (expanded) value at the end, or undefined.
 */
export function get(model: Model, body: unknown, ...path: string[]): unknown {
  let cur: unknown = body;
  for (const key of path) {
    cur = expand(model, cur);
    if (Array.isArray(cur)) cur = cur[0];
    if (!cur || typeof cur !== "object") return undefined;
    cur = (cur as Body)[key];
  }
  return expand(model, cur);
}

/** Attribute of a block body (locals expanded). */
export const attr = (model: Model, block: Block, ...path: string[]): unknown => get(model, block.body, ...path);

export const isTrue = (v: unknown): boolean => v === true || v === "true";
export const isFalse = (v: unknown): boolean => v === false || v === "false";
export const isSet = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0);

/** Strings, numbers and bools as text; anything else undefined. */
export function asString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/** A value as a list of strings (a scalar becomes a one-element list). */
export function asStringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(asString).filter((x): x is string => x !== undefined);
  const s = asString(v);
  return s === undefined ? [] : [s];
}

/** Shows a value in a violation message. */
export function show(v: unknown): string {
  if (v === undefined) return "(unset)";
  return JSON.stringify(v);
}
