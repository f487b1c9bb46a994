import { readFileSync } from "node:fs";
import AjvModule from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { CATEGORY_NOUN, describePointer, describeValue, segmentsOf } from "../diagnostics/diagnostic.ts";
import type { Code } from "../diagnostics/codes.ts";
import type { SourceDoc } from "../load/source-doc.ts";
import { locate } from "../load/source-doc.ts";
import { closest, didYouMean } from "../diagnostics/suggest.ts";

const Ajv = AjvModule.default ?? AjvModule;
let compiled: { validate: ValidateFunction; schema: Schema } | undefined;

type Schema = Record<string, any>;

/** The committed schema is the single source for ajv and for editors (a test keeps it equal to the kinds' fragments). */
export const SCHEMA_URL = new URL("../../schemas/pipeline.schema.json", import.meta.url);

function validator(): { validate: ValidateFunction; schema: Schema } {
  if (!compiled) {
    // `verbose` puts the failing schema on each error: its description, examples and known keys feed the hints.
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true });
    // `format: email` without pulling in ajv-formats: a deliberately simple check, the address is only a subscription target.
    ajv.addFormat("email", /^[^\s@"'\\]+@[^\s@"'\\]+\.[^\s@"'\\]+$/);
    const schema = JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as Schema;
    compiled = { validate: ajv.compile(schema), schema };
  }
  return compiled;
}

/** Validates a loaded document against the pipeline schema, translating ajv errors into located diagnostics. */
export function validateSchema(doc: SourceDoc): Diagnostic[] {
  const { validate, schema } = validator();
  if (validate(doc.value)) return [];
  let errors = (validate.errors ?? []).filter((e) => e.keyword !== "if" && e.keyword !== "propertyNames");
  // A component with an unknown `type` fails every kind's fragment too; the unknown type is the one error worth reporting.
  const badTypes = new Set(errors.filter((e) => e.keyword === "enum" && /^\/(sources|transforms|sinks|serve)\/[^/]+\/type$/.test(e.instancePath)).map((e) => e.instancePath.slice(0, -5)));
  errors = errors.filter((e) => !badTypes.has(e.instancePath) || e.keyword === "enum");
  const out: Diagnostic[] = [];
  for (const item of resolveAlternatives(errors, doc)) {
    const d = "diagnostic" in item ? item.diagnostic : translate(item.error, doc, schema, item.note);
    if (d) out.push(d);
  }
  return dedupe(foldTypos(out));
}

type Item = { error: ErrorObject; note?: string } | { diagnostic: Diagnostic };

/**
 * oneOf/anyOf failures come with one error list per alternative. Report the alternative the user
 * evidently meant (the only one whose type and keys fit the value), or one summary when none does,
 * instead of every alternative's complaints (biome does the same for its unions).
 */
function resolveAlternatives(errors: ErrorObject[], doc: SourceDoc): Item[] {
  const consumed = new Set<ErrorObject>();
  const replaced = new Map<ErrorObject, Item[]>();
  for (const o of errors) {
    if (o.keyword !== "oneOf" && o.keyword !== "anyOf") continue;
    const prefix = `${o.schemaPath}/`;
    const inside = (e: ErrorObject) => e !== o && e.schemaPath.startsWith(prefix) && (e.instancePath === o.instancePath || e.instancePath.startsWith(`${o.instancePath}/`));
    const branchErrors = errors.filter(inside);
    branchErrors.forEach((e) => consumed.add(e));
    const count = Array.isArray(o.schema) ? o.schema.length : 0;
    const branches = Array.from({ length: count }, (_, i) => branchErrors.filter((e) => e.schemaPath.startsWith(`${prefix}${i}/`)));
    const at = (e: ErrorObject) => e.instancePath === o.instancePath;
    const value = valueAt(doc, o.instancePath);
    if (branches.length > 0 && branches.every((b) => b.length > 0 && b.every((e) => at(e) && e.keyword === "required"))) {
      // anyOf of `required`: the mapping needs at least one of several keys.
      const keys = branches.flatMap((b) => b.map((e) => String((e.params as { missingProperty: string }).missingProperty)));
      replaced.set(o, [{ diagnostic: missingOneOf(o, doc, keys) }]);
      continue;
    }
    const wrongType = (e: ErrorObject) =>
      at(e) && (e.keyword === "type" || ((e.keyword === "const" || e.keyword === "enum") && !sameJsonType(value, e.keyword === "const" ? (e.params as any).allowedValue : (e.params as any).allowedValues?.[0])));
    const wrongShape = (e: ErrorObject) => at(e) && (e.keyword === "required" || e.keyword === "additionalProperties");
    const typeOk = branches.map((b, i) => ({ b, i })).filter(({ b }) => b.length > 0 && !b.some(wrongType));
    const shapeOk = typeOk.filter(({ b }) => !b.some(wrongShape));
    const pick = shapeOk.length === 1 ? shapeOk[0] : typeOk.length === 1 ? typeOk[0] : undefined;
    const note = describeSchema(o.parentSchema as Schema | undefined, o.instancePath);
    // "x" against `on-demand | { shards: N }`: listing only `on-demand` would hide the other forms.
    const onlyValue = pick && branches.length > 1 && pick.b.every((e) => at(e) && (e.keyword === "const" || e.keyword === "enum"));
    if (onlyValue && typeof value === "string") {
      const values = pick.b.flatMap((e) => (e.keyword === "const" ? [(e.params as any).allowedValue] : (e.params as any).allowedValues)).map(String);
      const near = closest(value, values);
      const forms = String((o.parentSchema as Schema | undefined)?.description ?? `accepted values: ${values.join(", ")}`);
      const diagnostic = located(
        doc,
        {
          code: "PG2004",
          message: `${show(value)} is not an accepted value for ${describeValue(o.instancePath)}`,
          pointer: o.instancePath,
          hint: `${near ? `did you mean \`${near}\`? ` : ""}${forms}`,
        },
        "value",
      );
      replaced.set(o, [{ diagnostic }]);
      continue;
    }
    replaced.set(o, pick ? pick.b.map((error) => (note ? { error, note } : { error })) : [{ error: o }]);
  }
  const items: Item[] = [];
  for (const e of errors) {
    if (consumed.has(e)) continue;
    items.push(...(replaced.get(e) ?? [{ error: e }]));
  }
  return items;
}

function sameJsonType(a: unknown, b: unknown): boolean {
  const t = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  return t(a) === t(b);
}

function missingOneOf(o: ErrorObject, doc: SourceDoc, keys: string[]): Diagnostic {
  const list = keys.map((k) => `\`${k}\``).join(", ");
  const d = {
    code: "PG2002",
    message: `${describePointer(o.instancePath, doc.value)} needs at least one of ${list}`,
    pointer: o.instancePath,
    hint: `add one of ${list}; without them the component would do nothing`,
  };
  return located(doc, d, "key");
}

function located(doc: SourceDoc, d: Omit<Diagnostic, "severity" | "file" | "span">, prefer: "key" | "value"): Diagnostic {
  const span = locate(doc, d.pointer, prefer);
  return { code: d.code, severity: "error", message: d.message, file: doc.file, pointer: d.pointer, ...(span ? { span } : {}), ...(d.hint ? { hint: d.hint } : {}), ...(d.notes?.length ? { notes: d.notes } : {}) };
}

function translate(e: ErrorObject, doc: SourceDoc, root: Schema, branchNote?: string): Diagnostic | undefined {
  const base = (code: Code, pointer: string, message: string, hint?: string, prefer: "key" | "value" = "value", note?: string): Diagnostic =>
    located(doc, { code, message, pointer, ...(hint ? { hint } : {}), ...(note ?? branchNote ? { notes: [(note ?? branchNote)!] } : {}) }, prefer);
  const p = e.params as Record<string, any>;
  const parent = e.parentSchema as Schema | undefined;
  const ptr = e.instancePath;
  const value = valueAt(doc, ptr);
  const subject = describeValue(ptr);
  const note = describeSchema(parent, ptr);
  // An error about a key name (propertyNames) carries the key; the pointer then names that key.
  const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
  if (propertyName !== undefined) return badKeyName(e, doc, propertyName, base);
  switch (e.keyword) {
    case "additionalProperties": {
      const known = Object.keys(parent?.properties ?? {});
      const key = String(p.additionalProperty);
      const hint = known.length ? (nestedHint(key, parent, root, value) ?? didYouMean(key, known)) : undefined;
      return base("PG2001", `${ptr}/${escapeKey(key)}`, `unknown key \`${key}\` ${inside(ptr, doc)}`, hint, "key");
    }
    case "required": {
      const key = String(p.missingProperty);
      const prop = resolve(root, parent?.properties?.[key] as Schema | undefined);
      const example = prop?.enum ? undefined : prop?.examples?.[0];
      const hint = prop?.enum
        ? `add \`${key}:\` with one of: ${prop.enum.map(String).join(", ")}`
        : example !== undefined
          ? `add \`${key}:\`, for example \`${key}: ${yamlFlow(example)}\``
          : `add \`${key}:\``;
      return base("PG2002", ptr, `missing required key \`${key}\` ${inside(ptr, doc)}`, hint, "key", prop?.description ? `\`${key}\`: ${prop.description}` : undefined);
    }
    case "type": {
      const want = [p.type].flat().map(String);
      return base("PG2003", ptr, `${subject} must be ${want.map(typeWord).join(" or ")}, found ${typeName(value)}`, typeHint(ptr, want, value, parent, e.schemaPath), "value", note);
    }
    case "enum":
    case "const": {
      const allowed = (e.keyword === "enum" ? (p.allowedValues as unknown[]) : [p.allowedValue]).map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
      const segs = segmentsOf(ptr);
      const noun = segs[0] ? CATEGORY_NOUN[segs[0]] : undefined;
      if (noun && segs.length === 3 && segs[2] === "type") {
        const hint = typeof value === "string" ? didYouMean(value, allowed, `${noun} types`) : `${noun} types: ${[...allowed].sort().join(", ")}`;
        return base("PG2007", ptr, `unknown ${noun} type ${show(value)} for \`${segs[1]}\``, hint, "value", `\`type\` selects what pipegen generates for the ${noun}, and with it the keys it accepts`);
      }
      const hint = typeof value === "string" ? didYouMean(value, allowed, "accepted values") : `accepted values: ${[...allowed].sort().join(", ")}`;
      return base("PG2004", ptr, `${show(value)} is not an accepted value for ${subject}`, hint, "value", note);
    }
    case "pattern":
      return base("PG2005", ptr, `invalid ${subject}: ${show(value)} does not match the expected format`, withSuggestion(formatHint(parent, p.pattern), value, p.pattern), "value");
    case "format":
      return base("PG2005", ptr, `${show(value)} is not a valid ${p.format === "email" ? "email address" : p.format} for ${subject}`, p.format === "email" ? "write a single address such as `oncall@example.com`" : undefined, "value", note);
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const below = e.keyword.toLowerCase().endsWith("minimum");
      const limit = `${e.keyword.startsWith("exclusive") ? "limit" : below ? "minimum" : "maximum"} of ${p.limit}`;
      return base("PG2006", ptr, `${subject} is ${String(value)}, ${below ? "below" : "above"} the ${limit}`, rangeHint(parent), "value", note);
    }
    case "minItems":
    case "maxItems":
    case "minProperties":
    case "maxProperties":
    case "minLength":
    case "maxLength":
      return base("PG2006", ptr, sizeMessage(e.keyword, subject, value, Number(p.limit)), sizeHint(e.keyword, value, Number(p.limit), ptr, parent, e.schemaPath), "value", note);
    case "uniqueItems": {
      const item = (value as unknown[] | undefined)?.[p.i];
      return base("PG2008", `${ptr}/${p.i}`, `${subject} lists ${show(item)} twice (items ${p.j} and ${p.i})`, `remove the second ${show(item)}; each entry may appear once`, "value");
    }
    case "oneOf":
    case "anyOf":
      return base("PG2008", ptr, `${subject} matches none of the accepted forms`, parent?.description ? String(parent.description) : undefined, "value");
    default:
      return base("PG2008", ptr, `${subject}: ${e.message ?? "schema violation"}`);
  }
}

/** A key that is not a valid component id, field name, environment name or tag key. */
function badKeyName(e: ErrorObject, doc: SourceDoc, key: string, base: (code: Code, pointer: string, message: string, hint?: string, prefer?: "key" | "value") => Diagnostic): Diagnostic {
  const pointer = `${e.instancePath}/${escapeKey(key)}`;
  const segs = segmentsOf(e.instancePath);
  const what =
    segs.length === 1 && segs[0] && CATEGORY_NOUN[segs[0]] ? `${CATEGORY_NOUN[segs[0]]} id`
    : segs.length === 1 && segs[0] === "environments" ? "environment name"
    : segs[0] === "tags" ? "tag key"
    : "field name";
  const parent = e.parentSchema as Schema | undefined;
  const pattern = (e.params as { pattern?: string }).pattern;
  const hint = withSuggestion(formatHint(parent, pattern), key, pattern);
  return base("PG2005", pointer, `${show(key)} is not a valid ${what} ${inside(e.instancePath, doc)}`, hint, "key");
}

/**
 * An unknown key that is a typo of a missing required key (`input` for `inputs`) is one mistake:
 * keep the unknown-key error, which points at the typo, and drop the missing-key error.
 */
function foldTypos(diags: Diagnostic[]): Diagnostic[] {
  const drop = new Set<Diagnostic>();
  for (const d of diags) {
    if (d.code !== "PG2001") continue;
    const parent = d.pointer.slice(0, d.pointer.lastIndexOf("/"));
    const key = segmentsOf(d.pointer).pop() ?? "";
    for (const r of diags) {
      const m = r.code === "PG2002" && r.pointer === parent ? /^missing required key `([^`]+)`/.exec(r.message) : null;
      if (m && closest(key, [m[1]!]) === m[1]) {
        drop.add(r);
        d.notes = [...(d.notes ?? []), `\`${m[1]}\` is required and missing, so \`${key}\` is most likely a typo of it`];
      }
    }
  }
  return diags.filter((d) => !drop.has(d));
}

function dedupe(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out = diags.filter((d) => {
    const key = `${d.pointer}|${d.code}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // A generic "matches none of the forms" adds nothing when a specific error sits at or below it.
  return out.filter((d) => !(d.code === "PG2008" && /matches none of the accepted forms/.test(d.message) && out.some((o) => o !== d && o.pointer.startsWith(d.pointer) && o.code !== "PG2008")));
}

function escapeKey(k: string): string {
  return k.replace(/~/g, "~0").replace(/\//g, "~1");
}

function valueAt(doc: SourceDoc, pointer: string): unknown {
  let v: any = doc.value;
  for (const seg of segmentsOf(pointer)) v = v?.[seg];
  return v;
}

/** Follows a local `$ref` (`#/definitions/x`) so required-key hints can use the referenced description and examples. */
function resolve(root: Schema, s: Schema | undefined): Schema | undefined {
  if (!s || typeof s.$ref !== "string" || !s.$ref.startsWith("#/")) return s;
  let v: any = root;
  for (const seg of s.$ref.slice(2).split("/")) v = v?.[seg];
  // Validators ignore siblings of `$ref`, but its description and examples are the ones written for this key.
  const { $ref: _ref, ...own } = s;
  return { ...(v as Schema | undefined), ...own };
}

/**
 * `batch_size` written on a sink belongs under its `lambda:` mapping: when an unknown key is (close
 * to) a key of a nested mapping, say where it goes instead of listing the outer keys.
 */
function nestedHint(key: string, parent: Schema | undefined, root: Schema, value: unknown): string | undefined {
  if (closest(key, Object.keys(parent?.properties ?? {}))) return undefined;
  for (const [name, raw] of Object.entries((parent?.properties ?? {}) as Record<string, Schema>)) {
    const nested = Object.keys(resolve(root, raw)?.properties ?? {});
    const match = closest(key, nested);
    if (!match) continue;
    const v = (value as Record<string, unknown> | undefined)?.[key];
    return `did you mean \`${name}.${match}\`? it goes under \`${name}:\`, e.g. \`${name}: { ${match}: ${yamlFlow(v ?? resolve(root, raw)?.properties?.[match]?.examples?.[0] ?? "...")} }\``;
  }
  return undefined;
}

/** "in sink `lake` (type s3)", or "at the top level" for the root mapping. */
function inside(ptr: string, doc: SourceDoc): string {
  return ptr === "" ? "at the top level" : `in ${describePointer(ptr, doc.value)}`;
}

/** Prefixes a format hint with the obvious fix (`Temperature` → `temperature`, `per-device` → `per_device`) when that fix is valid. */
function withSuggestion(hint: string | undefined, value: unknown, pattern: unknown): string | undefined {
  if (typeof value !== "string" || typeof pattern !== "string") return hint;
  const re = new RegExp(pattern);
  const lower = value.trim().toLowerCase();
  const fix = [lower, lower.replace(/[^a-z0-9_]+/g, "_"), lower.replace(/[^a-z0-9-]+/g, "-")].find((c) => c !== value && re.test(c));
  return fix ? `did you mean \`${fix}\`? ${hint ?? ""}`.trim() : hint;
}

function typeWord(t: string): string {
  return ({ array: "a list", object: "a mapping", integer: "a whole number", number: "a number", string: "a string", boolean: "true or false", null: "empty" } as Record<string, string>)[t] ?? t;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return "an empty value";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `the ${typeof v} ${show(v)}`;
}

/** A value as users wrote it: strings in double quotes, the rest as YAML flow. */
function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  const flow = yamlFlow(v);
  // A whole mapping pasted into a message helps nobody; name its shape instead.
  return flow.length > 60 ? (Array.isArray(v) ? "a list" : "a mapping") : `\`${flow}\``;
}

/** Renders a small value in YAML flow style, the way the reference pipeline writes it: `{ partition: device_id }`. */
export function yamlFlow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(yamlFlow).join(", ")}]`;
  if (v !== null && typeof v === "object") return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${yamlFlow(x)}`).join(", ")} }`;
  if (typeof v === "string") {
    const plain = /^[\w./()-][\w ./()-]*$/.test(v) && !/^-/.test(v) && !/ $/.test(v) && !/^(true|false|null|yes|no|on|off|~)$/i.test(v) && Number.isNaN(Number(v));
    return plain ? v : JSON.stringify(v);
  }
  return String(v);
}

function lastKey(pointer: string): string | undefined {
  return segmentsOf(pointer).filter((s) => !/^\d+$/.test(s)).pop();
}

/**
 * `inputs: [readings]` for a named key; just the value for an entry of a free-form map (`compute`,
 * `fields`), whose example was written under another name.
 */
function exampleEntry(key: string, example: unknown, schemaPath: string): string {
  return /\/additionalProperties\/[^/]+$/.test(schemaPath) ? `\`${yamlFlow(example)}\`` : `\`${key}: ${yamlFlow(example)}\``;
}

function typeHint(ptr: string, want: string[], value: unknown, parent: Schema | undefined, schemaPath: string): string | undefined {
  const key = lastKey(ptr);
  if (typeof value === "string" && (want.includes("integer") || want.includes("number")) && value.trim() !== "" && Number.isFinite(Number(value))) {
    return `remove the quotes: \`${key}: ${Number(value)}\``;
  }
  if (want.includes("array") && value !== null && typeof value !== "object") return `write a list: \`${key}: [${yamlFlow(value)}]\``;
  const ex = parent?.examples?.[0];
  return ex !== undefined && key ? `for example ${exampleEntry(key, ex, schemaPath)}` : undefined;
}

function rangeHint(s: Schema | undefined): string | undefined {
  const lo = s?.minimum ?? s?.exclusiveMinimum;
  const hi = s?.maximum ?? s?.exclusiveMaximum;
  if (typeof lo === "number" && typeof hi === "number") return `use a value from ${s?.minimum ?? lo + 1} to ${s?.maximum ?? hi - 1}`;
  if (typeof lo === "number") return `use ${s?.minimum ?? lo + 1} or more`;
  if (typeof hi === "number") return `use ${s?.maximum ?? hi - 1} or less`;
  return undefined;
}

function sizeMessage(keyword: string, subject: string, value: unknown, limit: number): string {
  const S = subject;
  const count = Array.isArray(value) ? value.length : typeof value === "string" ? value.length : value && typeof value === "object" ? Object.keys(value).length : 0;
  if (count === 0) return `${S} is empty`;
  const unit = keyword.endsWith("Items") ? "item" : keyword.endsWith("Properties") ? "entr" : "character";
  const plural = (n: number) => (unit === "entr" ? (n === 1 ? "entry" : "entries") : `${unit}${n === 1 ? "" : "s"}`);
  return keyword.startsWith("min")
    ? `${S} has ${count} ${plural(count)}, at least ${limit} needed`
    : `${S} has ${count} ${plural(count)}, at most ${limit} allowed`;
}

function sizeHint(keyword: string, value: unknown, limit: number, ptr: string, parent: Schema | undefined, schemaPath: string): string {
  const count = Array.isArray(value) || typeof value === "string" ? value.length : value && typeof value === "object" ? Object.keys(value).length : 0;
  const key = lastKey(ptr);
  const example = parent?.examples?.[0];
  if (count === 0 && example !== undefined && key) return `for example ${exampleEntry(key, example, schemaPath)}`;
  const what = keyword.endsWith("Items") ? "item" : keyword.endsWith("Properties") ? "entry" : "character";
  const n = Math.abs(count - limit);
  const unit = n === 1 ? what : what === "entry" ? "entries" : `${what}s`;
  return keyword.startsWith("min") ? `add ${n} more ${unit}` : `remove ${n} ${unit}`;
}

/** The `= note:` that says what a setting is for: "`format`: Object format: JSON lines." */
function describeSchema(s: Schema | undefined, ptr: string): string | undefined {
  const key = lastKey(ptr);
  return s?.description && key ? `\`${key}\`: ${String(s.description)}` : undefined;
}

function formatHint(s: Schema | undefined, pattern: unknown): string | undefined {
  const description = typeof s?.description === "string" ? s.description.replace(/\.$/, "") : undefined;
  const examples = Array.isArray(s?.examples) && s.examples.length ? `for example ${s.examples.map((x: unknown) => `\`${typeof x === "string" ? x : yamlFlow(x)}\``).join(" or ")}` : undefined;
  const parts = [description, examples].filter(Boolean);
  return parts.length ? parts.join("; ") : typeof pattern === "string" ? `must match ${pattern}` : undefined;
}
