/**
 * A small reader for HCL expression text, enough to turn the argument of
 * `jsonencode({...})` (which @cdktf/hcl2json hands back as source text) into a JS value.
 *
 * Literal objects, tuples, strings, numbers, booleans and null become JS values. Anything
 * else (references, function calls, conditionals, for-expressions, arithmetic) becomes an
 * opaque string "${<expression text>}", the same convention hcl2json uses for attributes.
 * `concat(...)`, `tolist(...)` and `toset(...)` of literal tuples are flattened.
 */

export type HclValue = string | number | boolean | null | HclValue[] | { [key: string]: HclValue };

type Ctx = "object" | "list" | "top";

class HclSyntaxError extends Error {}

const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\r";

/** Index just after the string literal that starts at `pos` (src[pos] === '"'). */
function scanString(src: string, pos: number): number {
  let i = pos + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === '"') return i + 1;
    if ((c === "$" || c === "%") && src[i + 1] === c && src[i + 2] === "{") {
      i += 3; // escaped "$${" / "%%{"
      continue;
    }
    if ((c === "$" || c === "%") && src[i + 1] === "{") {
      i = scanBraces(src, i + 1);
      continue;
    }
    if (c === "\n") throw new HclSyntaxError("newline in string literal");
    i++;
  }
  throw new HclSyntaxError("unterminated string");
}

/** Index just after the `}` matching the `{` at `pos`, skipping nested strings and brackets. */
function scanBraces(src: string, pos: number): number {
  let depth = 0;
  let i = pos;
  while (i < src.length) {
    const c = src[i];
    if (c === '"') {
      i = scanString(src, i);
      continue;
    }
    if (c === "<" && src[i + 1] === "<" && /^<<-?[A-Za-z_]/.test(src.slice(i, i + 4))) {
      i = scanHeredoc(src, i).end;
      continue;
    }
    if (c === "{" || c === "(" || c === "[") depth++;
    else if (c === "}" || c === ")" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  throw new HclSyntaxError("unbalanced brackets");
}

function scanHeredoc(src: string, pos: number): { end: number; text: string } {
  const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/.exec(src.slice(pos));
  if (!m) throw new HclSyntaxError("bad heredoc");
  const indent = m[1] === "-";
  const marker = m[2]!;
  let i = pos + m[0].length;
  const lines: string[] = [];
  while (i <= src.length) {
    const nl = src.indexOf("\n", i);
    const lineEnd = nl === -1 ? src.length : nl;
    const line = src.slice(i, lineEnd).replace(/\r$/, "");
    if (line.trim() === marker) {
      let text = lines.join("\n") + (lines.length ? "\n" : "");
      if (indent) {
        const widths = lines.filter((l) => l.trim() !== "").map((l) => /^[ \t]*/.exec(l)![0].length);
        const w = widths.length ? Math.min(...widths) : 0;
        text = lines.map((l) => l.slice(w)).join("\n") + (lines.length ? "\n" : "");
      }
      return { end: lineEnd, text };
    }
    lines.push(line);
    if (nl === -1) break;
    i = nl + 1;
  }
  throw new HclSyntaxError("unterminated heredoc");
}

/** Skips blanks and comments; newlines only when `newlines` is true. */
function skipWs(src: string, pos: number, newlines: boolean): number {
  let i = pos;
  while (i < src.length) {
    const c = src[i];
    if (isSpace(c) || (newlines && c === "\n")) {
      i++;
    } else if (c === "#" || (c === "/" && src[i + 1] === "/")) {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end === -1) throw new HclSyntaxError("unterminated comment");
      i = end + 2;
    } else break;
  }
  return i;
}

/**
 * End (exclusive, trailing blanks/comments excluded) of the expression starting at `pos`.
 * Stops at depth 0 on `,` and closing brackets, and on newlines in object context.
 */
function scanExpression(src: string, pos: number, ctx: Ctx): number {
  let i = pos;
  let lastSignificant = pos;
  while (i < src.length) {
    const c = src[i]!;
    if (c === "," || c === "}" || c === "]" || c === ")") break;
    if (c === "\n") {
      if (ctx === "object") break;
      i++;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === "#" || (c === "/" && (src[i + 1] === "/" || src[i + 1] === "*"))) {
      // a comment: skip it without moving lastSignificant (stop before a newline in object context)
      i = skipWs(src, i, false);
      continue;
    }
    if (c === '"') {
      i = scanString(src, i);
    } else if (c === "<" && src[i + 1] === "<" && /^<<-?[A-Za-z_]/.test(src.slice(i, i + 4))) {
      i = scanHeredoc(src, i).end;
    } else if (c === "{" || c === "(" || c === "[") {
      i = scanBraces(src, i);
    } else {
      i++;
    }
    lastSignificant = i;
  }
  return lastSignificant;
}

/** Decodes the body of an HCL quoted template, keeping `${...}`/`%{...}` (and `$${`) verbatim. */
function decodeString(src: string, pos: number, end: number): string {
  let out = "";
  let i = pos + 1;
  const stop = end - 1;
  while (i < stop) {
    const c = src[i]!;
    if (c === "\\") {
      const n = src[i + 1];
      if (n === "n") out += "\n";
      else if (n === "t") out += "\t";
      else if (n === "r") out += "\r";
      else if (n === '"') out += '"';
      else if (n === "\\") out += "\\";
      else if (n === "u") {
        out += String.fromCodePoint(parseInt(src.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      } else if (n === "U") {
        out += String.fromCodePoint(parseInt(src.slice(i + 2, i + 10), 16));
        i += 10;
        continue;
      } else out += n ?? "";
      i += 2;
      continue;
    }
    if ((c === "$" || c === "%") && src[i + 1] === c && src[i + 2] === "{") {
      out += src.slice(i, i + 3);
      i += 3;
      continue;
    }
    if ((c === "$" || c === "%") && src[i + 1] === "{") {
      const e = scanBraces(src, i + 1);
      out += src.slice(i, e);
      i = e;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

const opaque = (text: string): string => "${" + text.trim() + "}";

function parseSlice(src: string, start: number, end: number): HclValue {
  const text = src.slice(start, end);
  const t = text.trim();
  if (t === "") throw new HclSyntaxError("empty expression");
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t)) return Number(t);
  const s = start + (text.length - text.trimStart().length);
  const e = s + t.length;
  const c = src[s];
  if (c === '"' && scanString(src, s) === e) return decodeString(src, s, e);
  if (c === "<" && /^<<-?[A-Za-z_]/.test(t)) {
    const h = scanHeredoc(src, s);
    if (src.slice(h.end, e).trim() === "") return h.text;
  }
  if ((c === "{" || c === "[") && scanBraces(src, s) === e) {
    const inner = skipWs(src, s + 1, true);
    if (/^for\s/.test(src.slice(inner, inner + 4))) return opaque(t);
    return c === "{" ? parseObject(src, s + 1, e - 1) : parseList(src, s + 1, e - 1);
  }
  const call = /^(concat|tolist|toset|flatten)\s*\(/.exec(t);
  if (call && scanBraces(src, s + call[0].length - 1) === e) {
    const args = parseList(src, s + call[0].length, e - 1);
    if (call[1] === "concat" && args.every(Array.isArray)) return (args as HclValue[][]).flat();
    if ((call[1] === "tolist" || call[1] === "toset") && args.length === 1 && Array.isArray(args[0])) return args[0];
    if (call[1] === "flatten" && args.length === 1 && Array.isArray(args[0])) {
      const flat = (v: HclValue[]): HclValue[] => v.flatMap((x) => (Array.isArray(x) ? flat(x) : [x]));
      return flat(args[0]);
    }
  }
  return opaque(t);
}

function parseList(src: string, start: number, end: number): HclValue[] {
  const out: HclValue[] = [];
  let i = skipWs(src, start, true);
  while (i < end) {
    const e = scanExpression(src, i, "list");
    out.push(parseSlice(src, i, e));
    i = skipWs(src, e, true);
    if (i < end) {
      if (src[i] !== ",") throw new HclSyntaxError(`expected "," at ${i}`);
      i = skipWs(src, i + 1, true);
    }
  }
  return out;
}

function parseObject(src: string, start: number, end: number): { [key: string]: HclValue } {
  const out: { [key: string]: HclValue } = {};
  let i = skipWs(src, start, true);
  while (i < end) {
    let key: string;
    const c = src[i];
    if (c === '"') {
      const e = scanString(src, i);
      key = decodeString(src, i, e);
      i = e;
    } else if (c === "(") {
      const e = scanBraces(src, i);
      key = opaque(src.slice(i + 1, e - 1));
      i = e;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i, end));
      if (!m) throw new HclSyntaxError(`bad object key at ${i}`);
      key = m[0];
      i += m[0].length;
    }
    i = skipWs(src, i, false);
    if (src[i] !== "=" && src[i] !== ":") throw new HclSyntaxError(`expected "=" after key ${key}`);
    i = skipWs(src, i + 1, false);
    const e = scanExpression(src, i, "object");
    out[key] = parseSlice(src, i, e);
    i = skipWs(src, e, false);
    if (src[i] === ",") i++;
    i = skipWs(src, i, true);
  }
  return out;
}

/** Converts HCL expression text to a JS value (see module comment). Throws on syntax errors. */
export function parseHclExpression(text: string): HclValue {
  return parseSlice(text, 0, text.length);
}

/** Like parseHclExpression, but returns undefined instead of throwing. */
export function tryParseHclExpression(text: string): HclValue | undefined {
  try {
    return parseHclExpression(text);
  } catch (e) {
    if (e instanceof HclSyntaxError) return undefined;
    throw e;
  }
}

/** The inner expression text if `s` is exactly one `${...}` interpolation, else undefined. */
export function unwrapInterpolation(s: string): string | undefined {
  if (!s.startsWith("${")) return undefined;
  try {
    return scanBraces(s, 1) === s.length ? s.slice(2, -1).trim() : undefined;
  } catch {
    return undefined;
  }
}

export interface TemplatePart {
  /** literal text (escapes such as `$${` kept), `${...}` interpolation, or `%{...}` directive. */
  kind: "literal" | "interp" | "directive";
  /** Literal text, or the inner expression of the interpolation/directive. */
  text: string;
}

/** Splits a template string (as hcl2json returns it) into literal, `${...}` and `%{...}` parts. */
export function templateParts(s: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let lit = "";
  let i = 0;
  while (i < s.length) {
    if ((s[i] === "$" || s[i] === "%") && s[i + 1] === s[i] && s[i + 2] === "{") {
      lit += s.slice(i, i + 3);
      i += 3;
      continue;
    }
    if ((s[i] === "$" || s[i] === "%") && s[i + 1] === "{") {
      let e: number;
      try {
        e = scanBraces(s, i + 1);
      } catch {
        lit += s.slice(i);
        break;
      }
      if (lit) parts.push({ kind: "literal", text: lit });
      lit = "";
      parts.push({ kind: s[i] === "%" ? "directive" : "interp", text: s.slice(i + 2, e - 1).trim() });
      i = e;
      continue;
    }
    lit += s[i];
    i++;
  }
  if (lit) parts.push({ kind: "literal", text: lit });
  return parts;
}

/** Rebuilds a template from its parts. */
export function joinTemplate(parts: TemplatePart[]): string {
  return parts
    .map((p) => (p.kind === "literal" ? p.text : p.kind === "interp" ? "${" + p.text + "}" : "%{" + p.text + "}"))
    .join("");
}

/** Inner texts of every `${...}` interpolation and `%{...}` directive in a template string. */
export function interpolations(s: string): string[] {
  return templateParts(s)
    .filter((p) => p.kind !== "literal")
    .map((p) => p.text);
}

/** The literal text of a template with every interpolation replaced by `placeholder`. */
export function literalSkeleton(s: string, placeholder = "\u0000"): string {
  return templateParts(s)
    .map((p) => (p.kind === "literal" ? p.text : placeholder))
    .join("");
}

/** True when the string contains no interpolation or directive. */
export function isLiteralString(s: string): boolean {
  return templateParts(s).every((p) => p.kind === "literal");
}

/**
 * Splits expression text into its code (every string literal replaced by `""`) and the
 * decoded contents of its string literals (which may hold further interpolations).
 */
export function splitCode(expr: string): { code: string; strings: string[] } {
  let code = "";
  const strings: string[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"') {
      let e: number;
      try {
        e = scanString(expr, i);
      } catch {
        code += expr.slice(i);
        break;
      }
      strings.push(decodeString(expr, i, e));
      code += '""';
      i = e;
      continue;
    }
    if (c === "<" && expr[i + 1] === "<" && /^<<-?[A-Za-z_]/.test(expr.slice(i, i + 4))) {
      try {
        const h = scanHeredoc(expr, i);
        strings.push(h.text);
        code += '""';
        i = h.end;
        continue;
      } catch {
        /* not a heredoc */
      }
    }
    code += c;
    i++;
  }
  return { code, strings };
}
