// Type checker. A subexpression whose type cannot be known (because of an error inside it)
// yields `undefined`, and every rule stays silent about undefined operands, so one mistake
// produces one error while independent mistakes are all reported.

import type {
  BinaryExpr,
  CallExpr,
  Expr,
  ExprError,
  FieldType,
  InExpr,
  RecordType,
  UnaryExpr,
  ValueType,
} from "./ast.ts";
import { isComparisonOp } from "./ast.ts";
import type { ParamType } from "./functions.ts";
import { AGGREGATE_FUNCTIONS, FUNCTIONS, lookupFunction } from "./functions.ts";
import { KEYWORDS } from "./lexer.ts";
import { compareCodePoints, unknownNameHint } from "./suggest.ts";
import { isIsoTimestamp } from "./timestamp.ts";

type Type = ValueType | undefined;

const TIMESTAMP_LITERAL_HINT = "write a date like '2024-01-31' or a date-time like '2024-01-31T12:00:00Z'";

/** Resolves a field reference, reporting unknown names with suggestions. */
export function resolveField(
  name: string,
  span: { offset: number; length: number },
  fields: RecordType,
  errors: ExprError[],
): FieldType | undefined {
  if (Object.hasOwn(fields, name)) return fields[name];
  const keyword = KEYWORDS.find((k) => k === name.toLowerCase());
  errors.push({
    message: `unknown field \`${name}\``,
    offset: span.offset,
    length: span.length,
    hint: keyword ? `keywords are lower-case: write \`${keyword}\`` : unknownNameHint(name, Object.keys(fields), "fields"),
  });
  return undefined;
}

class Checker {
  readonly errors: ExprError[] = [];
  readonly used = new Set<string>();

  constructor(private readonly fields: RecordType) {}

  visit(e: Expr): Type {
    const t = this.infer(e);
    // Re-checking an AST against different fields must not leave stale annotations behind.
    if (t === undefined) delete e.type;
    else e.type = t;
    return t;
  }

  private infer(e: Expr): Type {
    switch (e.kind) {
      case "literal":
        return e.value === null ? "null" : (typeof e.value as "string" | "number" | "boolean");
      case "field": {
        const t = resolveField(e.name, e, this.fields, this.errors);
        if (t !== undefined) this.used.add(e.name);
        return t;
      }
      case "unary":
        return this.unary(e);
      case "binary":
        return this.binary(e);
      case "in":
        return this.in(e);
      case "call":
        return this.call(e);
    }
  }

  private unary(e: UnaryExpr): Type {
    const t = this.visit(e.operand);
    const want = e.op === "not" ? "boolean" : "number";
    if (t !== undefined && t !== want) {
      this.error(e.operand, `\`${e.op}\` needs a ${want} operand, found ${t}`);
    }
    return want;
  }

  private binary(e: BinaryExpr): Type {
    const l = this.visit(e.left);
    const r = this.visit(e.right);
    if (e.op === "and" || e.op === "or") {
      for (const [side, t] of [[e.left, l], [e.right, r]] as const) {
        if (t !== undefined && t !== "boolean") this.error(side, `\`${e.op}\` needs boolean operands, found ${t}`);
      }
      return "boolean";
    }
    if (isComparisonOp(e.op)) {
      this.comparison(e, l, r);
      return "boolean";
    }
    for (const [side, t] of [[e.left, l], [e.right, r]] as const) {
      if (t !== undefined && t !== "number") {
        this.error(side, `\`${e.op}\` needs number operands, found ${t}`, arithmeticHint(e.op, t));
      }
    }
    return "number";
  }

  private comparison(e: BinaryExpr, l: Type, r: Type): void {
    if (l === undefined || r === undefined) return;
    const equality = e.op === "==" || e.op === "!=";
    const opSpan = { offset: e.opOffset, length: e.op.length };
    if (l === "null" || r === "null") {
      if (!equality) {
        this.error(opSpan, `\`${e.op}\` cannot compare with null`, "test for a missing value with `== null` or `!= null`");
      }
      return;
    }
    if (l === "timestamp" || r === "timestamp") {
      if (l === r) return;
      const other = l === "timestamp" ? e.right : e.left;
      const otherType = l === "timestamp" ? r : l;
      if (otherType === "string") {
        if (other.kind === "literal") this.timestampLiteral(other);
        else {
          this.error(
            e,
            "cannot compare timestamp with string",
            "only string literals are read as timestamps; declare the field as timestamp instead",
          );
        }
        return;
      }
    }
    if (l !== r) {
      const hint =
        (l === "string" && r === "number") || (l === "number" && r === "string")
          ? "convert one side with to_number(...) or to_string(...)"
          : undefined;
      this.error(e, `cannot compare ${l} with ${r}`, hint);
      return;
    }
    if (l === "boolean" && !equality) {
      this.error(opSpan, `\`${e.op}\` cannot order boolean values`, "booleans support only `==` and `!=`");
    }
  }

  private in(e: InExpr): Type {
    const t = this.visit(e.value);
    for (const element of e.list) this.visit(element);
    if (e.list.length === 0) {
      this.error(e, "`in` list is empty", "an empty list never matches; remove the condition or add values");
    }
    if (t === "null") {
      this.error(e.value, "`in` cannot test null", "test for a missing value with `== null`");
      return "boolean";
    }
    for (const element of e.list) {
      if (element.value === null) {
        this.error(element, "null cannot appear in an `in` list", "test for a missing value with `== null`");
      } else if (t === "timestamp" && typeof element.value === "string") {
        this.timestampLiteral(element);
      } else if (t !== undefined && element.type !== t) {
        this.error(element, `\`in\` list element must be ${t} like the value being tested, found ${element.type}`);
      }
    }
    return "boolean";
  }

  private call(e: CallExpr): Type {
    const argTypes = e.args.map((a) => this.visit(a));
    const nameSpan = { offset: e.offset, length: e.name.length };
    const sig = lookupFunction(e.name);
    if (sig === undefined) {
      this.unknownFunction(e.name, nameSpan);
      return undefined;
    }

    const max = sig.rest === undefined ? sig.params.length : Infinity;
    if (e.args.length < sig.required || e.args.length > max) {
      const expected =
        max === Infinity
          ? `at least ${sig.required} arguments`
          : sig.required === max
            ? `${max} argument${max === 1 ? "" : "s"}`
            : `${sig.required} ${max - sig.required === 1 ? "or" : "to"} ${max} arguments`;
      const first = e.args[max];
      const last = e.args[e.args.length - 1];
      // Too many: point at the extra arguments. Too few: nothing to point at but the call.
      const span = first && last ? { offset: first.offset, length: last.offset + last.length - first.offset } : e;
      this.error(span, `\`${e.name}\` takes ${expected} but got ${e.args.length}`, `usage: ${sig.usage}`);
      return e.name === "coalesce" ? undefined : sig.result;
    }

    if (e.name === "coalesce") return this.coalesce(e, argTypes);

    e.args.forEach((arg, i) => {
      const want = sig.params[i] ?? sig.rest ?? "any";
      this.argument(e.name, i, arg, argTypes[i], want);
    });
    if (e.name === "round") {
      const digits = e.args[1];
      if (digits?.kind === "literal" && typeof digits.value === "number" && !Number.isInteger(digits.value)) {
        this.error(digits, "`round` digits must be a whole number");
      }
    }
    return sig.result;
  }

  private argument(fn: string, i: number, arg: Expr, t: Type, want: ParamType): void {
    if (t === undefined || t === want) return;
    const position = `argument ${i + 1} of \`${fn}\``;
    if (want === "any") {
      if (t === "null") this.error(arg, `${position} cannot be null`);
      return;
    }
    if (want === "timestamp" && t === "string") {
      if (arg.kind === "literal") this.timestampLiteral(arg);
      else this.error(arg, `${position} must be timestamp, found string`, "only timestamp fields and ISO-8601 string literals are accepted");
      return;
    }
    const hint =
      want === "string" && t !== "null"
        ? "convert it with to_string(...)"
        : want === "number" && t === "string"
          ? "convert it with to_number(...)"
          : undefined;
    this.error(arg, `${position} must be ${want}, found ${t}`, hint);
  }

  private coalesce(e: CallExpr, [a, b]: Type[]): Type {
    const [first, second] = e.args as [Expr, Expr];
    if (a === undefined || b === undefined) return a === "null" ? b : b === "null" ? a : undefined;
    if (a === "null") return b;
    if (b === "null" || a === b) return a;
    if (a === "timestamp" && b === "string" && second.kind === "literal") return this.timestampLiteral(second) ? a : undefined;
    if (b === "timestamp" && a === "string" && first.kind === "literal") return this.timestampLiteral(first) ? b : undefined;
    this.error(e, `arguments of \`coalesce\` must have the same type, found ${a} and ${b}`);
    return undefined;
  }

  private timestampLiteral(e: Expr): boolean {
    if (e.kind !== "literal" || typeof e.value !== "string" || isIsoTimestamp(e.value)) return true;
    this.error(e, `\`${e.value}\` is not a valid ISO-8601 timestamp`, TIMESTAMP_LITERAL_HINT);
    return false;
  }

  private unknownFunction(name: string, span: { offset: number; length: number }): void {
    const known = Object.keys(FUNCTIONS).sort(compareCodePoints);
    if ((AGGREGATE_FUNCTIONS as readonly string[]).includes(name)) {
      this.error(
        span,
        `aggregate function \`${name}\` cannot be used here`,
        `aggregate functions are only allowed in an aggregate transform's compute; known functions: ${known.join(", ")}`,
      );
      return;
    }
    const hint = unknownNameHint(name, known, "functions");
    const isField = Object.hasOwn(this.fields, name);
    this.error(span, `unknown function \`${name}\``, isField ? `\`${name}\` is a field, not a function; ${hint}` : hint);
  }

  private error(span: { offset: number; length: number }, message: string, hint?: string): void {
    const error: ExprError = { message, offset: span.offset, length: span.length };
    if (hint !== undefined) error.hint = hint;
    this.errors.push(error);
  }
}

function arithmeticHint(op: string, t: ValueType): string | undefined {
  if (op === "+" && t === "string") return "use concat(a, b) to join strings";
  if (t === "timestamp") return "extract a number with hour(...) or compare timestamps directly";
  if (t === "string") return "convert it with to_number(...)";
  return undefined;
}

/**
 * Type-checks `ast` against the record's fields and annotates every node with its type,
 * which compileExpression relies on. `type` is reported even alongside errors when it is
 * still known (a comparison is boolean whatever its operands), so callers can check both.
 */
export function checkExpression(
  ast: Expr,
  fields: RecordType,
): { type?: FieldType | "null"; errors: ExprError[]; fieldsUsed: string[] } {
  const checker = new Checker(fields);
  const type = checker.visit(ast);
  const fieldsUsed = [...checker.used].sort(compareCodePoints);
  // The walk reports children before parents; source order reads better (the sort is stable).
  const errors = checker.errors.sort((a, b) => a.offset - b.offset);
  return type === undefined ? { errors, fieldsUsed } : { type, errors, fieldsUsed };
}
