// The scalar function library: signatures for the checker, callees for the compiler.

import type { FieldType } from "./ast.ts";

/** `any` accepts every type except null. */
export type ParamType = FieldType | "any";

export interface FunctionSignature {
  readonly params: readonly ParamType[];
  /** How many of `params` must be given; the rest are optional. */
  readonly required: number;
  /** Type of any further arguments; absent means no more arguments are allowed. */
  readonly rest?: ParamType;
  /** Result type; `coalesce` is special-cased by the checker because its result follows its arguments. */
  readonly result: FieldType;
  /** The emitted callee: a global or a helper from EXPRESSION_RUNTIME_TS. */
  readonly callee: string;
  readonly usage: string;
}

/** Every scalar function of the expression language, by name. */
export const FUNCTIONS: Readonly<Record<string, FunctionSignature>> = {
  abs: { params: ["number"], required: 1, result: "number", callee: "Math.abs", usage: "abs(n)" },
  round: { params: ["number", "number"], required: 1, result: "number", callee: "pgRound", usage: "round(n, digits?)" },
  floor: { params: ["number"], required: 1, result: "number", callee: "Math.floor", usage: "floor(n)" },
  ceil: { params: ["number"], required: 1, result: "number", callee: "Math.ceil", usage: "ceil(n)" },
  lower: { params: ["string"], required: 1, result: "string", callee: "pgLower", usage: "lower(s)" },
  upper: { params: ["string"], required: 1, result: "string", callee: "pgUpper", usage: "upper(s)" },
  length: { params: ["string"], required: 1, result: "number", callee: "pgLength", usage: "length(s)" },
  concat: {
    params: ["string", "string"],
    required: 2,
    rest: "string",
    result: "string",
    callee: "pgConcat",
    usage: "concat(a, b, ...)",
  },
  coalesce: { params: ["any", "any"], required: 2, result: "string", callee: "pgCoalesce", usage: "coalesce(a, b)" },
  date: { params: ["timestamp"], required: 1, result: "string", callee: "pgDate", usage: "date(ts)" },
  hour: { params: ["timestamp"], required: 1, result: "number", callee: "pgHour", usage: "hour(ts)" },
  to_number: { params: ["string"], required: 1, result: "number", callee: "pgToNumber", usage: "to_number(s)" },
  to_string: { params: ["any"], required: 1, result: "string", callee: "pgToString", usage: "to_string(x)" },
};

/** The signature of a scalar function, or undefined when `name` is not one. */
export function lookupFunction(name: string): FunctionSignature | undefined {
  // hasOwn, because `constructor` or `__proto__` must not resolve to Object.prototype members.
  return Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
}

/** Functions only allowed as aggregate `compute:` calls, sorted so hints list them in order. */
export const AGGREGATE_FUNCTIONS = ["avg", "count", "max", "min", "sum"] as const;
