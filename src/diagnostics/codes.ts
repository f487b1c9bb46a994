/**
 * The code catalog: one stable code per kind of problem, grouped by stage
 * (PG1xxx load, PG2xxx schema, PG3xxx graph and semantics, PG4xxx plan, PG5xxx emit/verify).
 * Codes never change meaning once released; docs anchors are derived from them.
 */
export const CODES = {
  PG1001: "YAML syntax error",
  PG1002: "duplicate key in a mapping",
  PG1003: "pipeline file cannot be read",
  PG1004: "YAML feature not allowed in pipeline files",
  PG2001: "unknown key",
  PG2002: "missing required key",
  PG2003: "value has the wrong type",
  PG2004: "value is not one of the accepted values",
  PG2005: "value does not match the expected format",
  PG2006: "value is out of range",
  PG2007: "unknown component type",
  PG2008: "schema violation",
  PG3001: "unknown component id",
  PG3002: "cycle in the component graph",
  PG3003: "edge the target kind cannot consume",
  PG3004: "component is never used",
  PG3005: "field is not in the record contract",
  PG3006: "invalid expression",
  PG3007: "type mismatch",
  PG3008: "duplicate name after normalization",
  PG3009: "name exceeds an AWS limit",
  PG3010: "window out of range",
  PG3011: "component id is reused across sections",
  PG3012: "unknown environment setting",
  PG4001: "user function file is missing and cannot be created",
  PG5001: "generated output is stale",
  PG5002: "handler bundling failed",
} as const;

export type Code = keyof typeof CODES;

/** Where the code is explained, for the `docs` field and the pretty reporter. */
export function docsUrl(code: Code): string {
  return `README.md#${code.toLowerCase()}`;
}
