import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";

/** All resources of a module folder, parsed back from HCL: `type.name` → attributes. */
export async function parseModule(dir: string): Promise<{ resources: Map<string, Record<string, any>>; raw: Record<string, any>[] }> {
  const resources = new Map<string, Record<string, any>>();
  const raw: Record<string, any>[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".tf")).sort()) {
    const json = (await parse(f, readFileSync(join(dir, f), "utf8"))) as Record<string, any>;
    raw.push(json);
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      for (const [name, blocks] of Object.entries(byName as Record<string, any[]>)) resources.set(`${type}.${name}`, blocks[0]);
    }
  }
  return { resources, raw };
}

/** Resources of one type. */
export function ofType(resources: Map<string, Record<string, any>>, type: string): Array<[string, Record<string, any>]> {
  return [...resources].filter(([k]) => k.startsWith(`${type}.`));
}
