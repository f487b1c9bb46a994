/**
 * A small evaluator for DynamoDB condition, key-condition and projection expressions, enough for
 * the in-process fake: comparisons (= <> < <= > >=), BETWEEN, AND/OR/NOT, parentheses,
 * begins_with, attribute_exists/attribute_not_exists, `#name` and `:value` placeholders and
 * top-level attribute paths. Anything else is rejected with a ValidationException-style error.
 */
import type { AttributeValue, RawItem } from "./ddb-json.ts";
import { compareAttr, equalAttr } from "./ddb-json.ts";

/** Names and values an expression's placeholders refer to. */
export interface ExprContext {
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
}

/** Thrown for expressions the fake cannot parse; the server answers ValidationException. */
export class ExpressionError extends Error {}

type Tok = { t: "name" | "value" | "ident" | "op" | "paren" | "comma"; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|(<>|<=|>=|=|<|>)|([()])|(,)|([A-Za-z_][A-Za-z0-9_.]*))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new ExpressionError(`Invalid expression: unexpected text at "${src.slice(i, i + 20)}"`);
    i = re.lastIndex;
    if (m[1]) out.push({ t: "name", v: m[1] });
    else if (m[2]) out.push({ t: "value", v: m[2] });
    else if (m[3]) out.push({ t: "op", v: m[3] });
    else if (m[4]) out.push({ t: "paren", v: m[4] });
    else if (m[5]) out.push({ t: "comma", v: m[5] });
    else out.push({ t: "ident", v: m[6]! });
  }
  return out;
}

type Operand = { kind: "path"; name: string } | { kind: "value"; value: AttributeValue };
type Cond = (item: RawItem) => boolean;

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly ctx: ExprContext,
  ) {}

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw new ExpressionError("Invalid expression: unexpected end");
    return t;
  }
  private keyword(word: string): boolean {
    const t = this.peek();
    if (t?.t === "ident" && t.v.toUpperCase() === word) {
      this.i++;
      return true;
    }
    return false;
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }

  operand(): Operand {
    const t = this.next();
    if (t.t === "name") {
      const name = this.ctx.names[t.v];
      if (name === undefined) throw new ExpressionError(`Value provided in ExpressionAttributeNames unused or missing: ${t.v}`);
      return { kind: "path", name };
    }
    if (t.t === "value") {
      const value = this.ctx.values[t.v];
      if (value === undefined) throw new ExpressionError(`An expression attribute value used in expression is not defined; attribute value: ${t.v}`);
      return { kind: "value", value };
    }
    if (t.t === "ident") return { kind: "path", name: t.v };
    throw new ExpressionError(`Invalid expression: unexpected "${t.v}"`);
  }

  or(): Cond {
    let left = this.and();
    while (this.keyword("OR")) {
      const l = left;
      const r = this.and();
      left = (it) => l(it) || r(it);
    }
    return left;
  }
  and(): Cond {
    let left = this.not();
    while (this.keyword("AND")) {
      const l = left;
      const r = this.not();
      left = (it) => l(it) && r(it);
    }
    return left;
  }
  not(): Cond {
    if (this.keyword("NOT")) {
      const inner = this.not();
      return (it) => !inner(it);
    }
    return this.primary();
  }
  primary(): Cond {
    const t = this.peek();
    if (t?.t === "paren" && t.v === "(") {
      this.i++;
      const inner = this.or();
      const close = this.next();
      if (close.v !== ")") throw new ExpressionError("Invalid expression: missing )");
      return inner;
    }
    if (t?.t === "ident" && this.toks[this.i + 1]?.v === "(") {
      const fn = t.v.toLowerCase();
      this.i += 2;
      const args: Operand[] = [this.operand()];
      while (this.peek()?.t === "comma") {
        this.i++;
        args.push(this.operand());
      }
      if (this.next().v !== ")") throw new ExpressionError("Invalid expression: missing )");
      const [a, b] = args;
      if (fn === "attribute_exists" && a?.kind === "path") return (it) => it[a.name] !== undefined;
      if (fn === "attribute_not_exists" && a?.kind === "path") return (it) => it[a.name] === undefined;
      if (fn === "begins_with" && a && b) {
        return (it) => {
          const x = resolve(a, it);
          const y = resolve(b, it);
          return x !== undefined && y !== undefined && "S" in x && "S" in y && x.S.startsWith(y.S);
        };
      }
      throw new ExpressionError(`Invalid expression: function ${t.v} is not supported by the local fake`);
    }
    const left = this.operand();
    if (this.keyword("BETWEEN")) {
      const lo = this.operand();
      if (!this.keyword("AND")) throw new ExpressionError("Invalid expression: BETWEEN needs AND");
      const hi = this.operand();
      return (it) => {
        const x = resolve(left, it);
        const l = resolve(lo, it);
        const h = resolve(hi, it);
        return x !== undefined && l !== undefined && h !== undefined && compareAttr(x, l) >= 0 && compareAttr(x, h) <= 0;
      };
    }
    const op = this.next();
    if (op.t !== "op") throw new ExpressionError(`Invalid expression: expected a comparison after an operand, got "${op.v}"`);
    const right = this.operand();
    return (it) => {
      const x = resolve(left, it);
      const y = resolve(right, it);
      if (x === undefined || y === undefined) return op.v === "<>" && x !== y;
      switch (op.v) {
        case "=":
          return equalAttr(x, y);
        case "<>":
          return !equalAttr(x, y);
        case "<":
          return compareAttr(x, y) < 0;
        case "<=":
          return compareAttr(x, y) <= 0;
        case ">":
          return compareAttr(x, y) > 0;
        default:
          return compareAttr(x, y) >= 0;
      }
    };
  }
}

function resolve(o: Operand, item: RawItem): AttributeValue | undefined {
  return o.kind === "value" ? o.value : item[o.name];
}

/** Compiles a condition expression into a predicate over raw items. */
export function compileCondition(src: string, ctx: ExprContext): Cond {
  const p = new Parser(tokenize(src), ctx);
  const cond = p.or();
  if (!p.done()) throw new ExpressionError(`Invalid expression: unexpected text after a complete condition in "${src}"`);
  return cond;
}

/** Top-level attribute names of a projection expression. */
export function projectionNames(src: string, names: Record<string, string>): string[] {
  return src.split(",").map((s) => {
    const p = s.trim();
    if (p.startsWith("#")) {
      const n = names[p];
      if (n === undefined) throw new ExpressionError(`Value provided in ExpressionAttributeNames unused or missing: ${p}`);
      return n;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) throw new ExpressionError(`Invalid ProjectionExpression: "${p}" (the local fake supports top-level attributes)`);
    return p;
  });
}
