import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { pointerOf } from "../diagnostics/diagnostic.ts";
import type { SourceDoc } from "../load/source-doc.ts";
import { locate } from "../load/source-doc.ts";
import { CATEGORIES } from "../model/types.ts";
import { LIMITS, maxPhysicalLength } from "../naming/names.ts";
import { didYouMean } from "../diagnostics/suggest.ts";
import type { PipelineModel } from "../model/types.ts";
import type { PipelineGraph } from "../graph/graph.ts";
import type { RecordType } from "../expr/index.ts";
import { TTL_ATTRIBUTE } from "../kinds/sinks/dynamodb/kind.ts";

/** Sources that run a function of their own and write what they produce `into` a kinesis source, emitting nothing themselves. */
const WRITES_INTO = ["generator", "http_ingest"];

/** Ids that would collide with the module's own files or resources. */
export const RESERVED_IDS = ["access_logs", "alarms", "artifacts", "dashboard", "glue", "kms", "main", "orchestration", "outputs", "providers", "query_results", "this", "variables", "versions"];

/**
 * Checks that need the whole document: id reuse, reserved ids, name limits, environment
 * references, and `tests:` (whose field checks use the record types of `built`, the graph the
 * compile built; without one, when the graph has errors, field checks are skipped).
 */
export function checkSemantics(doc: SourceDoc, built?: { model: PipelineModel; graph: PipelineGraph }): Diagnostic[] {
  const spec = doc.value as Record<string, any>;
  const out: Diagnostic[] = [];
  const at = (segments: Array<string | number>, code: Diagnostic["code"], message: string, hint: string, prefer: "key" | "value" = "key") => {
    const pointer = pointerOf(segments);
    const span = locate(doc, pointer, prefer);
    out.push({ code, severity: "error", message, file: doc.file, pointer, ...(span ? { span } : {}), hint });
  };
  const firstSection = new Map<string, string>();
  for (const cat of CATEGORIES) {
    for (const id of Object.keys(spec[cat] ?? {})) {
      const prev = firstSection.get(id);
      if (prev) {
        const line = locate(doc, pointerOf([prev, id]), "key")?.line;
        at([cat, id], "PG3011", `component id \`${id}\` is already used in \`${prev}\`${line ? ` (line ${line})` : ""}; ids name the Terraform resources and files of a component and must be unique across sections`, "rename one of them, and update the `inputs` that refer to it");
      } else firstSection.set(id, cat);
      if (RESERVED_IDS.includes(id)) at([cat, id], "PG3008", `component id \`${id}\` is reserved: the module already has files or resources of that name (\`${id}.tf\`, \`aws_*.${id}\`)`, `choose another id; reserved: ${RESERVED_IDS.join(", ")}`);
      const hasFunction = cat !== "sources" || WRITES_INTO.includes(spec[cat][id]?.type);
      const len = maxPhysicalLength(String(spec.pipeline), id);
      if (hasFunction && len > LIMITS.lambdaFunction) {
        at([cat, id], "PG3009", `function and role names for \`${id}\` can reach ${len} characters (\`${spec.pipeline}-<environment>-${id.replace(/_/g, "-")}\`, environment up to 10), over the Lambda and IAM limit of ${LIMITS.lambdaFunction}; creating them would fail at apply time`, `shorten the component id or the pipeline name by at least ${len - LIMITS.lambdaFunction} characters`);
      }
    }
  }
  const kinesis = Object.entries(spec.sources ?? {}).filter(([, v]) => (v as any)?.type === "kinesis").map(([k]) => k);
  for (const [env, overlay] of Object.entries((spec.environments ?? {}) as Record<string, any>)) {
    for (const key of ["capacity", "retention_hours"]) {
      for (const id of Object.keys(overlay?.[key] ?? {})) {
        if (!kinesis.includes(id)) at(["environments", env, key, id], "PG3012", `\`${key}\` of environment \`${env}\` names \`${id}\`, which is not a kinesis source, so the setting would apply to nothing`, didYouMean(id, kinesis, "kinesis sources"));
      }
    }
  }
  if (spec.tests && typeof spec.tests === "object") checkTests(spec, at, built);
  return out;
}

type At = (segments: Array<string | number>, code: Diagnostic["code"], message: string, hint: string, prefer?: "key" | "value") => void;
type Node = { id: string; category: string; type: string; inputs: string[]; from?: string };

/**
 * `tests:` cases: `at` and `expect.at` name components, records can flow from one to the other,
 * the expectation fits the component, and record fields exist in the record type at that point.
 */
function checkTests(spec: Record<string, any>, at: At, built: { model: PipelineModel; graph: PipelineGraph } | undefined): void {
  const nodes = new Map<string, Node>();
  for (const cat of CATEGORIES) {
    for (const [id, c] of Object.entries((spec[cat] ?? {}) as Record<string, any>)) {
      if (nodes.has(id)) continue;
      nodes.set(id, { id, category: cat, type: String(c?.type), inputs: Array.isArray(c?.inputs) ? c.inputs.map(String) : [], ...(typeof c?.from === "string" ? { from: c.from } : {}) });
    }
  }
  const insertable = [...nodes.values()].filter((n) => n.category !== "serve" && !WRITES_INTO.includes(n.type)).map((n) => n.id);
  // What flows downstream of a component: consumers along `inputs`, and APIs serving a reached table.
  const downstream = (id: string): string[] => {
    const seen = new Set<string>([id]);
    const queue = [id];
    while (queue.length) {
      const cur = queue.shift()!;
      for (const n of nodes.values()) {
        if (!seen.has(n.id) && (n.inputs.includes(cur) || n.from === cur)) {
          seen.add(n.id);
          queue.push(n.id);
        }
      }
    }
    const from = nodes.get(id);
    // A kinesis source emits exactly what is inserted; there is nothing to run up to itself.
    if (from?.category === "sources") seen.delete(id);
    return [...seen].sort();
  };
  const types = built ? recordTypes(built.model, built.graph) : undefined;
  const tests = Object.entries(spec.tests as Record<string, any>);
  for (const [name, t] of tests) {
    const base = ["tests", name];
    const from = nodes.get(t.at);
    if (!from) {
      at([...base, "at"], "PG3001", `unknown component id \`${t.at}\` in \`at\` of test \`${name}\`: no component has this id`, didYouMean(String(t.at), insertable, "components records can be inserted at"), "value");
    } else if (WRITES_INTO.includes(from.type)) {
      const into = spec.sources?.[from.id]?.into;
      at([...base, "at"], "PG3003", `test \`${name}\` inserts records at ${from.type} \`${from.id}\`, which has no input: it only writes ${from.type === "generator" ? "simulated records" : "the records it receives over HTTP"} into a stream`, `insert the records at the kinesis source it writes into${typeof into === "string" ? `: \`at: ${into}\`` : ""}`, "value");
    } else if (from.category === "serve") {
      at([...base, "at"], "PG3003", `test \`${name}\` inserts records at API \`${from.id}\`, which reads stored records and takes none`, `insert the records at the table it serves${from.from ? `: \`at: ${from.from}\`` : ""} (or upstream of it) and name the API in \`expect.at\``, "value");
    }
    const e = (t.expect ?? {}) as Record<string, any>;
    const to = nodes.get(e.at);
    const reachable = from ? downstream(from.id) : [];
    if (!to) {
      at([...base, "expect", "at"], "PG3001", `unknown component id \`${e.at}\` in \`expect.at\` of test \`${name}\`: no component has this id`, didYouMean(String(e.at), reachable.length ? reachable : [...nodes.keys()], reachable.length ? `components downstream of \`${from!.id}\`` : "component ids"), "value");
    } else if (from && !WRITES_INTO.includes(from.type) && from.category !== "serve" && !reachable.includes(to.id)) {
      at([...base, "expect", "at"], "PG3003", `\`expect.at: ${to.id}\` of test \`${name}\` is not downstream of \`at: ${from.id}\`, so no inserted record can reach it`, reachable.length ? `components downstream of \`${from.id}\`: ${reachable.join(", ")}` : `nothing consumes \`${from.id}\``, "value");
    }
    if (to) {
      const hasRecords = e.records !== undefined || e.count !== undefined;
      if (to.category === "serve") {
        if (e.requests === undefined) at([...base, "expect"], "PG2002", `\`expect\` of test \`${name}\` names API \`${to.id}\` but has no \`requests\``, "list the requests and their answers: `requests: [{ request: GET /path, body: {...} }]`");
        for (const k of ["records", "count", "match"]) if (e[k] !== undefined) at([...base, "expect", k], "PG2008", `\`expect.${k}\` does not apply to API \`${to.id}\`: an API answers requests`, "put the expected answer in `requests[].body` (with `requests[].match`)");
      } else {
        if (e.requests !== undefined) at([...base, "expect", "requests"], "PG2008", `\`expect.requests\` only applies to an API, but \`${to.id}\` is a ${to.type} ${to.category === "sinks" ? "sink" : to.category === "transforms" ? "transform" : "source"}`, "expect `records` or `count` here, or name an API in `expect.at`");
        else if (!hasRecords) at([...base, "expect"], "PG2002", `\`expect\` of test \`${name}\` needs \`records\` or \`count\``, "list the records expected at the component, or how many");
      }
    }
    if (!types) continue;
    const entering = from && !WRITES_INTO.includes(from.type) && from.category !== "serve" ? types.entering.get(from.id) : undefined;
    if (entering) {
      const where = `the records entering \`${from!.id}\``;
      checkFields([...base, "records"], t.records, entering, where, at);
      for (const k of ["dropped", "failed"]) if (Array.isArray(t[k])) checkFields([...base, k], t[k], entering, where, at);
    }
    const leaving = to && to.category !== "serve" ? types.leaving.get(to.id) : undefined;
    if (leaving && Array.isArray(e.records)) checkFields([...base, "expect", "records"], e.records, leaving, `the records ${to!.category === "sinks" ? "stored by" : "leaving"} \`${to!.id}\``, at);
  }
}

function checkFields(base: Array<string | number>, records: unknown, known: RecordType, where: string, at: At): void {
  if (!Array.isArray(records)) return;
  records.forEach((r, i) => {
    if (typeof r !== "object" || r === null) return;
    for (const f of Object.keys(r)) {
      if (!(f in known)) at([...base, i, f], "PG3005", `field \`${f}\` is not in ${where}`, didYouMean(f, Object.keys(known), "fields"));
    }
  });
}

/** Record types entering and leaving each component, from the graph a build runs. */
function recordTypes(model: PipelineModel, graph: PipelineGraph): { entering: Map<string, RecordType>; leaving: Map<string, RecordType> } {
  const entering = new Map<string, RecordType>();
  const leaving = new Map<string, RecordType>();
  for (const c of model.components) {
    const input = c.type === "kinesis" ? model.record : c.inputs[0] !== undefined ? graph.outputType.get(c.inputs[0]) : undefined;
    if (input) entering.set(c.id, input);
    if (c.category === "transforms") {
      const out = graph.outputType.get(c.id);
      if (out) leaving.set(c.id, out);
    } else if (c.category === "sinks" && input) {
      leaving.set(c.id, c.type === "dynamodb" && c.config.ttl_days ? { ...input, [TTL_ATTRIBUTE]: "number" } : input);
    }
  }
  return { entering, leaving };
}

