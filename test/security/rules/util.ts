/** Helpers shared by the rule families. */
import { attr, expand, refersTo } from "../expr.ts";
import { resourcesOf } from "../load-module.ts";
import { literalSkeleton } from "../hcl-expr.ts";
import type { Block, Model, Violation } from "../types.ts";

export const violation = (id: string, where: Block | string, message: string): Violation => ({
  id,
  resource: typeof where === "string" ? where : where.address,
  message,
});

/**
 * True when `expr` designates `target`: it references the block, or (for buckets and other
 * named things) it equals the target's name attribute, literally or as the same expression.
 */
export function designates(model: Model, expr: unknown, target: Block, nameAttr?: string): boolean {
  if (expr === undefined || expr === null) return false;
  if (refersTo(model, expr, target)) return true;
  if (!nameAttr) return false;
  const e = expand(model, expr);
  const name = attr(model, target, nameAttr);
  return typeof e === "string" && typeof name === "string" && normalizeExpr(e) === normalizeExpr(name);
}

/** Whitespace-normalised expression text, for comparing two expressions. */
export const normalizeExpr = (s: string): string => s.replace(/\s+/g, "");

/** Resources of `type` whose `attribute` designates `target`. */
export function attachedTo(model: Model, type: string, target: Block, attribute: string, nameAttr?: string): Block[] {
  return resourcesOf(model, type).filter((b) => designates(model, b.body[attribute], target, nameAttr));
}

/** The S3 resources of one bucket: attachments whose `bucket` designates it. */
export const bucketAttachments = (model: Model, type: string, bucket: Block): Block[] =>
  attachedTo(model, type, bucket, "bucket", "bucket");

/** True when the literal text of a (possibly templated) value contains `needle`. */
export const literalIncludes = (v: unknown, needle: string): boolean =>
  typeof v === "string" && literalSkeleton(v).includes(needle);

/** A literal ARN-ish test with interpolations standing in for any non-empty text. */
export function matchesTemplate(v: string, re: RegExp): boolean {
  return re.test(literalSkeleton(v, "X"));
}
