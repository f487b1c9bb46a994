const NEEDS_ESCAPE = /[\\"\x00-\x1f\u2028\u2029]|[$%]\{/;

/**
 * Escapes a spec string into an HCL quoted string literal. Besides quotes, backslashes and control
 * characters, `${` and `%{` start template sequences in HCL strings, so they are doubled (`$${`, `%%{`)
 * to stay literal: no spec value can reach Terraform's expression evaluator.
 */
export function hclString(value: string): string {
  // Most strings (names, descriptions, ARNs) need no escaping: one regex test instead of a loop.
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    const next = value[i + 1];
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if ((ch === "$" || ch === "%") && next === "{") out += ch + ch;
    else if (ch.charCodeAt(0) < 0x20 || ch === "\u2028" || ch === "\u2029") out += "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0");
    else out += ch;
  }
  return `"${out}"`;
}

/** Renders a JS value as an HCL literal (strings escaped, keys quoted when not identifiers). */
export function hclValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return hclString(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot render ${value} in HCL`);
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (value instanceof Raw) return value.expr;
  if (Array.isArray(value)) return `[${value.map(hclValue).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${hclKey(k)} = ${hclValue(v)}`).join("\n")}\n}`;
}

/** An object key: bare when it is an identifier, quoted otherwise. */
export function hclKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : hclString(key);
}

/** A Terraform expression that must be printed verbatim (a reference such as `aws_s3_bucket.lake.arn`). */
export class Raw {
  constructor(readonly expr: string) {}
}

/** Marks a reference/expression built by pipegen itself (never from spec text) for verbatim output. */
export function raw(expr: string): Raw {
  return new Raw(expr);
}

/**
 * A string template with interpolations built by pipegen, e.g. `"${local.name_prefix}-lake"`.
 * Literal parts may only contain characters that need no escaping, which the schema guarantees
 * for ids and pipeline names; anything else is a bug, so it throws.
 */
export function hclTemplate(...parts: Array<string | Raw>): string {
  let out = "";
  for (const p of parts) {
    if (p instanceof Raw) out += "${" + p.expr + "}";
    else {
      if (!/^[A-Za-z0-9_./:*=+@ -]*$/.test(p)) throw new Error(`unsafe literal in HCL template: ${JSON.stringify(p)}`);
      out += p;
    }
  }
  return `"${out}"`;
}
