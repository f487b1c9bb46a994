import { KINDS } from "../kinds/index.ts";
import type { Kind } from "../kinds/kind.ts";

type Schema = Record<string, any>;

const SHARED: Record<string, string> = {
  "#/definitions/inputs": "list of component ids",
  "#/definitions/description": "string",
  "#/definitions/component_id": "component id",
  "#/definitions/field_name": "field name",
  "#/definitions/lambda": "mapping (function settings)",
};

function typeOf(s: Schema): string {
  if (s.$ref) return SHARED[s.$ref] ?? s.$ref;
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v: unknown) => `\`${JSON.stringify(v)}\``).join(" or ");
  if (s.oneOf) return s.oneOf.map(typeOf).join(" or ");
  if (s.type === "array") return `list of ${s.items ? typeOf(s.items) : "values"}`;
  if (s.type === "object") return "mapping";
  if (Array.isArray(s.type)) return s.type.join(" or ");
  return s.type ?? "any";
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The README of a kind, generated from its schema fragment (descriptions are the user docs). */
export function kindReadme(kind: Kind): string {
  const s = kind.schema as Schema;
  const required = new Set<string>(s.required ?? []);
  const rows = Object.entries((s.properties ?? {}) as Record<string, Schema>).map(([name, p]) => {
    const desc = p.description ?? (p.$ref === "#/definitions/inputs" ? "Upstream component ids whose records this component consumes." : p.$ref === "#/definitions/description" ? "Free text shown in the generated README." : p.$ref === "#/definitions/lambda" ? "Function settings: memory_mb, timeout_seconds, batch_size, batching_window_seconds, max_retries, max_record_age_seconds (defaults from `defaults.lambda`)." : "");
    const ex = p.examples?.[0] !== undefined ? `\`${JSON.stringify(p.examples[0])}\`` : "";
    return `| \`${name}\` | ${required.has(name) ? "yes" : "no"} | ${cell(typeOf(p))} | ${cell(desc)} | ${cell(ex)} |`;
  });
  return [
    `<!-- Generated from schema.json by \`npm run schema\`. Do not edit. -->`,
    `# ${kind.category.replace(/s$/, "")} \`${kind.name}\``,
    "",
    s.description ?? "",
    "",
    `Consumes: ${kind.accepts.length ? kind.accepts.join(", ") : "nothing (no \`inputs\`)"}. Emits: ${kind.produces === "same" ? "what it consumes" : typeof kind.produces === "function" ? "depends on its settings (see below)" : kind.produces ?? "nothing other components can read"}.`,
    "",
    "| key | required | type | description | example |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    "See `example.yaml` in this folder for the smallest pipeline using this kind.",
    "",
  ].join("\n");
}

/** Every kind's README path (relative to src/kinds) and content. */
export function kindReadmes(): Array<{ path: string; content: string }> {
  return KINDS.map((k) => ({ path: `${k.category}/${k.name}/README.md`, content: kindReadme(k) }));
}
