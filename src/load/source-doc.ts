import { LineCounter, isMap, isScalar, isSeq, parseDocument, isAlias } from "yaml";
import type { Node } from "yaml";
import type { Diagnostic, Span } from "../diagnostics/diagnostic.ts";
import { pointerOf } from "../diagnostics/diagnostic.ts";

/** A loaded pipeline file: the plain value plus where every key and value sits in the text. */
export interface SourceDoc {
  file: string;
  text: string;
  value: unknown;
  /** JSON pointer → source ranges; `key` is absent for the root and list items. */
  ranges: ReadonlyMap<string, { key?: [number, number]; value: [number, number] }>;
  lines: LineCounter;
}

/** Parses YAML text into a SourceDoc; syntax errors, duplicate keys and aliases become diagnostics. */
export function loadSource(file: string, text: string): { doc?: SourceDoc; diagnostics: Diagnostic[] } {
  const lines = new LineCounter();
  const yamlDoc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const diagnostics: Diagnostic[] = [];
  for (const e of [...yamlDoc.errors, ...yamlDoc.warnings]) {
    const [start, end] = e.pos;
    const dup = e.code === "DUPLICATE_KEY";
    diagnostics.push({
      code: dup ? "PG1002" : "PG1001",
      severity: "error",
      message: dup ? "duplicate key: YAML keeps only one of them, so one setting would be silently lost" : firstLine(e.message),
      file,
      pointer: "",
      span: spanOf(lines, start, Math.max(1, end - start)),
      hint: dup ? "remove or rename one of the keys" : "check indentation and quoting around this position",
    });
  }
  if (diagnostics.length > 0) return { diagnostics };
  const ranges = new Map<string, { key?: [number, number]; value: [number, number] }>();
  walk(yamlDoc.contents as Node | null, [], undefined, ranges, diagnostics, file, lines);
  if (diagnostics.length > 0) return { diagnostics };
  return { doc: { file, text, value: yamlDoc.toJS({ maxAliasCount: 0 }) ?? null, ranges, lines }, diagnostics };
}

function walk(
  node: Node | null,
  path: Array<string | number>,
  key: [number, number] | undefined,
  out: Map<string, { key?: [number, number]; value: [number, number] }>,
  diags: Diagnostic[],
  file: string,
  lines: LineCounter,
): void {
  if (!node) return;
  const r = node.range ?? [0, 0, 0];
  out.set(pointerOf(path), key ? { key, value: [r[0], r[1]] } : { value: [r[0], r[1]] });
  if (isAlias(node)) {
    // Anchors and aliases hide where a value came from, which breaks error locations and review.
    diags.push({
      code: "PG1004",
      severity: "error",
      message: "YAML aliases are not supported in pipeline files",
      file,
      pointer: pointerOf(path),
      span: spanOf(lines, r[0], Math.max(1, r[1] - r[0])),
      hint: "write the value out; use `environments:` for per-environment differences",
    });
    return;
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      const name = isScalar(k) ? String(k.value) : String(k);
      const kr = k?.range;
      walk(pair.value as Node | null, [...path, name], kr ? [kr[0], kr[1]] : undefined, out, diags, file, lines);
      if (!pair.value && kr) out.set(pointerOf([...path, name]), { key: [kr[0], kr[1]], value: [kr[0], kr[1]] });
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walk(item as Node | null, [...path, i], undefined, out, diags, file, lines));
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
      const [s, e] = prefer === "key" && r.key ? r.key : r.value;
      return spanOf(doc.lines, s, Math.max(1, e - s));
    }
    if (p === "") return undefined;
    p = p.slice(0, p.lastIndexOf("/"));
  }
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
  if (inner.includes("\n") || /\\|''/.test(inner)) return spanOf(doc.lines, s, Math.max(1, e - s));
  return spanOf(doc.lines, base + offset, Math.max(1, length));
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}
