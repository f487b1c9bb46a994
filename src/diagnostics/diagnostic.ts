/** One problem found in a pipeline file, in the shape every stage reports and every reporter renders. */
export interface Diagnostic {
  code: string;
  severity: "error" | "warning";
  message: string;
  file: string;
  /** JSON pointer into the spec, e.g. `/sinks/lake/format`. */
  pointer: string;
  span?: Span;
  hint?: string;
  notes?: string[];
}

/** 1-based line and column of the first character, and how many characters are marked. */
export interface Span {
  line: number;
  col: number;
  length: number;
}

/** Thrown only for usage errors (bad flags, missing files); spec problems are returned as diagnostics. */
export class UsageError extends Error {}

/** Turns a JSON pointer into the dotted path users read in messages (`sinks.lake.format`). */
export function dottedPath(pointer: string): string {
  if (pointer === "" || pointer === "/") return "(root)";
  return pointer
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : p))
    .join(".")
    .replace(/\.\[/g, "[");
}

/** Builds a JSON pointer from path segments, escaping `~` and `/` as RFC 6901 requires. */
export function pointerOf(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => "/" + String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

/** True when any diagnostic is an error (warnings alone do not fail a build). */
export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** Stable order: by file, then position, then code, so output never depends on check order. */
export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  return [...diags].sort(
    (a, b) =>
      cmp(a.file, b.file) ||
      (a.span?.line ?? 0) - (b.span?.line ?? 0) ||
      (a.span?.col ?? 0) - (b.span?.col ?? 0) ||
      cmp(a.code, b.code) ||
      cmp(a.message, b.message),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How messages name a component section's members: `sinks` → "sink". */
export const CATEGORY_NOUN: Readonly<Record<string, string>> = { sources: "source", transforms: "transform", sinks: "sink", serve: "API" };

/** Splits a JSON pointer into unescaped segments. */
export function segmentsOf(pointer: string): string[] {
  return pointer === "" ? [] : pointer.slice(1).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/**
 * Names what a pointer is inside, for messages that must read well without the path:
 * `/sinks/lake` → "sink `lake` (type s3)", `/sinks/lake/key` → "`key` of sink `lake`",
 * `/environments/dev` → "environment `dev`", `` → "the top level".
 * `spec` (the parsed document) supplies the component type when it is a known string.
 */
export function describePointer(pointer: string, spec?: unknown, withType = true): string {
  const segs = segmentsOf(pointer);
  if (segs.length === 0) return "the top level";
  const [section, id] = segs;
  const noun = section !== undefined ? CATEGORY_NOUN[section] : undefined;
  if (noun && id !== undefined) {
    const type = (spec as Record<string, Record<string, Record<string, unknown>>> | undefined)?.[section!]?.[id]?.type;
    const owner = `${noun} \`${id}\`${withType && typeof type === "string" ? ` (type ${type})` : ""}`;
    return segs.length === 2 ? owner : `\`${dottedPath(pointerOf(segs.slice(2)))}\` of ${owner}`;
  }
  if (section === "environments" && id !== undefined) {
    return segs.length === 2 ? `environment \`${id}\`` : `\`${dottedPath(pointerOf(segs.slice(2)))}\` of environment \`${id}\``;
  }
  return `\`${dottedPath(pointer)}\``;
}

/** The value a pointer names, for messages: "`records_per_run` in source `simulator`", "`pipeline`". */
export function describeValue(pointer: string): string {
  const segs = segmentsOf(pointer);
  const [section, id] = segs;
  const noun = section !== undefined ? CATEGORY_NOUN[section] : undefined;
  if (noun && id !== undefined && segs.length > 2) return `\`${dottedPath(pointerOf(segs.slice(2)))}\` in ${noun} \`${id}\``;
  if (section === "environments" && id !== undefined && segs.length > 2) return `\`${dottedPath(pointerOf(segs.slice(2)))}\` in environment \`${id}\``;
  return describePointer(pointer, undefined, false);
}
