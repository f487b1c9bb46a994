// Recursive-descent parser. Grammar, lowest precedence first:
//   or      := and ("or" and)*
//   and     := not ("and" not)*
//   not     := "not" not | compare
//   compare := sum ((== | != | < | <= | > | >=) sum | "in" list)?      -- never chained
//   sum     := product (("+" | "-") product)*
//   product := unary (("*" | "/" | "%") unary)*
//   unary   := "-" unary | primary
//   primary := number | string | true | false | null | name | name "(" args ")" | "(" or ")"

import type { BinaryOp, Expr, ExprError, LiteralExpr } from "./ast.ts";
import { isComparisonOp } from "./ast.ts";
import type { Keyword, Punct, Token } from "./lexer.ts";
import { KEYWORDS, tokenize } from "./lexer.ts";

// Deep enough for any real condition, shallow enough that parsing, checking and compiling
// (which all recurse over the tree) cannot overflow the stack. MAX_DEPTH bounds nesting through
// parentheses, calls and prefix operators; MAX_HEIGHT bounds the tree built by long operator
// chains such as `a or b or c ...`, which the parser itself handles in a loop.
const MAX_DEPTH = 200;
const MAX_HEIGHT = 500;

/** Thrown to unwind on a syntax error; only one is reported because later ones are usually noise. */
class SyntaxFailure extends Error {}

interface Span {
  offset: number;
  length: number;
}

class Parser {
  private pos = 0;
  private depth = 0;
  readonly errors: ExprError[] = [];
  // Parenthesized nodes keep their tight span (so errors point at the inner expression), but
  // parents must cover the parentheses too, so the outer span is tracked on the side.
  private readonly outer = new WeakMap<Expr, Span>();
  private readonly heights = new WeakMap<Expr, number>();

  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
  ) {}

  parseAll(): Expr {
    if (this.peek().kind === "eof") {
      this.fail({ message: "empty expression", offset: 0, length: this.src.length });
    }
    const expr = this.parseOr();
    const t = this.peek();
    if (t.kind !== "eof") {
      const hint = this.trailingHint(t);
      const error = this.expected("end of expression", t);
      this.fail(hint === undefined ? error : { ...error, hint });
    }
    return expr;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isKeyword("or")) {
      const op = this.next();
      left = this.binary("or", op, left, this.parseAnd());
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isKeyword("and")) {
      const op = this.next();
      left = this.binary("and", op, left, this.parseNot());
    }
    return left;
  }

  private parseNot(): Expr {
    if (!this.isKeyword("not")) return this.parseComparison();
    const op = this.next();
    const operand = this.nested(() => this.parseNot());
    const node: Expr = { kind: "unary", op: "not", operand, ...this.spanFrom(op.offset, this.endOf(operand)) };
    return this.tracked(node, [operand], op);
  }

  private parseComparison(): Expr {
    const left = this.parseSum();
    let result: Expr;
    const t = this.peek();
    if (t.kind === "punct" && isComparisonOp(t.punct)) {
      this.next();
      result = this.binary(t.punct, t, left, this.parseSum());
    } else if (this.isKeyword("in")) {
      this.next();
      const { list, end } = this.parseList();
      const start = this.outerSpan(left).offset;
      result = this.tracked({ kind: "in", opOffset: t.offset, value: left, list, offset: start, length: end - start }, [left], t);
    } else {
      return left;
    }
    const after = this.peek();
    if ((after.kind === "punct" && isComparisonOp(after.punct)) || (after.kind === "keyword" && after.keyword === "in")) {
      this.fail({
        message: "comparisons cannot be chained",
        offset: after.offset,
        length: after.length,
        hint: "combine comparisons with `and`, e.g. `a < b and b < c`",
      });
    }
    return result;
  }

  private parseSum(): Expr {
    let left = this.parseProduct();
    for (let t = this.peek(); t.kind === "punct" && (t.punct === "+" || t.punct === "-"); t = this.peek()) {
      this.next();
      left = this.binary(t.punct, t, left, this.parseProduct());
    }
    return left;
  }

  private parseProduct(): Expr {
    let left = this.parseUnary();
    for (let t = this.peek(); t.kind === "punct" && (t.punct === "*" || t.punct === "/" || t.punct === "%"); t = this.peek()) {
      this.next();
      left = this.binary(t.punct, t, left, this.parseUnary());
    }
    return left;
  }

  private parseUnary(): Expr {
    if (!this.isPunct("-")) return this.parsePrimary();
    const op = this.next();
    const t = this.peek();
    // Fold `-50` into one literal so it compiles to `-50` rather than `-(50)`.
    if (t.kind === "number") {
      this.next();
      return { kind: "literal", value: -t.value, ...this.spanFrom(op.offset, t.offset + t.length) };
    }
    const operand = this.nested(() => this.parseUnary());
    const node: Expr = { kind: "unary", op: "-", operand, ...this.spanFrom(op.offset, this.endOf(operand)) };
    return this.tracked(node, [operand], op);
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case "number":
      case "string":
        this.next();
        return { kind: "literal", value: t.value, offset: t.offset, length: t.length };
      case "keyword":
        if (t.keyword === "true" || t.keyword === "false" || t.keyword === "null") {
          this.next();
          const value = t.keyword === "null" ? null : t.keyword === "true";
          return { kind: "literal", value, offset: t.offset, length: t.length };
        }
        break;
      case "ident":
        this.next();
        if (this.isPunct("(")) return this.parseCall(t.name, t.offset);
        return { kind: "field", name: t.name, offset: t.offset, length: t.length };
      case "punct":
        if (t.punct === "(") {
          this.next();
          const inner = this.nested(() => this.parseOr());
          const close = this.expect(")");
          this.outer.set(inner, { offset: t.offset, length: close.offset + close.length - t.offset });
          return inner;
        }
        break;
      case "eof":
        break;
    }
    return this.fail(this.expected("expression", t));
  }

  private parseCall(name: string, offset: number): Expr {
    this.next(); // (
    const args: Expr[] = [];
    if (!this.isPunct(")")) {
      for (;;) {
        args.push(this.nested(() => this.parseOr()));
        if (!this.isPunct(",")) break;
        this.next();
      }
    }
    const close = this.peek();
    if (!this.isPunct(")")) this.fail(this.expected("`,` or `)`", close));
    this.next();
    const node: Expr = { kind: "call", name, args, offset, length: close.offset + close.length - offset };
    return this.tracked(node, args, close);
  }

  private parseList(): { list: LiteralExpr[]; end: number } {
    this.expect("[", "`in` must be followed by a list such as [1, 2, 3]");
    const list: LiteralExpr[] = [];
    while (!this.isPunct("]")) {
      const element = this.nested(() => this.parseOr());
      if (element.kind === "literal") {
        list.push(element);
      } else {
        // Not fatal: the rest of the list still parses, so later mistakes are reported too.
        const span = this.outerSpan(element);
        this.errors.push({
          message: "`in` lists may only contain literal values",
          ...span,
          hint: "to compare with a computed value use `==` and `or`",
        });
      }
      if (!this.isPunct(",")) break;
      this.next(); // a trailing comma before `]` is allowed
    }
    const close = this.peek();
    if (!this.isPunct("]")) this.fail(this.expected("`,` or `]`", close));
    this.next();
    return { list, end: close.offset + close.length };
  }

  private binary(op: BinaryOp, opToken: Token, left: Expr, right: Expr): Expr {
    const start = this.outerSpan(left).offset;
    const node: Expr = { kind: "binary", op, opOffset: opToken.offset, left, right, offset: start, length: this.endOf(right) - start };
    return this.tracked(node, [left, right], opToken);
  }

  /** Records the height of a new composite node, failing once it exceeds MAX_HEIGHT. */
  private tracked<T extends Expr>(node: T, children: readonly Expr[], at: Span): T {
    const height = 1 + children.reduce((max, c) => Math.max(max, this.heights.get(c) ?? 1), 0);
    if (height > MAX_HEIGHT) {
      this.fail({
        message: `expression is too complex (operators nest more than ${MAX_HEIGHT} levels deep)`,
        offset: at.offset,
        length: at.length,
        hint: "replace long chains of `or` with `in [...]`, or split the work across transforms",
      });
    }
    this.heights.set(node, height);
    return node;
  }

  private spanFrom(start: number, end: number): Span {
    return { offset: start, length: end - start };
  }

  private endOf(e: Expr): number {
    const s = this.outerSpan(e);
    return s.offset + s.length;
  }

  private outerSpan(e: Expr): Span {
    return this.outer.get(e) ?? { offset: e.offset, length: e.length };
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_DEPTH) {
      const t = this.peek();
      this.fail({ message: `expression is nested more than ${MAX_DEPTH} levels deep`, offset: t.offset, length: t.length });
    }
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private expect(punct: Punct, hint?: string): Token {
    const t = this.peek();
    if (t.kind !== "punct" || t.punct !== punct) {
      const error = this.expected(`\`${punct}\``, t);
      this.fail(hint === undefined ? error : { ...error, hint });
    }
    return this.next();
  }

  private expected(what: string, found: Token): ExprError {
    return { message: `expected ${what} but found ${this.describe(found)}`, offset: found.offset, length: found.length };
  }

  private describe(t: Token): string {
    if (t.kind === "eof") return "end of expression";
    const text = this.src.slice(t.offset, t.offset + t.length);
    return `\`${text.length > 24 ? `${text.slice(0, 24)}…` : text}\``;
  }

  private trailingHint(t: Token): string | undefined {
    if (t.kind === "keyword" && t.keyword === "not") {
      return "negate a whole condition instead, e.g. `not (status in ['a', 'b'])`";
    }
    if (t.kind === "ident" && (KEYWORDS as readonly string[]).includes(t.name.toLowerCase())) {
      return `keywords are lower-case: write \`${t.name.toLowerCase()}\``;
    }
    return undefined;
  }

  private fail(error: ExprError): never {
    this.errors.push(error);
    throw new SyntaxFailure(error.message);
  }

  private peek(): Token {
    return this.tokens[this.pos] ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== "eof") this.pos++;
    return t;
  }

  private isKeyword(k: Keyword): boolean {
    const t = this.peek();
    return t.kind === "keyword" && t.keyword === k;
  }

  private isPunct(p: Punct): boolean {
    const t = this.peek();
    return t.kind === "punct" && t.punct === p;
  }
}

/** Parses expression source; `ast` is present only when there are no errors. */
export function parseExpression(src: string): { ast?: Expr; errors: ExprError[] } {
  const { tokens, errors } = tokenize(src);
  // Parsing a token stream with holes in it would mostly report echoes of the lexical errors.
  if (errors.length > 0) return { errors };
  const parser = new Parser(src, tokens);
  try {
    const ast = parser.parseAll();
    return parser.errors.length > 0 ? { errors: parser.errors } : { ast, errors: [] };
  } catch (e) {
    if (e instanceof SyntaxFailure) return { errors: parser.errors };
    throw e;
  }
}
