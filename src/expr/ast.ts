// Types shared by the lexer, parser, checker and compiler of the pipeline expression language.

export type FieldType = "string" | "number" | "boolean" | "timestamp";

/** The type of an expression: a field type, or `null` for the literal `null`. */
export type ValueType = FieldType | "null";

export type RecordType = Readonly<Record<string, FieldType>>;

/**
 * A diagnostic. offset/length are 0-based positions inside the expression source, counted in
 * UTF-16 code units like JavaScript string indices, so callers can add them to the position of
 * the expression in its file.
 */
export interface ExprError {
  message: string;
  offset: number;
  length: number;
  hint?: string;
}

interface NodeBase {
  offset: number;
  length: number;
  /**
   * Filled in by checkExpression. The compiler needs it because the same operator compiles
   * differently per type (timestamps compare through Date.parse, field reads need a cast).
   */
  type?: ValueType;
}

export interface LiteralExpr extends NodeBase {
  kind: "literal";
  value: string | number | boolean | null;
}

export interface FieldExpr extends NodeBase {
  kind: "field";
  name: string;
}

export interface UnaryExpr extends NodeBase {
  kind: "unary";
  op: "not" | "-";
  operand: Expr;
}

export type LogicalOp = "or" | "and";
export type ComparisonOp = "==" | "!=" | "<" | "<=" | ">" | ">=";
export type ArithmeticOp = "+" | "-" | "*" | "/" | "%";
export type BinaryOp = LogicalOp | ComparisonOp | ArithmeticOp;

export interface BinaryExpr extends NodeBase {
  kind: "binary";
  op: BinaryOp;
  /** Where the operator token starts, so errors about the operator itself can point at it. */
  opOffset: number;
  left: Expr;
  right: Expr;
}

export interface InExpr extends NodeBase {
  kind: "in";
  opOffset: number;
  value: Expr;
  list: LiteralExpr[];
}

export interface CallExpr extends NodeBase {
  kind: "call";
  /** The function name starts at `offset`; its length is `name.length`. */
  name: string;
  args: Expr[];
}

export type Expr = LiteralExpr | FieldExpr | UnaryExpr | BinaryExpr | InExpr | CallExpr;

export const COMPARISON_OPS: readonly ComparisonOp[] = ["==", "!=", "<", "<=", ">", ">="];

/** Whether `op` is one of the comparison operators. */
export function isComparisonOp(op: string): op is ComparisonOp {
  return (COMPARISON_OPS as readonly string[]).includes(op);
}
