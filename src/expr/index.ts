// Public API of the pipeline expression language: parse, type-check and compile filter
// conditions and computed fields, plus aggregate calls.
//
// Typical use:
//   const { ast, errors } = parseExpression(src);
//   const checked = checkExpression(ast, fields);        // annotates ast with types
//   if (!checked.errors.length) compileExpression(ast, "r");
//   // paste EXPRESSION_RUNTIME_TS once into the handler file that uses the compiled code.

export type {
  ArithmeticOp,
  BinaryExpr,
  BinaryOp,
  CallExpr,
  ComparisonOp,
  Expr,
  ExprError,
  FieldExpr,
  FieldType,
  InExpr,
  LiteralExpr,
  LogicalOp,
  RecordType,
  UnaryExpr,
  ValueType,
} from "./ast.ts";
export type { AggregateFn } from "./aggregate.ts";
export { parseAggregate } from "./aggregate.ts";
export { checkExpression } from "./check.ts";
export { compileExpression } from "./compile.ts";
export { FUNCTIONS } from "./functions.ts";
export { parseExpression } from "./parser.ts";
export { EXPRESSION_RUNTIME_TS } from "./runtime.ts";
export { closestName, compareCodePoints, editDistance } from "./suggest.ts";
