import type { Expr, FieldType, RecordType } from "../../expr/index.ts";
import { checkExpression, compileExpression, parseExpression } from "../../expr/index.ts";
import type { Report } from "../kind.ts";

/** Parses and type-checks one spec expression, reporting errors inside the YAML scalar; returns the AST and its type. */
export function checkedExpression(
  src: string,
  fields: RecordType,
  pointer: string,
  report: Report,
): { ast: Expr; type: FieldType | "null" } | undefined {
  const parsed = parseExpression(src);
  for (const e of parsed.errors) report(pointer, "PG3006", e.message, e.hint, { offset: e.offset, length: e.length });
  if (!parsed.ast) return undefined;
  const checked = checkExpression(parsed.ast, fields);
  for (const e of checked.errors) {
    const code = /unknown field/.test(e.message) ? "PG3005" : /type|expects|cannot|mismatch|needs/i.test(e.message) ? "PG3007" : "PG3006";
    report(pointer, code, e.message, e.hint, { offset: e.offset, length: e.length });
  }
  if (checked.errors.length || !checked.type) return undefined;
  return { ast: parsed.ast, type: checked.type };
}

/** Compiles an expression that analysis already accepted (the compiler needs the types the checker attaches). */
export function compileChecked(src: string, fields: RecordType, recordVar = "r"): string {
  const ast = parseExpression(src).ast!;
  checkExpression(ast, fields);
  return compileExpression(ast, recordVar);
}
