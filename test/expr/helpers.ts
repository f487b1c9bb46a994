// Shared by the expression tests: parse + check + compile in one step, and evaluation of
// compiled code (evaluating is fine in tests; the generator itself never evaluates anything).

import { transformSync } from "esbuild";
import vm from "node:vm";
import type { Expr, RecordType } from "../../src/expr/index.ts";
import { checkExpression, compileExpression, EXPRESSION_RUNTIME_TS, parseExpression } from "../../src/expr/index.ts";

/** Parses, checks and compiles `src`, failing loudly on any error. */
export function compile(src: string, fields: RecordType, recordVar = "r"): string {
  const { ast, errors } = parseExpression(src);
  if (!ast) throw new Error(`parse errors in ${JSON.stringify(src)}: ${JSON.stringify(errors)}`);
  return compileChecked(ast, fields, recordVar);
}

/** Checks and compiles an AST, failing loudly on any error. */
export function compileChecked(ast: Expr, fields: RecordType, recordVar = "r"): string {
  const checked = checkExpression(ast, fields);
  if (checked.errors.length > 0) throw new Error(`check errors: ${JSON.stringify(checked.errors)}`);
  return compileExpression(ast, recordVar);
}

/** The TypeScript module the tests build: runtime helpers, a record, and one export per expression. */
export function moduleSource(record: Record<string, unknown>, compiled: readonly string[]): string {
  const exports = compiled.map((code, i) => `export const v${i} = ${code};`).join("\n");
  return `${EXPRESSION_RUNTIME_TS}\nconst r: Record<string, unknown> = ${JSON.stringify(record)};\n${exports}\n`;
}

/**
 * Transpiles with esbuild and runs the module in a fresh vm context; returns the exported
 * values in order, plus the context so tests can check that nothing leaked into globals.
 */
export function evaluate(
  record: Record<string, unknown>,
  compiled: readonly string[],
): { values: unknown[]; context: Record<string, unknown> } {
  const js = transformSync(moduleSource(record, compiled), { loader: "ts", format: "cjs", target: "es2022" }).code;
  const module = { exports: {} as Record<string, unknown> };
  const context: Record<string, unknown> = { module, exports: module.exports };
  vm.runInNewContext(js, context, { timeout: 1000 });
  // esbuild's CommonJS output replaces module.exports, so read it only after running.
  const exported = module.exports;
  return { values: compiled.map((_, i) => exported[`v${i}`]), context };
}
