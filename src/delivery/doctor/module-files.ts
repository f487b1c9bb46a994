/**
 * What a generated root module declares, read from its files with a real HCL parser
 * (@cdktf/hcl2json, loaded lazily: its WASM start-up is only paid by `pipegen doctor`).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface ModuleRequirements {
  requiredVersion?: string;
  /** From `required_providers`: local name, source address (`hashicorp/aws`) and version constraint. */
  providers: { name: string; source: string; constraint?: string }[];
}

type Json = Record<string, unknown>;

/** `registry.terraform.io/hashicorp/aws` and `hashicorp/aws` name the same provider. */
const providerAddress = (source: string): string => source.toLowerCase().replace(/^registry\.terraform\.io\//, "");

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

async function parseHcl(file: string): Promise<Json> {
  const { parse } = await import("@cdktf/hcl2json");
  return (await parse(file, readFileSync(file, "utf8"))) as Json;
}

/** Pipelines with a built module: the folders of `generated/` that hold a versions.tf. */
export function builtPipelines(generatedDir: string): string[] {
  if (!existsSync(generatedDir)) return [];
  return readdirSync(generatedDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(generatedDir, d.name, "versions.tf")))
    .map((d) => d.name)
    .sort();
}

/** `required_version` and `required_providers` from the module's versions.tf. */
export async function readRequirements(moduleDir: string): Promise<ModuleRequirements> {
  const doc = await parseHcl(join(moduleDir, "versions.tf"));
  const out: ModuleRequirements = { providers: [] };
  for (const tf of list(doc.terraform).filter(isObject)) {
    if (typeof tf.required_version === "string") out.requiredVersion = tf.required_version;
    for (const block of list(tf.required_providers).filter(isObject)) {
      for (const [name, spec] of Object.entries(block)) {
        if (!isObject(spec)) continue;
        const source = providerAddress(typeof spec.source === "string" ? spec.source : `hashicorp/${name}`);
        out.providers.push({ name, source, ...(typeof spec.version === "string" ? { constraint: spec.version } : {}) });
      }
    }
  }
  return out;
}

/** Provider address (`hashicorp/aws`) → locked version, from `.terraform.lock.hcl`; undefined without a lock file. */
export async function readLockedProviders(moduleDir: string): Promise<Map<string, string> | undefined> {
  const file = join(moduleDir, ".terraform.lock.hcl");
  if (!existsSync(file)) return undefined;
  const doc = await parseHcl(file);
  const locked = new Map<string, string>();
  for (const [address, blocks] of Object.entries(isObject(doc.provider) ? doc.provider : {})) {
    const version = list(blocks).filter(isObject)[0]?.version;
    if (typeof version === "string") locked.set(providerAddress(address), version);
  }
  return locked;
}

/** The values of an environment's tfvars file. */
export async function readTfvars(file: string): Promise<Json> {
  return parseHcl(file);
}
