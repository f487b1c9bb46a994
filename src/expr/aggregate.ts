// Aggregate calls for the `compute:` entries of aggregate transforms, e.g. `avg(temperature)`.
// They share the expression syntax but not its semantics: an aggregate folds one field over
// many records, so its argument must be a plain field, never a computed expression.

import type { ExprError, FieldType, RecordType } from "./ast.ts";
import { resolveField } from "./check.ts";
import { AGGREGATE_FUNCTIONS } from "./functions.ts";
import { parseExpression } from "./parser.ts";
import { unknownNameHint } from "./suggest.ts";

export type AggregateFn = (typeof AGGREGATE_FUNCTIONS)[number];

const USAGE = "write one of avg(field), min(field), max(field), sum(field) or count()";

/** Parses and checks an aggregate call such as `avg(temperature)` or `count()`. */
export function parseAggregate(
  src: string,
  fields: RecordType,
): { fn?: AggregateFn; field?: string; resultType?: FieldType; errors: ExprError[] } {
  // SQL habit; the generic parse error ("expected expression but found `*`") would not say what to do.
  const star = /^(\s*count\s*\(\s*)\*\s*\)\s*$/.exec(src);
  if (star) {
    const offset = star[1]?.length ?? 0;
    return { errors: [{ message: "`count` takes no argument", offset, length: 1, hint: "write `count()` to count records" }] };
  }

  const parsed = parseExpression(src);
  if (parsed.ast === undefined) return { errors: parsed.errors };
  const ast = parsed.ast;
  if (ast.kind !== "call") {
    return { errors: [{ message: "expected an aggregate call", offset: ast.offset, length: ast.length, hint: USAGE }] };
  }

  const fn = ast.name;
  if (!(AGGREGATE_FUNCTIONS as readonly string[]).includes(fn)) {
    const hint = unknownNameHint(fn, AGGREGATE_FUNCTIONS, "aggregate functions");
    return { errors: [{ message: `unknown aggregate function \`${fn}\``, offset: ast.offset, length: fn.length, hint }] };
  }
  const aggregate = fn as AggregateFn;

  if (aggregate === "count") {
    const [first] = ast.args;
    const last = ast.args[ast.args.length - 1];
    if (first && last) {
      const error = { message: "`count` takes no argument", offset: first.offset, length: last.offset + last.length - first.offset };
      return { errors: [{ ...error, hint: "write `count()` to count records" }] };
    }
    return { fn: aggregate, resultType: "number", errors: [] };
  }

  const [arg, extra] = ast.args;
  if (arg === undefined || extra !== undefined) {
    const last = ast.args[ast.args.length - 1] ?? ast;
    // Too many: point at the extra arguments. None: nothing to point at but the call.
    const span = extra ? { offset: extra.offset, length: last.offset + last.length - extra.offset } : ast;
    const error = { message: `\`${fn}\` takes one field but got ${ast.args.length} arguments`, offset: span.offset, length: span.length };
    return { errors: [{ ...error, hint: `write \`${fn}(field)\`` }] };
  }
  if (arg.kind !== "field") {
    return {
      errors: [
        {
          message: `\`${fn}\` takes a field name, not an expression`,
          offset: arg.offset,
          length: arg.length,
          hint: "compute the value in a map transform first, then aggregate that field",
        },
      ],
    };
  }

  const errors: ExprError[] = [];
  const type = resolveField(arg.name, arg, fields, errors);
  if (type === undefined) return { errors };
  const allowed: readonly FieldType[] = aggregate === "min" || aggregate === "max" ? ["number", "timestamp"] : ["number"];
  if (!allowed.includes(type)) {
    const want = allowed.join(" or ");
    errors.push({
      message: `\`${fn}\` needs a ${want} field, but \`${arg.name}\` is ${type}`,
      offset: arg.offset,
      length: arg.length,
    });
    return { errors };
  }
  return { fn: aggregate, field: arg.name, resultType: aggregate === "avg" || aggregate === "sum" ? "number" : type, errors };
}
