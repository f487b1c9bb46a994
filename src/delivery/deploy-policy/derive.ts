import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ArnContext, Conditions, Grant } from "./resource-actions.ts";
import { PLACEHOLDERS, RESOURCE_ACTIONS, isReadAction } from "./resource-actions.ts";

/** One IAM statement, as data: everything sorted so the JSON is deterministic. */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  Condition?: Conditions;
}

/** An IAM policy document (what deploy-policy.json holds). */
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** What one generated root module manages, read from its .tf files. */
export interface ManagedModule {
  pipeline: string;
  /** Folder relative to the scanned root's parent, e.g. "generated/temperature". */
  dir: string;
  /** Resource types, data sources as `data.<type>`, sorted. */
  types: string[];
  /** Regions the module deploys to (variable default and environment tfvars), sorted. */
  regions: string[];
  /** Environment names (environments/<env>.tfvars), sorted. */
  environments: string[];
}

/** A generated module that the deploy policy cannot cover; the message says what to do. */
export class DeployPolicyError extends Error {
  override readonly name = "DeployPolicyError";
}

type Json = Record<string, unknown>;

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const uniqSorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort(byCodePoint);
const first = (v: unknown): Json | undefined => (Array.isArray(v) ? (v[0] as Json | undefined) : (v as Json | undefined));

/**
 * Parses every module under `root` (each folder holding .tf files, e.g. generated/<pipeline>/) with
 * @cdktf/hcl2json, loaded lazily because its WASM build is heavy. Checks what the policy relies on:
 * `local.name_prefix` is `<pipeline>-${var.environment}` and every named resource starts with it.
 */
export async function scanGenerated(root: string, label = "generated"): Promise<ManagedModule[]> {
  if (!existsSync(root)) throw new DeployPolicyError(`${label}/ does not exist; run \`npx pipegen build\` first`);
  const { parse } = await import("@cdktf/hcl2json");
  const out: ManagedModule[] = [];
  const dirs = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("."))
    .map((d) => d.name)
    .sort(byCodePoint);
  for (const name of dirs) {
    const dir = join(root, name);
    const tfFiles = readdirSync(dir).filter((f) => f.endsWith(".tf")).sort(byCodePoint);
    if (!tfFiles.length) continue;
    const rel = `${label}/${name}`;
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new DeployPolicyError(`${rel}: folder name is not a pipeline name`);
    const types = new Set<string>();
    const regions = new Set<string>();
    let namePrefix: unknown;
    let tagsLocal: unknown;
    let defaultTags: unknown;
    const named: Array<{ address: string; type: string; value: unknown; file: string }> = [];
    for (const f of tfFiles) {
      const json = (await parse(f, readFileSync(join(dir, f), "utf8"))) as Json;
      for (const [type, byName] of Object.entries((json.resource ?? {}) as Record<string, Json>)) {
        types.add(type);
        const rule = RESOURCE_ACTIONS[type]?.name;
        if (!rule) continue;
        for (const [n, body] of Object.entries(byName)) named.push({ address: `${type}.${n}`, type, value: first(body)?.[rule.attribute], file: f });
      }
      for (const type of Object.keys((json.data ?? {}) as Json)) types.add(`data.${type}`);
      for (const locals of (json.locals ?? []) as Json[]) {
        if ("name_prefix" in locals) namePrefix = locals.name_prefix;
        if ("tags" in locals) tagsLocal = locals.tags;
      }
      for (const p of ((json.provider as Json | undefined)?.aws ?? []) as Json[]) if (!p.alias) defaultTags = first(p.default_tags)?.tags;
      const region = first((json.variable as Json | undefined)?.region)?.default;
      if (typeof region === "string") regions.add(region);
    }
    const unknown = [...types].filter((t) => !RESOURCE_ACTIONS[t]).sort(byCodePoint);
    if (unknown.length) {
      throw new DeployPolicyError(
        `${rel} manages ${unknown.join(", ")}, which ${unknown.length === 1 ? "has" : "have"} no entry in RESOURCE_ACTIONS ` +
          "(src/delivery/deploy-policy/resource-actions.ts): add the IAM actions the AWS provider calls to create, read, update and delete " +
          `${unknown.length === 1 ? "it" : "them"}, scoped to the pipeline's name prefix, before the deploy role can manage this module`,
      );
    }
    if (named.length && namePrefix !== `${name}-\${var.environment}`) {
      throw new DeployPolicyError(`${rel}: expected local.name_prefix = "${name}-\${var.environment}", found ${JSON.stringify(namePrefix)}; the deploy policy scopes resources by that prefix`);
    }
    for (const r of named) {
      const rule = RESOURCE_ACTIONS[r.type]!.name!;
      const starts = rule.startsWith.map((s) => s.replace("{prefix}", "${local.name_prefix}"));
      if (typeof r.value !== "string" || !starts.some((s) => (r.value as string).startsWith(s))) {
        throw new DeployPolicyError(
          `${rel}/${r.file}: ${r.address}.${rule.attribute} = ${JSON.stringify(r.value)} does not start with ${starts.map((s) => `"${s}"`).join(" or ")}; ` +
            "the deploy policy only covers names under the pipeline prefix",
        );
      }
    }
    // Keys have no names: the policy scopes them by the pipegen:pipeline tag the provider's default_tags put on them.
    const tagged = defaultTags === "${local.tags}" && typeof tagsLocal === "string" && tagsLocal.startsWith("${merge(var.tags, {") && new RegExp(`"pipegen:pipeline"\\s*=\\s*"${name}"\\s*\\n`).test(tagsLocal);
    if (types.has("aws_kms_key") && !tagged) {
      throw new DeployPolicyError(`${rel}: the aws provider's default_tags must set "pipegen:pipeline" = "${name}" (after var.tags); the deploy policy scopes KMS keys by that tag`);
    }
    const envDir = join(dir, "environments");
    const environments: string[] = [];
    if (existsSync(envDir)) {
      for (const f of readdirSync(envDir).filter((x) => x.endsWith(".tfvars")).sort(byCodePoint)) {
        environments.push(f.slice(0, -".tfvars".length));
        const vars = (await parse(f, readFileSync(join(envDir, f), "utf8"))) as Json;
        if (typeof vars.region === "string") regions.add(vars.region);
      }
    }
    if (!regions.size) throw new DeployPolicyError(`${rel}: no default for variable "region"; cannot scope ARNs to a region`);
    out.push({ pipeline: name, dir: rel, types: uniqSorted(types), regions: uniqSorted(regions), environments });
  }
  if (!out.length) throw new DeployPolicyError(`${label}/ holds no generated module; run \`npx pipegen build\` first`);
  return out;
}

/** Every (pipeline, region) context of the modules, with the symbolic partition and account. */
function contexts(m: ManagedModule): ArnContext[] {
  return m.regions.map((region) => ({ ...PLACEHOLDERS, region, pipeline: m.pipeline }));
}

function grantsOf(type: string): Grant[] {
  const e = RESOURCE_ACTIONS[type]!;
  return [{ sid: e.sid, actions: e.actions, arn: e.arn, ...(e.condition ? { condition: e.condition } : {}) }, ...(e.also ?? [])];
}

interface Acc {
  actions: Set<string>;
  resources: Set<string>;
  conditions: Map<string, Map<string, Set<string>>>;
  conditional: boolean;
}

function build(modules: ManagedModule[], keep: (action: string) => boolean): PolicyDocument {
  const acc = new Map<string, Acc>();
  for (const m of modules) {
    for (const type of m.types) {
      for (const g of grantsOf(type)) {
        const actions = g.actions.filter(keep);
        if (!actions.length) continue;
        let a = acc.get(g.sid);
        if (!a) acc.set(g.sid, (a = { actions: new Set(), resources: new Set(), conditions: new Map(), conditional: Boolean(g.condition) }));
        if (a.conditional !== Boolean(g.condition)) throw new Error(`RESOURCE_ACTIONS: statement ${g.sid} mixes conditional and unconditional grants`);
        for (const ctx of contexts(m)) {
          actions.forEach((x) => a.actions.add(x));
          g.arn(ctx).forEach((r) => a.resources.add(r));
          for (const [op, byKey] of Object.entries(g.condition?.(ctx) ?? {})) {
            const o = a.conditions.get(op) ?? new Map<string, Set<string>>();
            a.conditions.set(op, o);
            for (const [key, values] of Object.entries(byKey)) {
              const s = o.get(key) ?? new Set<string>();
              o.set(key, s);
              values.forEach((v) => s.add(v));
            }
          }
        }
      }
    }
  }
  const Statement: PolicyStatement[] = [...acc.keys()].sort(byCodePoint).map((sid) => {
    const a = acc.get(sid)!;
    const resources = uniqSorted(a.resources);
    const st: PolicyStatement = { Sid: sid, Effect: "Allow", Action: uniqSorted(a.actions), Resource: resources.includes("*") ? ["*"] : resources };
    if (a.conditions.size) {
      st.Condition = Object.fromEntries(
        [...a.conditions.keys()].sort(byCodePoint).map((op) => {
          const byKey = a.conditions.get(op)!;
          return [op, Object.fromEntries([...byKey.keys()].sort(byCodePoint).map((k) => [k, uniqSorted(byKey.get(k)!)]))];
        }),
      );
    }
    return st;
  });
  return { Version: "2012-10-17", Statement };
}

/** The apply role's policy: every action the managed types need, on their pipeline-scoped ARNs. */
export function deriveDeployPolicy(modules: ManagedModule[]): PolicyDocument {
  return build(modules, () => true);
}

/** The plan role's policy: the read (refresh) subset of the deploy policy, same scoping. */
export function deriveReadPolicy(modules: ManagedModule[]): PolicyDocument {
  return build(modules, isReadAction);
}

/** Every action of a document, sorted (for tests and summaries). */
export function policyActions(doc: PolicyDocument): string[] {
  return uniqSorted(doc.Statement.flatMap((s) => s.Action));
}

/** Longest values the placeholders can take, so size estimates hold in every partition. */
const WORST_CASE = { "${partition}": "aws-us-gov", "${account}": "123456789012" } as const;

/** Size IAM counts for a managed policy: the compact JSON Terraform's jsonencode produces, placeholders filled. */
export function policySize(doc: PolicyDocument): number {
  let text = JSON.stringify(doc);
  for (const [k, v] of Object.entries(WORST_CASE)) text = text.split(k).join(v);
  return text.replace(/\s/g, "").length;
}

/** IAM's limit on a customer-managed policy document, in characters without whitespace. */
export const MANAGED_POLICY_LIMIT = 6144;

/**
 * Splits a policy into documents under `limit` characters (statements kept whole when they fit,
 * in order; a statement too large on its own is split by actions into `Sid`, `Sid2`, …).
 */
export function splitPolicy(doc: PolicyDocument, limit = MANAGED_POLICY_LIMIT): PolicyDocument[] {
  const wrap = (Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });
  const pieces: PolicyStatement[] = [];
  for (const st of doc.Statement) {
    if (policySize(wrap([st])) <= limit) {
      pieces.push(st);
      continue;
    }
    let part: string[] = [];
    let n = 1;
    const flush = (): void => {
      pieces.push({ ...st, Sid: n === 1 ? st.Sid : `${st.Sid}${n}`, Action: part });
      n++;
      part = [];
    };
    for (const action of st.Action) {
      if (part.length && policySize(wrap([{ ...st, Action: [...part, action] }])) > limit) flush();
      part.push(action);
    }
    if (policySize(wrap([{ ...st, Action: part }])) > limit) throw new DeployPolicyError(`statement ${st.Sid} does not fit in one managed policy even with a single action`);
    flush();
  }
  const docs: PolicyStatement[][] = [];
  for (const st of pieces) {
    const last = docs[docs.length - 1];
    if (last && policySize(wrap([...last, st])) <= limit) last.push(st);
    else docs.push([st]);
  }
  return docs.map(wrap);
}
