/**
 * Reads a Terraform module directory into one merged model: every `*.tf` file is parsed
 * with @cdktf/hcl2json, `override.tf` / `*_override.tf` files are merged the way Terraform
 * merges them, and `#trivy:ignore:` comment directives are collected from the raw text.
 */
import { parse } from "@cdktf/hcl2json";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Block, Body, IgnoreDirective, Model, SourceFile } from "./types.ts";

export interface LoadOptions {
  /** "Today" for ignore expiry dates; defaults to the current date. */
  today?: Date;
}

const isOverrideFile = (name: string): boolean => {
  const base = path.basename(name);
  return base === "override.tf" || base.endsWith("_override.tf");
};

/** Lists and reads the `*.tf` files of a directory (not recursive), sorted by name. */
export async function readModuleFiles(dir: string): Promise<SourceFile[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
  const json = names.filter((n) => n.endsWith(".tf.json"));
  if (json.length > 0) {
    throw new Error(`${dir}: Terraform JSON files are not supported by the security checker: ${json.join(", ")}`);
  }
  const files: SourceFile[] = [];
  for (const name of names.filter((n) => n.endsWith(".tf"))) {
    files.push({ name, text: await readFile(path.join(dir, name), "utf8") });
  }
  return files;
}

/** Loads the module in `dir`. Throws if the directory holds no `.tf` file or a file does not parse. */
export async function loadModule(dir: string, options: LoadOptions = {}): Promise<Model> {
  const files = await readModuleFiles(dir);
  if (files.length === 0) throw new Error(`${dir}: no .tf files`);
  return loadModuleFromFiles(files, dir, options);
}

type Parsed = Record<string, unknown>;

const asRecord = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const asBodies = (v: unknown): Body[] => (Array.isArray(v) ? (v.filter((x) => x && typeof x === "object") as Body[]) : []);

/** Builds the model from in-memory files (same semantics as loadModule). */
export async function loadModuleFromFiles(
  files: SourceFile[],
  dir = "<memory>",
  options: LoadOptions = {},
): Promise<Model> {
  const model: Model = {
    dir,
    files,
    resources: {},
    data: {},
    variables: {},
    locals: {},
    outputs: {},
    modules: {},
    ignores: [],
  };
  const ordered = [...files.filter((f) => !isOverrideFile(f.name)), ...files.filter((f) => isOverrideFile(f.name))];
  for (const file of ordered) {
    let parsed: Parsed;
    try {
      parsed = (await parse(file.name, file.text)) as Parsed;
    } catch (e) {
      throw new Error(`${dir}/${file.name}: HCL parse error: ${String(e)}`);
    }
    mergeFile(model, file.name, parsed, isOverrideFile(file.name));
  }
  model.ignores = parseIgnores(files, options.today ?? new Date());
  return model;
}

function mergeBlocks(
  target: Record<string, Record<string, Block>>,
  kind: "resource" | "data",
  section: unknown,
  file: string,
  override: boolean,
): void {
  for (const [type, byName] of Object.entries(asRecord(section))) {
    for (const [name, bodies] of Object.entries(asRecord(byName))) {
      const list = asBodies(bodies);
      const address = kind === "resource" ? `${type}.${name}` : `data.${type}.${name}`;
      for (const body of list) {
        const existing = target[type]?.[name];
        if (override) {
          if (!existing) throw new Error(`${file}: override for ${address}, which is not declared`);
          // Terraform: arguments replace arguments; a nested block type replaces all blocks of that type.
          existing.body = { ...existing.body, ...body };
          continue;
        }
        if (existing) throw new Error(`${file}: duplicate ${address} (also in ${existing.file})`);
        (target[type] ??= {})[name] = { kind, type, name, address, body, file };
      }
    }
  }
}

function mergeNamed(target: Record<string, Body>, section: unknown, what: string, file: string, override: boolean): void {
  for (const [name, bodies] of Object.entries(asRecord(section))) {
    for (const body of asBodies(bodies)) {
      const existing = target[name];
      if (override) {
        if (!existing) throw new Error(`${file}: override for ${what} "${name}", which is not declared`);
        target[name] = { ...existing, ...body };
      } else {
        if (existing) throw new Error(`${file}: duplicate ${what} "${name}"`);
        target[name] = body;
      }
    }
  }
}

function mergeFile(model: Model, file: string, parsed: Parsed, override: boolean): void {
  mergeBlocks(model.resources, "resource", parsed.resource, file, override);
  mergeBlocks(model.data, "data", parsed.data, file, override);
  mergeNamed(model.variables, parsed.variable, "variable", file, override);
  mergeNamed(model.outputs, parsed.output, "output", file, override);
  mergeNamed(model.modules, parsed.module, "module", file, override);
  for (const locals of asBodies(parsed.locals)) {
    for (const [name, value] of Object.entries(locals)) {
      if (!override && name in model.locals) throw new Error(`${file}: duplicate local "${name}"`);
      if (override && !(name in model.locals)) throw new Error(`${file}: override for local "${name}", which is not declared`);
      model.locals[name] = value;
    }
  }
}

const DIRECTIVE = /^(?:trivy|tfsec):ignore:(.+)$/;
const BLOCK_HEADER = /^\s*(resource|data)\s+"([^"]+)"\s+"([^"]+)"/;

function commentText(line: string): string | undefined {
  const t = line.trim();
  if (t.startsWith("#")) return t.slice(1);
  if (t.startsWith("//")) return t.slice(2);
  return undefined;
}

const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * Finds every ignore directive in full-line comments. A directive is attached to the
 * resource/data block whose header follows the run of comment lines it is in (no blank
 * line in between). It counts only with a reason (text that is not a directive) and an
 * unexpired, well-formed `:exp:YYYY-MM-DD`.
 */
export function parseIgnores(files: SourceFile[], today: Date): IgnoreDirective[] {
  const out: IgnoreDirective[] = [];
  const day = isoDay(today);
  for (const file of files) {
    const lines = file.text.split(/\r?\n/);
    let pending: IgnoreDirective[] = [];
    lines.forEach((line, idx) => {
      const comment = commentText(line);
      if (comment === undefined) {
        const header = BLOCK_HEADER.exec(line);
        if (header) {
          const address = header[1] === "resource" ? `${header[2]}.${header[3]}` : `data.${header[2]}.${header[3]}`;
          for (const d of pending) d.address = address;
        }
        pending = [];
        return;
      }
      const tokens = comment.trim().split(/\s+/).filter(Boolean);
      const directives = tokens.filter((t) => DIRECTIVE.test(t));
      if (directives.length === 0) return;
      const reason = tokens
        .filter((t) => !DIRECTIVE.test(t))
        .join(" ")
        .replace(/^[-:–—\s]+/, "")
        .trim();
      for (const token of directives) {
        const body = DIRECTIVE.exec(token)![1]!.replace(/\[[^\]]*\]/g, "");
        const [id = "", ...rest] = body.split(":");
        const d: IgnoreDirective = { id, reason, file: file.name, line: idx + 1, raw: line.trim() };
        for (let i = 0; i + 1 < rest.length; i += 2) {
          if (rest[i] === "exp") d.expires = rest[i + 1];
        }
        if (!/[A-Za-z0-9]/.test(reason)) d.problem = "no reason";
        else if (rest.includes("exp") && (!d.expires || !/^\d{4}-\d{2}-\d{2}$/.test(d.expires) || isNaN(Date.parse(d.expires)))) {
          d.problem = `bad expiry date "${d.expires ?? ""}"`;
        } else if (d.expires && d.expires < day) d.problem = `expired on ${d.expires}`;
        out.push(d);
        pending.push(d);
      }
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Model accessors shared by the rules
// ---------------------------------------------------------------------------------------

/** All managed resources of a type, in name order. */
export function resourcesOf(model: Model, type: string): Block[] {
  return Object.values(model.resources[type] ?? {}).sort((a, b) => a.name.localeCompare(b.name));
}

/** All data sources of a type, in name order. */
export function dataOf(model: Model, type: string): Block[] {
  return Object.values(model.data[type] ?? {}).sort((a, b) => a.name.localeCompare(b.name));
}

/** Every block (resources then data sources). */
export function allBlocks(model: Model): Block[] {
  return [
    ...Object.keys(model.resources).sort().flatMap((t) => resourcesOf(model, t)),
    ...Object.keys(model.data).sort().flatMap((t) => dataOf(model, t)),
  ];
}

/** True when a type ("aws_s3_bucket" or "data.aws_iam_policy_document") is present. */
export function hasType(model: Model, type: string): boolean {
  if (type.startsWith("data.")) return Object.keys(model.data[type.slice(5)] ?? {}).length > 0;
  return Object.keys(model.resources[type] ?? {}).length > 0;
}

/** Looks up a block by address ("aws_s3_bucket.lake" / "data.aws_kms_key.x"). */
export function blockAt(model: Model, address: string): Block | undefined {
  const parts = address.split(".");
  if (parts[0] === "data") return model.data[parts[1] ?? ""]?.[parts[2] ?? ""];
  return model.resources[parts[0] ?? ""]?.[parts[1] ?? ""];
}
