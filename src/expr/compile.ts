// Compiles a checked AST to a TypeScript expression. Spec text only ever reaches the output
// through stringLiteral (JSON.stringify, for strings and field names) or String(number), so
// no expression can inject code into the generated handler.

import type { BinaryExpr, CallExpr, Expr, FieldExpr, InExpr, LiteralExpr, ValueType } from "./ast.ts";
import { lookupFunction } from "./functions.ts";

// JavaScript precedence levels of the constructs we emit; higher binds tighter.
const OR = 4;
const AND = 5;
const EQUALITY = 9;
const RELATIONAL = 10;
const ADDITIVE = 12;
const MULTIPLICATIVE = 13;
const UNARY = 15;
const PRIMARY = 20;

interface Code {
  code: string;
  prec: number;
}

const JS_OPS = {
  or: ["||", OR],
  and: ["&&", AND],
  "==": ["===", EQUALITY],
  "!=": ["!==", EQUALITY],
  "<": ["<", RELATIONAL],
  "<=": ["<=", RELATIONAL],
  ">": [">", RELATIONAL],
  ">=": [">=", RELATIONAL],
  "+": ["+", ADDITIVE],
  "-": ["-", ADDITIVE],
  "*": ["*", MULTIPLICATIVE],
  "/": ["/", MULTIPLICATIVE],
  "%": ["%", MULTIPLICATIVE],
} as const;

function wrap(c: Code, minPrec: number): string {
  return c.prec >= minPrec ? c.code : `(${c.code})`;
}

/** Whether `e` reads no field, so TypeScript may give it a literal type. */
function isConstant(e: Expr): boolean {
  switch (e.kind) {
    case "literal":
      return true;
    case "field":
      return false;
    case "unary":
      return isConstant(e.operand);
    case "binary":
      return isConstant(e.left) && isConstant(e.right);
    case "in":
      return isConstant(e.value);
    case "call":
      return e.args.every(isConstant);
  }
}

/** The TypeScript type of a value: timestamps travel as ISO-8601 strings. */
function tsType(t: ValueType): string {
  return t === "timestamp" ? "string" : t;
}

function typeOf(e: Expr): ValueType {
  if (e.type === undefined) {
    throw new Error("compileExpression: the expression has not been checked without errors by checkExpression");
  }
  return e.type;
}

class Compiler {
  constructor(private readonly record: string) {}

  emit(e: Expr): Code {
    switch (e.kind) {
      case "literal":
        return literal(e);
      case "field":
        // `as` binds like a relational operator, which reads badly next to `&&` or `!`; parentheses
        // are dropped only where an argument list already delimits the cast (see `argument`).
        return { code: `(${this.fieldRead(e)})`, prec: PRIMARY };
      case "unary":
        if (e.op === "not") return { code: `!${wrap(this.emit(e.operand), UNARY)}`, prec: UNARY };
        // UNARY + 1 parenthesizes a negative operand, so `- -x` can never print as the `--` operator.
        return { code: `-${wrap(this.emit(e.operand), UNARY + 1)}`, prec: UNARY };
      case "binary":
        return this.binary(e);
      case "in":
        return this.in(e);
      case "call":
        return this.call(e);
    }
  }

  private fieldRead(e: FieldExpr): string {
    // The cast is what lets strict TypeScript accept a read from Record<string, unknown>;
    // records were validated against the schema before the handler evaluates expressions.
    return `${this.record}[${stringLiteral(e.name)}] as ${tsType(typeOf(e))}`;
  }

  private argument(e: Expr): string {
    return e.kind === "field" ? this.fieldRead(e) : this.emit(e).code;
  }

  private binary(e: BinaryExpr): Code {
    const [jsOp, prec] = JS_OPS[e.op];
    if (e.op === "or" || e.op === "and") {
      // `a && b || c` is correct but easy to misread in review, so nested `&&` gets parentheses.
      const left = this.emit(e.left);
      const right = this.emit(e.right);
      const l = e.op === "or" && left.prec === AND ? `(${left.code})` : wrap(left, prec);
      const r = e.op === "or" && right.prec === AND ? `(${right.code})` : wrap(right, prec + 1);
      return { code: `${l} ${jsOp} ${r}`, prec };
    }
    if (prec === EQUALITY || prec === RELATIONAL) return this.comparison(e, jsOp, prec);
    return { code: `${wrap(this.emit(e.left), prec)} ${jsOp} ${wrap(this.emit(e.right), prec + 1)}`, prec };
  }

  private comparison(e: BinaryExpr, jsOp: string, prec: number): Code {
    const lt = typeOf(e.left);
    const rt = typeOf(e.right);
    if (lt === "null" || rt === "null") {
      // Loose equality on purpose: a field missing from the record is undefined, and should count as null.
      const op = e.op === "==" ? "==" : "!=";
      return { code: `${wrap(this.emit(e.left), ADDITIVE)} ${op} ${wrap(this.emit(e.right), ADDITIVE)}`, prec };
    }
    if (lt === "timestamp" || rt === "timestamp") {
      return { code: `${this.timestamp(e.left)} ${jsOp} ${this.timestamp(e.right)}`, prec };
    }
    let left = wrap(this.emit(e.left), ADDITIVE);
    const right = wrap(this.emit(e.right), ADDITIVE);
    if (prec === EQUALITY && isConstant(e.left) && isConstant(e.right)) {
      // TypeScript rejects `1 === 2` or `false === !false` as comparisons of non-overlapping
      // literal types; widening one side keeps such (pointless but valid) conditions compiling.
      left = `(${wrap(this.emit(e.left), UNARY)} as ${tsType(lt)})`;
    }
    return { code: `${left} ${jsOp} ${right}`, prec };
  }

  private timestamp(e: Expr): string {
    return `Date.parse(${this.argument(e)})`;
  }

  private in(e: InExpr): Code {
    const timestamps = typeOf(e.value) === "timestamp";
    const elements = e.list.map((el) => (timestamps ? this.timestamp(el) : literal(el).code));
    const value = timestamps ? this.timestamp(e.value) : this.argument(e.value);
    return { code: `[${elements.join(", ")}].includes(${value})`, prec: PRIMARY };
  }

  private call(e: CallExpr): Code {
    const sig = lookupFunction(e.name);
    if (sig === undefined) throw new Error(`compileExpression: unknown function ${JSON.stringify(e.name)}`);
    const args = e.args.map((a) => this.argument(a));
    // round() without digits rounds to an integer; passing 0 keeps the helper's signature simple.
    if (e.name === "round" && args.length === 1) args.push("0");
    // An explicit type argument, because inference would give coalesce('b', null) the literal
    // type "b", and TypeScript then rejects comparing it with any other literal.
    const typeArg = e.name === "coalesce" ? `<${tsType(typeOf(e))}>` : "";
    return { code: `${sig.callee}${typeArg}(${args.join(", ")})`, prec: PRIMARY };
  }
}

/** A string literal for generated code: JSON.stringify, plus escapes for the two line separators it leaves raw. */
function stringLiteral(s: string): string {
  // U+2028/U+2029 are legal in string literals since ES2019, but older tools and editors treat them as line breaks.
  return JSON.stringify(s).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function literal(e: LiteralExpr): Code {
  const v = e.value;
  if (typeof v === "string") return { code: stringLiteral(v), prec: PRIMARY };
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`compileExpression: number literal ${String(v)} is not finite`);
    const code = Object.is(v, -0) ? "-0" : String(v);
    return { code, prec: code.startsWith("-") ? UNARY : PRIMARY };
  }
  return { code: String(v), prec: PRIMARY };
}

/**
 * Compiles a checked, error-free AST to a TypeScript expression reading fields from `recordVar`.
 * Wrap the result in parentheses when embedding it as an operand.
 */
export function compileExpression(ast: Expr, recordVar: string): string {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(recordVar)) {
    throw new Error(`compileExpression: record variable ${JSON.stringify(recordVar)} is not an identifier`);
  }
  return new Compiler(recordVar).emit(ast).code;
}
