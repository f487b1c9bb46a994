// Turns expression source into tokens. All lexical errors are collected, not just the first,
// because each one is independent of the others.

import type { ExprError } from "./ast.ts";

/** Reserved words; they can never name a field. */
export const KEYWORDS = ["and", "or", "not", "in", "true", "false", "null"] as const;
export type Keyword = (typeof KEYWORDS)[number];

// Longest first so `<=` wins over `<`.
const PUNCTUATION = ["==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "(", ")", "[", "]", ","] as const;
export type Punct = (typeof PUNCTUATION)[number];

interface TokenBase {
  offset: number;
  length: number;
}
export type Token =
  | (TokenBase & { kind: "number"; value: number })
  | (TokenBase & { kind: "string"; value: string })
  | (TokenBase & { kind: "ident"; name: string })
  | (TokenBase & { kind: "keyword"; keyword: Keyword })
  | (TokenBase & { kind: "punct"; punct: Punct })
  | (TokenBase & { kind: "eof" });

// Operators people bring from other languages; the hint names our spelling.
const MISTAKES: readonly (readonly [string, string])[] = [
  ["&&", "use `and` to combine conditions"],
  ["||", "use `or` to combine conditions"],
  ["&", "use `and` to combine conditions"],
  ["|", "use `or` to combine conditions"],
  ["===", "use `==` to compare values"],
  ["!==", "use `!=` to compare values"],
  ["=", "use `==` to compare values"],
  ["!", "use `not` to negate a condition"],
  ["≥", "use `>=`"],
  ["≤", "use `<=`"],
  ["≠", "use `!=`"],
  ["`", "quote strings with ' or \""],
];

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  r: "\r",
  t: "\t",
  "0": "\0",
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
// Character comparisons rather than a regex per character: the lexer runs on every expression of
// every pipeline, mostly before the JIT has warmed up.
const isIdentStart = (c: string | undefined): boolean => c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_");
const isIdentPart = (c: string | undefined): boolean => isIdentStart(c) || isDigit(c);
const isSpace = (c: string): boolean => c === " " || (c > " " ? c.charCodeAt(0) > 0x7f && /\s/u.test(c) : /\s/u.test(c));

/** Splits `src` into tokens, ending with an `eof` token; errors describe every bad spot. */
export function tokenize(src: string): { tokens: Token[]; errors: ExprError[] } {
  const tokens: Token[] = [];
  const errors: ExprError[] = [];
  let i = 0;

  while (i < src.length) {
    const c = src[i] as string;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;

    if (isDigit(c)) {
      const m = /^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(src.slice(i));
      let end = i + (m?.[0].length ?? 1);
      // `12abc` or `1.2.3` is one malformed number, not a number followed by a field.
      if (isIdentPart(src[end]) || src[end] === ".") {
        while (isIdentPart(src[end]) || src[end] === ".") end++;
        errors.push({
          message: `malformed number \`${src.slice(start, end)}\``,
          offset: start,
          length: end - start,
          hint: "numbers look like 12, 3.5 or 1e3",
        });
      } else {
        const value = Number(src.slice(start, end));
        if (!Number.isFinite(value)) {
          errors.push({ message: `number \`${src.slice(start, end)}\` is out of range`, offset: start, length: end - start });
        }
        tokens.push({ kind: "number", value, offset: start, length: end - start });
      }
      i = end;
      continue;
    }

    if (isIdentStart(c)) {
      let end = i + 1;
      while (isIdentPart(src[end])) end++;
      const word = src.slice(start, end);
      if ((KEYWORDS as readonly string[]).includes(word)) {
        tokens.push({ kind: "keyword", keyword: word as Keyword, offset: start, length: end - start });
      } else {
        tokens.push({ kind: "ident", name: word, offset: start, length: end - start });
      }
      i = end;
      continue;
    }

    if (c === "'" || c === '"') {
      const result = readString(src, start, errors);
      tokens.push({ kind: "string", value: result.value, offset: start, length: result.end - start });
      i = result.end;
      continue;
    }

    const mistake = MISTAKES.find(([text]) => src.startsWith(text, i));
    const punct = PUNCTUATION.find((p) => src.startsWith(p, i));
    // A known mistake wins only when it is longer than the valid operator it starts with (`===` vs `==`).
    if (mistake && (!punct || mistake[0].length > punct.length)) {
      errors.push({ message: `unexpected ${inlineCode(mistake[0])}`, offset: start, length: mistake[0].length, hint: mistake[1] });
      i += mistake[0].length;
      continue;
    }
    if (punct) {
      tokens.push({ kind: "punct", punct, offset: start, length: punct.length });
      i += punct.length;
      continue;
    }

    const ch = String.fromCodePoint(src.codePointAt(i) ?? 0);
    errors.push({ message: `unexpected character ${describeChar(ch)}`, offset: start, length: ch.length });
    i += ch.length;
  }

  tokens.push({ kind: "eof", offset: src.length, length: 0 });
  return { tokens, errors };
}

// Markdown-style inline code; a backtick inside needs a double-backtick fence to stay readable.
function inlineCode(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  // Control characters would be invisible or break the terminal, so show their code point instead.
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  return inlineCode(ch);
}

function readString(src: string, start: number, errors: ExprError[]): { value: string; end: number } {
  const quote = src[start];
  let value = "";
  let i = start + 1;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === quote) return { value, end: i + 1 };
    if (c !== "\\") {
      value += c;
      i++;
      continue;
    }
    const e = src[i + 1];
    if (e === undefined) break;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      value += simple;
      i += 2;
      continue;
    }
    if (e === "u" && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
      value += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
      i += 6;
      continue;
    }
    const bad = e === "u" ? "\\u" : `\\${String.fromCodePoint(src.codePointAt(i + 1) ?? 0)}`;
    errors.push({
      message: `unknown escape sequence \`${bad}\``,
      offset: i,
      length: bad.length,
      hint: "valid escapes are \\\\, \\', \\\", \\n, \\r, \\t, \\0 and \\uXXXX",
    });
    i += bad.length;
  }
  errors.push({
    message: "unterminated string literal",
    offset: start,
    length: src.length - start,
    hint: `close the string with ${quote}`,
  });
  return { value, end: src.length };
}
