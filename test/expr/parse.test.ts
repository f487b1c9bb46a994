import { describe, expect, it } from "vitest";
import type { Expr, ExprError } from "../../src/expr/index.ts";
import { parseExpression } from "../../src/expr/index.ts";

/** Compact s-expression rendering so precedence tests read as one line each. */
function show(e: Expr): string {
  switch (e.kind) {
    case "literal":
      return JSON.stringify(e.value);
    case "field":
      return e.name;
    case "unary":
      return `(${e.op === "-" ? "neg" : "not"} ${show(e.operand)})`;
    case "binary":
      return `(${e.op} ${show(e.left)} ${show(e.right)})`;
    case "in":
      return `(in ${show(e.value)} [${e.list.map(show).join(" ")}])`;
    case "call":
      return `(${e.name}${e.args.map((a) => ` ${show(a)}`).join("")})`;
  }
}

function parseOk(src: string): Expr {
  const { ast, errors } = parseExpression(src);
  expect(errors).toEqual([]);
  if (!ast) throw new Error("no ast");
  return ast;
}

describe("parseExpression: structure and precedence", () => {
  const cases: [given: string, want: string][] = [
    ["12", "12"],
    ["-3.5", "-3.5"],
    ["1e3", "1000"],
    ["2.5E-2", "0.025"],
    ["'it\\'s'", '"it\'s"'],
    ['"say \\"hi\\"\\n"', '"say \\"hi\\"\\n"'],
    ["'\\u00e9\\t\\\\\\0'", '"é\\t\\\\\\u0000"'],
    ["'multi\nline'", '"multi\\nline"'],
    ["true", "true"],
    ["false", "false"],
    ["null", "null"],
    ["temperature", "temperature"],
    ["_x9", "_x9"],
    ["temperature >= -50 and temperature <= 150", "(and (>= temperature -50) (<= temperature 150))"],
    ["a or b and c", "(or a (and b c))"],
    ["a and b or c", "(or (and a b) c)"],
    ["a or b or c", "(or (or a b) c)"],
    ["not a and b", "(and (not a) b)"],
    ["not a == b", "(not (== a b))"],
    ["not not a", "(not (not a))"],
    ["a + b * c", "(+ a (* b c))"],
    ["a - b - c", "(- (- a b) c)"],
    ["a / b % c", "(% (/ a b) c)"],
    ["(a + b) * c", "(* (+ a b) c)"],
    ["a + b < c * d", "(< (+ a b) (* c d))"],
    ["-a * b", "(* (neg a) b)"],
    ["- -a", "(neg (neg a))"],
    ["- -5", "(neg -5)"],
    ["a - -5", "(- a -5)"],
    ["a -5", "(- a 5)"],
    ["-(5)", "(neg 5)"],
    ["x != null", "(!= x null)"],
    ["status in ['a', 'b']", '(in status ["a" "b"])'],
    ["status in ['a', 'b',]", '(in status ["a" "b"])'],
    ["n in [-1, 2.5]", "(in n [-1 2.5])"],
    ["n in []", "(in n [])"],
    ["not status in ['a']", '(not (in status ["a"]))'],
    ["a + 1 in [2]", "(in (+ a 1) [2])"],
    ["count()", "(count)"],
    ["round(t, 2)", "(round t 2)"],
    ["concat(a, '-', lower(b))", '(concat a "-" (lower b))'],
    ["abs(-x) > 3 or false", "(or (> (abs (neg x)) 3) false)"],
    ["  \t a\r\n  ==\n 1 ", "(== a 1)"],
  ];
  it.each(cases)("%j parses as %s", (given, want) => {
    expect(show(parseOk(given))).toBe(want);
  });
});

describe("parseExpression: spans", () => {
  it("records offset/length of every node, with parents covering parentheses", () => {
    const ast = parseOk("(a + b) * -c");
    expect(ast).toMatchObject({
      kind: "binary",
      op: "*",
      offset: 0,
      length: 12,
      opOffset: 8,
      left: { kind: "binary", op: "+", offset: 1, length: 5, opOffset: 3, left: { offset: 1, length: 1 }, right: { offset: 5, length: 1 } },
      right: { kind: "unary", op: "-", offset: 10, length: 2, operand: { kind: "field", name: "c", offset: 11, length: 1 } },
    });
  });

  it("folds a negative number literal into one node spanning the sign", () => {
    expect(parseOk("x >= - 50")).toMatchObject({ right: { kind: "literal", value: -50, offset: 5, length: 4 } });
  });

  it("covers calls from name to closing parenthesis and `in` to the closing bracket", () => {
    expect(parseOk("round( t , 2 )")).toMatchObject({ kind: "call", offset: 0, length: 14, args: [{ offset: 7 }, { offset: 11 }] });
    expect(parseOk("(s) in ['x']")).toMatchObject({ kind: "in", offset: 0, length: 12, opOffset: 4, value: { offset: 1, length: 1 } });
  });

  it("covers string literals including quotes and escapes", () => {
    expect(parseOk("'a\\'b'")).toMatchObject({ kind: "literal", value: "a'b", offset: 0, length: 6 });
  });
});

describe("parseExpression: errors", () => {
  const cases: [given: string, want: ExprError[]][] = [
    ["", [{ message: "empty expression", offset: 0, length: 0 }]],
    ["   ", [{ message: "empty expression", offset: 0, length: 3 }]],
    ["(a", [{ message: "expected `)` but found end of expression", offset: 2, length: 0 }]],
    ["(a b", [{ message: "expected `)` but found `b`", offset: 3, length: 1 }]],
    ["a +", [{ message: "expected expression but found end of expression", offset: 3, length: 0 }]],
    ["a + )", [{ message: "expected expression but found `)`", offset: 4, length: 1 }]],
    ["and b", [{ message: "expected expression but found `and`", offset: 0, length: 3 }]],
    ["a b", [{ message: "expected end of expression but found `b`", offset: 2, length: 1 }]],
    ["a)", [{ message: "expected end of expression but found `)`", offset: 1, length: 1 }]],
    [
      "a AND b",
      [{ message: "expected end of expression but found `AND`", offset: 2, length: 3, hint: "keywords are lower-case: write `and`" }],
    ],
    [
      "s not in ['a']",
      [
        {
          message: "expected end of expression but found `not`",
          offset: 2,
          length: 3,
          hint: "negate a whole condition instead, e.g. `not (status in ['a', 'b'])`",
        },
      ],
    ],
    [
      "a < b < c",
      [{ message: "comparisons cannot be chained", offset: 6, length: 1, hint: "combine comparisons with `and`, e.g. `a < b and b < c`" }],
    ],
    [
      "a == b in [1]",
      [{ message: "comparisons cannot be chained", offset: 7, length: 2, hint: "combine comparisons with `and`, e.g. `a < b and b < c`" }],
    ],
    ["f(a, ", [{ message: "expected expression but found end of expression", offset: 5, length: 0 }]],
    ["f(a b)", [{ message: "expected `,` or `)` but found `b`", offset: 4, length: 1 }]],
    [
      "s in 'a'",
      [{ message: "expected `[` but found `'a'`", offset: 5, length: 3, hint: "`in` must be followed by a list such as [1, 2, 3]" }],
    ],
    ["s in [1 2]", [{ message: "expected `,` or `]` but found `2`", offset: 8, length: 1 }]],
    [
      "s in [a, 1, b + 1]",
      [
        { message: "`in` lists may only contain literal values", offset: 6, length: 1, hint: "to compare with a computed value use `==` and `or`" },
        { message: "`in` lists may only contain literal values", offset: 12, length: 5, hint: "to compare with a computed value use `==` and `or`" },
      ],
    ],
    [
      "s in [(a)]",
      [{ message: "`in` lists may only contain literal values", offset: 6, length: 3, hint: "to compare with a computed value use `==` and `or`" }],
    ],
    [
      "'abcdefghijklmnopqrstuvwxyz' x",
      [{ message: "expected end of expression but found `x`", offset: 29, length: 1 }],
    ],
    [
      "x == 'abcdefghijklmnopqrstuvwxyz' 'q'",
      [{ message: "expected end of expression but found `'q'`", offset: 34, length: 3 }],
    ],
    [
      "1 2345678901234567890123456789",
      [{ message: "expected end of expression but found `234567890123456789012345…`", offset: 2, length: 28 }],
    ],
  ];
  it.each(cases)("%j", (given, want) => {
    const result = parseExpression(given);
    expect(result.ast).toBeUndefined();
    expect(result.errors).toStrictEqual(want);
  });

  it("rejects nesting deeper than 200 levels instead of overflowing the stack", () => {
    const deep = `${"(".repeat(500)}a${")".repeat(500)}`;
    expect(parseExpression(deep).errors).toEqual([{ message: "expression is nested more than 200 levels deep", offset: 201, length: 1 }]);
    expect(parseExpression(`${"not ".repeat(300)}a`).errors[0]?.message).toBe("expression is nested more than 200 levels deep");
    expect(parseExpression(`${"(".repeat(150)}a${")".repeat(150)}`).errors).toEqual([]);
  });

  it("rejects operator chains taller than 500 levels, counting through calls and parentheses", () => {
    const chain = (n: number) => Array.from({ length: n }, () => "a").join(" + ");
    expect(parseExpression(chain(500)).errors).toEqual([]);
    expect(parseExpression(chain(501)).errors).toEqual([
      {
        message: "expression is too complex (operators nest more than 500 levels deep)",
        offset: 1998,
        length: 1,
        hint: "replace long chains of `or` with `in [...]`, or split the work across transforms",
      },
    ]);
    // Each call adds a level, so a chain inside nested calls reaches the limit sooner.
    const nested = `${"abs(".repeat(100)}${chain(300)}${")".repeat(100)} + ${chain(200)}`;
    expect(parseExpression(nested).errors[0]?.message).toBe("expression is too complex (operators nest more than 500 levels deep)");
  });

  it("accepts long flat lists and argument lists", () => {
    const list = `x in [${Array.from({ length: 20000 }, (_, i) => i).join(", ")}]`;
    expect(parseExpression(list).errors).toEqual([]);
  });
});

describe("parseExpression: lexical errors (all reported)", () => {
  const cases: [given: string, want: ExprError[]][] = [
    ["a # b", [{ message: "unexpected character `#`", offset: 2, length: 1 }]],
    ["a \u0007 b", [{ message: "unexpected character U+0007", offset: 2, length: 1 }]],
    ["a 😀", [{ message: "unexpected character `😀`", offset: 2, length: 2 }]],
    ["a && b", [{ message: "unexpected `&&`", offset: 2, length: 2, hint: "use `and` to combine conditions" }]],
    ["a || b", [{ message: "unexpected `||`", offset: 2, length: 2, hint: "use `or` to combine conditions" }]],
    ["a & b", [{ message: "unexpected `&`", offset: 2, length: 1, hint: "use `and` to combine conditions" }]],
    ["!a", [{ message: "unexpected `!`", offset: 0, length: 1, hint: "use `not` to negate a condition" }]],
    ["a = 1", [{ message: "unexpected `=`", offset: 2, length: 1, hint: "use `==` to compare values" }]],
    ["a === 1", [{ message: "unexpected `===`", offset: 2, length: 3, hint: "use `==` to compare values" }]],
    ["a !== 1", [{ message: "unexpected `!==`", offset: 2, length: 3, hint: "use `!=` to compare values" }]],
    ["a ≥ 1", [{ message: "unexpected `≥`", offset: 2, length: 1, hint: "use `>=`" }]],
    ["`a`", [
      { message: "unexpected `` ` ``", offset: 0, length: 1, hint: "quote strings with ' or \"" },
      { message: "unexpected `` ` ``", offset: 2, length: 1, hint: "quote strings with ' or \"" },
    ]],
    ["'abc", [{ message: "unterminated string literal", offset: 0, length: 4, hint: "close the string with '" }]],
    ['x == "abc\\"', [{ message: "unterminated string literal", offset: 5, length: 6, hint: 'close the string with "' }]],
    ["'a\\", [{ message: "unterminated string literal", offset: 0, length: 3, hint: "close the string with '" }]],
    [
      "'\\q\\u12' == '\\x'",
      [
        { message: "unknown escape sequence `\\q`", offset: 1, length: 2, hint: "valid escapes are \\\\, \\', \\\", \\n, \\r, \\t, \\0 and \\uXXXX" },
        { message: "unknown escape sequence `\\u`", offset: 3, length: 2, hint: "valid escapes are \\\\, \\', \\\", \\n, \\r, \\t, \\0 and \\uXXXX" },
        { message: "unknown escape sequence `\\x`", offset: 13, length: 2, hint: "valid escapes are \\\\, \\', \\\", \\n, \\r, \\t, \\0 and \\uXXXX" },
      ],
    ],
    ["12abc", [{ message: "malformed number `12abc`", offset: 0, length: 5, hint: "numbers look like 12, 3.5 or 1e3" }]],
    ["1.2.3", [{ message: "malformed number `1.2.3`", offset: 0, length: 5, hint: "numbers look like 12, 3.5 or 1e3" }]],
    ["1e", [{ message: "malformed number `1e`", offset: 0, length: 2, hint: "numbers look like 12, 3.5 or 1e3" }]],
    ["1.", [{ message: "malformed number `1.`", offset: 0, length: 2, hint: "numbers look like 12, 3.5 or 1e3" }]],
    ["1e999", [{ message: "number `1e999` is out of range", offset: 0, length: 5 }]],
    [
      "a # b && 'c",
      [
        { message: "unexpected character `#`", offset: 2, length: 1 },
        { message: "unexpected `&&`", offset: 6, length: 2, hint: "use `and` to combine conditions" },
        { message: "unterminated string literal", offset: 9, length: 2, hint: "close the string with '" },
      ],
    ],
  ];
  it.each(cases)("%j", (given, want) => {
    const result = parseExpression(given);
    expect(result.ast).toBeUndefined();
    expect(result.errors).toStrictEqual(want);
  });
});
