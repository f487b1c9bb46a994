import { readFileSync } from "node:fs";
import AjvModule from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import type { Code } from "../diagnostics/codes.ts";
import type { SourceDoc } from "../load/source-doc.ts";
import { locate } from "../load/source-doc.ts";
import { didYouMean } from "../diagnostics/suggest.ts";

const Ajv = AjvModule.default ?? AjvModule;
let compiled: ValidateFunction | undefined;

/** The committed schema is the single source for ajv and for editors (a test keeps it equal to the kinds' fragments). */
export const SCHEMA_URL = new URL("../../schemas/pipeline.schema.json", import.meta.url);

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    // `format: email` without pulling in ajv-formats: a deliberately simple check, the address is only a subscription target.
    ajv.addFormat("email", /^[^\s@"'\\]+@[^\s@"'\\]+\.[^\s@"'\\]+$/);
    compiled = ajv.compile(JSON.parse(readFileSync(SCHEMA_URL, "utf8")));
  }
  return compiled;
}

/** Validates a loaded document against the pipeline schema, translating ajv errors into located diagnostics. */
export function validateSchema(doc: SourceDoc): Diagnostic[] {
  const validate = validator();
  if (validate(doc.value)) return [];
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== "if");
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  // A failing `type` of a component yields errors for every kind; keep only the most specific ones.
  const typeErrors = new Set(errors.filter((e) => e.keyword === "enum" && e.instancePath.endsWith("/type")).map((e) => e.instancePath.slice(0, -5)));
  for (const e of errors) {
    if ([...typeErrors].some((p) => e.instancePath === p && e.keyword !== "enum")) continue;
    const d = translate(e, doc);
    if (!d) continue;
    const key = `${d.pointer}|${d.code}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  // oneOf failures are summarized by the most specific branch error; drop the generic ones if others exist at the same pointer.
  return out.filter((d) => !(d.code === "PG2008" && out.some((o) => o !== d && o.pointer.startsWith(d.pointer) && o.code !== "PG2008")));
}

function translate(e: ErrorObject, doc: SourceDoc): Diagnostic | undefined {
  const base = (code: Code, pointer: string, message: string, hint?: string, prefer: "key" | "value" = "value"): Diagnostic => ({
    code,
    severity: "error",
    message,
    file: doc.file,
    pointer,
    ...(locate(doc, pointer, prefer) ? { span: locate(doc, pointer, prefer)! } : {}),
    ...(hint ? { hint } : {}),
  });
  const where = describe(e.instancePath);
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case "additionalProperties": {
      const known = Object.keys((e.parentSchema as any)?.properties ?? {});
      const key = String(p.additionalProperty);
      return base("PG2001", `${e.instancePath}/${escapeKey(key)}`, `unknown key \`${key}\`${where}`, didYouMean(key, known), "key");
    }
    case "required":
      return base("PG2002", e.instancePath, `missing required key \`${p.missingProperty}\`${where}`, `add \`${p.missingProperty}:\``, e.instancePath ? "key" : "value");
    case "type":
      return base("PG2003", e.instancePath, `expected ${[p.type].flat().join(" or ")}${where}, found ${typeName(valueAt(doc, e.instancePath))}`, hintFor(e));
    case "enum": {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const got = valueAt(doc, e.instancePath);
      const isType = e.instancePath.endsWith("/type");
      return base(isType ? "PG2007" : "PG2004", e.instancePath, `${isType ? "unknown component type" : "value"} ${JSON.stringify(got)}${where} is not one of ${allowed.join(", ")}`, typeof got === "string" ? didYouMean(got, (p.allowedValues as unknown[]).map(String), "accepted values") : undefined);
    }
    case "const":
      return base("PG2004", e.instancePath, `expected ${JSON.stringify(p.allowedValue)}${where}`);
    case "pattern":
      return base("PG2005", e.instancePath, `${JSON.stringify(valueAt(doc, e.instancePath))}${where} does not match the expected format`, formatHint(e));
    case "format":
      return base("PG2005", e.instancePath, `${JSON.stringify(valueAt(doc, e.instancePath))}${where} is not a valid ${p.format}`);
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return base("PG2006", e.instancePath, `${String(valueAt(doc, e.instancePath))}${where} must be ${p.comparison} ${p.limit}`);
    case "minItems":
    case "maxItems":
    case "minProperties":
    case "maxProperties":
    case "minLength":
    case "maxLength":
      return base("PG2006", e.instancePath, `${where.slice(4) || "value"} ${e.message ?? "is out of range"}`);
    case "uniqueItems":
      return base("PG2008", e.instancePath, `duplicate entries${where} (items ${p.j} and ${p.i} are equal)`, "remove the duplicate");
    case "propertyNames":
      return undefined; // the nested pattern error names the key
    case "oneOf":
    case "anyOf":
      return base("PG2008", e.instancePath, `value${where} matches none of the accepted forms`, hintFor(e));
    default:
      return base("PG2008", e.instancePath, `${e.message ?? "schema violation"}${where}`);
  }
}

function escapeKey(k: string): string {
  return k.replace(/~/g, "~0").replace(/\//g, "~1");
}

function valueAt(doc: SourceDoc, pointer: string): unknown {
  let v: any = doc.value;
  for (const seg of pointer.split("/").slice(1)) v = v?.[seg.replace(/~1/g, "/").replace(/~0/g, "~")];
  return v;
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a mapping" : `${typeof v} ${JSON.stringify(v)}`;
}

/** " in sink `lake`" — names the component so messages read well without the path. */
function describe(pointer: string): string {
  const m = /^\/(sources|transforms|sinks|serve)\/([^/]+)/.exec(pointer);
  if (!m) return pointer ? ` at \`${pointer.slice(1).split("/").join(".")}\`` : "";
  const cat = { sources: "source", transforms: "transform", sinks: "sink", serve: "serve" }[m[1] as "sources"];
  return ` in ${cat} \`${m[2]}\``;
}

function hintFor(e: ErrorObject): string | undefined {
  const s = e.parentSchema as any;
  const ex = s?.examples?.[0];
  return ex !== undefined ? `for example: ${JSON.stringify(ex)}` : s?.description ? String(s.description) : undefined;
}

function formatHint(e: ErrorObject): string | undefined {
  const s = e.parentSchema as any;
  const parts = [s?.description, s?.examples?.length ? `examples: ${s.examples.map((x: unknown) => JSON.stringify(x)).join(", ")}` : undefined].filter(Boolean);
  return parts.length ? parts.join("; ") : `must match ${String((e.params as any).pattern)}`;
}
