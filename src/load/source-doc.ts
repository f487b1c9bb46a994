import { createRequire } from "node:module";
import type * as Yaml from "yaml";
import type { LineCounter, Node, Scalar, YAMLError } from "yaml";
import type { Diagnostic, Span } from "../diagnostics/diagnostic.ts";
import { describePointer, pointerOf } from "../diagnostics/diagnostic.ts";
import { readPlainYaml } from "./plain-yaml.ts";

/** A loaded pipeline file: the plain value plus where every key and value sits in the text. */
export interface SourceDoc {
  file: string;
  text: string;
  value: unknown;
  /** JSON pointer → source ranges; `key` is absent for the root and list items. */
  readonly ranges: ReadonlyMap<string, { key?: [number, number]; value: [number, number] }>;
  readonly lines: LineCounter;
}

// The full parser is loaded on first use: a valid file in the plain subset never needs it, and
// loading it is ~40 ms of a process start.
let yamlLib: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  return (yamlLib ??= createRequire(import.meta.url)("yaml") as typeof Yaml);
}

type Ranges = Map<string, { key?: [number, number]; value: [number, number] }>;

/**
 * Parses YAML text into a SourceDoc; syntax errors, duplicate keys and aliases become diagnostics.
 * Text in the plain subset (plain-yaml.ts) is read without source positions; they are computed by
 * the full parser the first time an error needs one, so a valid file never pays for them.
 */
export function loadSource(file: string, text: string): { doc?: SourceDoc; diagnostics: Diagnostic[] } {
  const plain = readPlainYaml(text);
  if (plain) return { doc: withLazyPositions(file, text, plain.value), diagnostics: [] };
  const parsed = parseWithPositions(file, text);
  if (parsed.diagnostics.length > 0) return { diagnostics: parsed.diagnostics };
  return { doc: { file, text, value: parsed.value, ranges: parsed.ranges!, lines: parsed.lines }, diagnostics: [] };
}

function withLazyPositions(file: string, text: string, value: unknown): SourceDoc {
  let parsed: ReturnType<typeof parseWithPositions> | undefined;
  const positions = () => (parsed ??= parseWithPositions(file, text));
  return {
    file,
    text,
    value,
    get ranges() {
      return positions().ranges!;
    },
    get lines() {
      return positions().lines;
    },
  };
}

function parseWithPositions(file: string, text: string): { value?: unknown; ranges?: Ranges; lines: LineCounter; diagnostics: Diagnostic[] } {
  const lines = new (yaml().LineCounter)();
  const yamlDoc = yaml().parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const diagnostics: Diagnostic[] = [];
  const syntaxLines = new Set<number>();
  for (const e of [...yamlDoc.errors, ...yamlDoc.warnings]) {
    if (e.code === "DUPLICATE_KEY") {
      diagnostics.push(duplicateKey(file, text, lines, yamlDoc.contents as Node | null, e.pos[0]));
      continue;
    }
    const d = syntaxError(file, text, lines, yamlDoc.contents as Node | null, e);
    // The parser often reports one mistake several times on the same line; the first report says it best.
    if (syntaxLines.has(d.span!.line)) continue;
    syntaxLines.add(d.span!.line);
    diagnostics.push(d);
  }
  if (diagnostics.length > 0) return { lines, diagnostics };
  const ranges: Ranges = new Map();
  walk(yamlDoc.contents as Node | null, "", undefined, ranges, diagnostics, file, lines);
  if (diagnostics.length > 0) return { lines, diagnostics };
  return { value: yamlDoc.toJS({ maxAliasCount: 0 }) ?? null, ranges, lines, diagnostics };
}

/** Hints for the parser's error codes, saying what to change rather than what the parser saw. */
const SYNTAX_HINTS: Record<string, string> = {
  TAB_AS_INDENT: "indent with spaces; YAML does not allow tabs in indentation",
  BAD_INDENT: "indent all keys of one mapping by the same number of spaces",
  MULTILINE_IMPLICIT_KEY: "is a `:` missing? each line of a mapping is `key: value`, with a space after the `:`",
  BLOCK_AS_IMPLICIT_KEY: "quote a value that contains `: `, e.g. `owner: \"team: iot\"`",
  MISSING_CHAR: "add the missing character",
};

function syntaxError(file: string, text: string, lines: LineCounter, contents: Node | null, e: YAMLError): Diagnostic {
  const [start, end] = e.pos;
  const note = "the file must parse before anything else in it can be checked";
  // An unclosed quote or bracket is reported where the parser gives up (often the next key or the end
  // of the file); point at the opening character instead, which is where the fix goes.
  const opener = /end with a [\]}]|Missing closing/.test(e.message) ? unclosedOpener(text, start) : undefined;
  if (opener !== undefined) {
    const ch = text.charAt(opener);
    const what = ch === "[" ? "list" : ch === "{" ? "mapping" : "string";
    const close = ch === "[" ? "]" : ch === "{" ? "}" : ch;
    const line = lines.linePos(opener).line;
    return {
      code: "PG1001",
      severity: "error",
      message: `invalid YAML: this \`${ch}\` is never closed, so the ${what} runs on into the lines below`,
      file,
      pointer: pointerAt(contents, opener, [], false, text),
      span: spanOf(lines, opener, 1),
      notes: [note],
      hint: `add the closing \`${close}\` on line ${line}`,
    };
  }
  // Point at the first non-blank character when the parser reports the start of an indented line.
  let at = start;
  if (e.code !== "TAB_AS_INDENT") while (text.charAt(at) === " ") at++;
  const token = /^[^\s:]+/.exec(text.slice(at, lineEnd(text, at)))?.[0].length ?? 1;
  const length = at === start ? Math.min(end, lineEnd(text, at)) - at : token;
  const message = firstLine(e.message);
  return {
    code: "PG1001",
    severity: "error",
    message: `invalid YAML: ${message.charAt(0).toLowerCase()}${message.slice(1)}`,
    file,
    pointer: pointerAt(contents, at, [], true, text) || ownerBefore(contents, at),
    span: spanOf(lines, at, Math.max(1, length)),
    notes: [note],
    hint: SYNTAX_HINTS[e.code] ?? "check indentation, quotes and brackets on this line and the lines above",
  };
}

function duplicateKey(file: string, text: string, lines: LineCounter, contents: Node | null, offset: number): Diagnostic {
  const found = findPair(contents, offset, []);
  const name = found?.name ?? text.slice(offset, lineEnd(text, offset)).split(":")[0]!.trim();
  const firstLineNo = found?.first !== undefined ? lines.linePos(found.first).line : undefined;
  const where = found ? (found.path.length ? ` in ${describePointer(pointerOf(found.path))}` : " at the top level") : "";
  return {
    code: "PG1002",
    severity: "error",
    message: `duplicate key \`${name}\`${where}: YAML keeps only one of the values, so the other would be silently lost`,
    file,
    pointer: found ? pointerOf([...found.path, name]) : "",
    span: spanOf(lines, offset, Math.max(1, name.length)),
    hint: firstLineNo !== undefined ? `remove one of the two; the first \`${name}\` is on line ${firstLineNo}` : "remove or rename one of the keys",
  };
}

/** Finds the mapping pair whose key starts at offset, its path, and where the same key first appears in that mapping. */
function findPair(node: Node | null, offset: number, path: Array<string | number>): { name: string; path: Array<string | number>; first?: number } | undefined {
  if (yaml().isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      const name = yaml().isScalar(k) ? String(k.value) : String(k);
      if (k?.range?.[0] === offset) {
        const first = node.items.find((q) => q !== pair && (yaml().isScalar(q.key) ? String((q.key as Scalar).value) : String(q.key)) === name);
        const firstAt = (first?.key as Node | null)?.range?.[0];
        return { name, path, ...(firstAt !== undefined ? { first: firstAt } : {}) };
      }
      const inner = findPair(pair.value as Node | null, offset, [...path, name]);
      if (inner) return inner;
    }
  } else if (yaml().isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const inner = findPair(item as Node | null, offset, [...path, i]);
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * The pointer of the deepest key or value whose range contains offset, in a possibly partial document.
 * With `keyOwner`, an offset inside a key names the mapping that holds the key: a broken line's "key"
 * is often garbage the parser glued together, so only its parent is worth naming.
 */
function pointerAt(node: Node | null, offset: number, path: Array<string | number> = [], keyOwner = false, text = ""): string {
  if (yaml().isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      const v = pair.value as Node | null;
      const name = yaml().isScalar(k) ? String(k.value) : String(k);
      const end = v?.range?.[2] ?? k?.range?.[2];
      if (k?.range && offset >= k.range[0] && end !== undefined && offset < end) {
        // A key spread over several lines is the parser gluing broken lines together, not a real key.
        if ((keyOwner && offset < k.range[2]) || text.slice(k.range[0], k.range[1]).includes("\n")) return pointerOf(path);
        return pointerAt(v, offset, [...path, name], keyOwner, text);
      }
    }
  } else if (yaml().isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const r = (item as Node | null)?.range;
      if (r && offset >= r[0] && offset < r[2]) return pointerAt(item as Node, offset, [...path, i], keyOwner, text);
    }
  }
  return pointerOf(path);
}

/**
 * The mapping holding the last key before offset: for a broken line the parser could not attach
 * anywhere (a tab-indented key), the mapping it was evidently meant to continue.
 */
function ownerBefore(node: Node | null, offset: number, path: Array<string | number> = []): string {
  let found = "";
  if (yaml().isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      if (!k?.range || k.range[0] >= offset) break;
      const name = yaml().isScalar(k) ? String(k.value) : String(k);
      found = ownerBefore(pair.value as Node | null, offset, [...path, name]) || pointerOf(path);
    }
  } else if (yaml().isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const r = (item as Node | null)?.range;
      if (!r || r[0] >= offset) break;
      found = ownerBefore(item as Node, offset, [...path, i]);
    }
  }
  return found;
}

/** Offset of the quote, `[` or `{` still open at offset, scanning from the start (comments and quoted text skipped). */
function unclosedOpener(text: string, offset: number): number | undefined {
  const stack: number[] = [];
  let quote: number | undefined;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charAt(i);
    if (quote !== undefined) {
      const q = text.charAt(quote);
      if (c === "\\" && q === '"') i++;
      else if (c === q) {
        if (q === "'" && text.charAt(i + 1) === "'") i++;
        else quote = undefined;
      }
      continue;
    }
    if (c === "#" && (i === 0 || /\s/.test(text.charAt(i - 1)))) {
      i = lineEnd(text, i) - 1;
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s:,[{]/.test(text.charAt(i - 1)))) {
      quote = i;
    } else if (c === "[" || c === "{") {
      stack.push(i);
    } else if (c === "]" || c === "}") {
      stack.pop();
    }
  }
  return quote ?? stack.pop();
}

function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl === -1 ? text.length : nl;
}

/** One JSON-pointer segment: `~` and `/` escaped (RFC 6901), and only looked at when present. */
function segment(name: string | number): string {
  const s = String(name);
  return s.includes("~") || s.includes("/") ? `/${s.replace(/~/g, "~0").replace(/\//g, "~1")}` : `/${s}`;
}

// Pointers are built by appending one escaped segment to the parent's, not by re-joining the whole
// path at every node: this walk visits every node of every spec, and re-joining made it a tenth of
// a 50-pipeline build.
function walk(
  node: Node | null,
  pointer: string,
  key: [number, number] | undefined,
  out: Map<string, { key?: [number, number]; value: [number, number] }>,
  diags: Diagnostic[],
  file: string,
  lines: LineCounter,
): void {
  if (!node) return;
  const r = node.range ?? [0, 0, 0];
  out.set(pointer, key ? { key, value: [r[0], r[1]] } : { value: [r[0], r[1]] });
  if (yaml().isAlias(node)) {
    // Anchors and aliases hide where a value came from, which breaks error locations and review.
    diags.push({
      code: "PG1004",
      severity: "error",
      message: `YAML alias \`${String(node)}\` is not allowed in pipeline files: a reused value hides which settings change together, and errors could not point at it`,
      file,
      pointer,
      span: spanOf(lines, r[0], Math.max(1, r[1] - r[0])),
      hint: `write the value out here; the anchor \`&${node.source}\` can then be removed`,
    });
    return;
  }
  if (yaml().isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      const child = pointer + segment(yaml().isScalar(k) ? String(k.value) : String(k));
      const kr = k?.range;
      walk(pair.value as Node | null, child, kr ? [kr[0], kr[1]] : undefined, out, diags, file, lines);
      if (!pair.value && kr) out.set(child, { key: [kr[0], kr[1]], value: [kr[0], kr[1]] });
    }
  } else if (yaml().isSeq(node)) {
    node.items.forEach((item, i) => walk(item as Node | null, `${pointer}/${i}`, undefined, out, diags, file, lines));
  }
}

/** Converts a character offset into a 1-based line/column span. */
export function spanOf(lines: LineCounter, offset: number, length: number): Span {
  const p = lines.linePos(offset);
  return { line: p.line, col: p.col, length };
}

/** The span of a key (preferred, it is what users typo) or value at a pointer, walking up to the nearest known parent. */
export function locate(doc: SourceDoc, pointer: string, prefer: "key" | "value" = "key"): Span | undefined {
  let p = pointer;
  for (;;) {
    const r = doc.ranges.get(p);
    if (r) {
      // A block mapping or list cannot be underlined on one line: mark its key instead, or for a key-less
      // mapping (the root, a list item) its first key.
      const multiLine = doc.text.slice(r.value[0], r.value[1]).trimEnd().includes("\n");
      const [s, e] = r.key && (prefer === "key" || multiLine) ? r.key : !r.key && (prefer === "key" || multiLine) ? (firstChildKey(doc, p) ?? r.value) : r.value;
      return spanOf(doc.lines, s, Math.max(1, e - s));
    }
    if (p === "") return undefined;
    p = p.slice(0, p.lastIndexOf("/"));
  }
}

function firstChildKey(doc: SourceDoc, pointer: string): [number, number] | undefined {
  let best: [number, number] | undefined;
  for (const [p, r] of doc.ranges) {
    if (!r.key || !p.startsWith(`${pointer}/`) || p.indexOf("/", pointer.length + 1) !== -1) continue;
    if (!best || r.key[0] < best[0]) best = r.key;
  }
  return best;
}

/** Span of characters [offset, offset+length) inside the scalar value at pointer — for errors inside expressions. */
export function locateInside(doc: SourceDoc, pointer: string, offset: number, length: number): Span | undefined {
  const r = doc.ranges.get(pointer);
  if (!r) return locate(doc, pointer, "value");
  const [s, e] = r.value;
  const raw = doc.text.slice(s, e);
  // Quoted scalars shift by the opening quote; multi-line/escaped scalars fall back to the value start.
  const quoted = raw.startsWith('"') || raw.startsWith("'");
  const base = s + (quoted ? 1 : 0);
  const inner = quoted ? raw.slice(1, -1) : raw;
  if (!quoted && inner.includes("\n")) {
    const at = multiLineOffset(doc.text, s, e, offset);
    if (at !== undefined) return spanOf(doc.lines, at, Math.max(1, Math.min(length, lineEnd(doc.text, at) - at)));
  }
  if (inner.includes("\n") || /\\|''/.test(inner)) return spanOf(doc.lines, s, Math.max(1, e - s));
  return spanOf(doc.lines, base + offset, Math.max(1, length));
}

/**
 * Source offset of character `offset` of a scalar written over several lines: a plain scalar, or a
 * `>`/`|` block scalar. Both join their lines with one character (a space or a newline) after
 * dropping the indentation, so the mapping is exact as long as no line is blank or indented deeper.
 * Undefined for anything else (the caller then marks the whole value).
 */
function multiLineOffset(text: string, start: number, end: number, offset: number): number | undefined {
  const segments: Array<[number, number]> = []; // [source start, length] of each line's content
  const block = /^[>|][+-]?[ \t]*(#.*)?\n/.exec(text.slice(start, end));
  let pos = start;
  let indent: number | undefined;
  if (block) pos += block[0].length;
  while (pos < end) {
    const stop = Math.min(lineEnd(text, pos), end);
    const line = text.slice(pos, stop);
    const lead = line.length - line.trimStart().length;
    const content = line.trim();
    if (content === "") {
      if (stop >= end || text.slice(stop, end).trim() === "") break; // trailing newline of the value
      return undefined;
    }
    if (block) {
      indent ??= lead;
      if (lead !== indent) return undefined;
    }
    // The first line of a plain scalar starts at the value itself; later lines after their indentation.
    const from = !block && segments.length === 0 ? pos : pos + lead;
    segments.push([from, block ? line.length - lead : content.length + (from === pos ? lead : 0)]);
    pos = stop + 1;
  }
  let rest = offset;
  for (const [from, len] of segments) {
    if (rest < len) return from + rest;
    rest -= len + 1;
  }
  return undefined;
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}
