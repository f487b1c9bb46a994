import type { RecordType } from "../expr/index.ts";
import type { Component, PipelineModel } from "../model/types.ts";
import type { Flow, Kind, Report } from "../kinds/kind.ts";
import { producedFlow } from "../kinds/kind.ts";
import { kindOf } from "../kinds/index.ts";
import { didYouMean } from "../diagnostics/suggest.ts";
import { CATEGORY_NOUN } from "../diagnostics/diagnostic.ts";

/** The checked component graph: edges, a topological order and the record type leaving each component. */
export interface PipelineGraph {
  order: Component[];
  /** id → ids of the components that consume it. */
  consumers: ReadonlyMap<string, string[]>;
  outputType: ReadonlyMap<string, RecordType>;
  flow: ReadonlyMap<string, Flow>;
}

type ReportAt = (c: Component) => Report;

/** Checks ids, edges, cycles and record types across the whole pipeline, reporting every problem it finds. */
export function buildGraph(model: PipelineModel, reportAt: ReportAt): PipelineGraph | undefined {
  const ids = model.components.map((c) => c.id);
  const consumers = new Map<string, string[]>(ids.map((id) => [id, []]));
  let broken = false;
  for (const c of model.components) {
    c.inputs.forEach((input, i) => {
      const up = model.byId.get(input);
      if (!up) {
        broken = true;
        // Only sources and transforms emit records; suggesting a sink or an API here would lead nowhere.
        const producers = model.components.filter((x) => kindOf(x).produces && x.id !== c.id).map((x) => x.id);
        reportAt(c)(`/inputs/${i}`, "PG3001", `unknown component id \`${input}\` in \`inputs\` of ${CATEGORY_NOUN[c.category]} \`${c.id}\`: no source or transform has this id`, didYouMean(input, producers, "components that can be inputs"));
        return;
      }
      consumers.get(input)!.push(c.id);
    });
  }
  for (const list of consumers.values()) list.sort();
  const cycle = findCycle(model);
  if (cycle) {
    const first = model.byId.get(cycle[0]!)!;
    reportAt(first)("/inputs", "PG3002", `components form a cycle: ${[...cycle, cycle[0]].join(" → ")}; records would loop forever`, "remove one of the inputs so records flow in one direction");
    return undefined;
  }
  if (broken) return undefined;
  const order = topoOrder(model);
  const outputType = new Map<string, RecordType>();
  const flow = new Map<string, Flow>();
  for (const c of order) {
    const kind = kindOf(c);
    const report = reportAt(c);
    let input: RecordType | undefined;
    let inFlow: Flow | undefined;
    const upId = c.inputs[0];
    const from = typeof c.config.from === "string" ? c.config.from : undefined;
    // Serving components read what a sink stored: its input type.
    if (upId === undefined && from !== undefined) input = outputType.get(from);
    if (upId !== undefined) {
      const up = model.byId.get(upId)!;
      inFlow = flow.get(upId);
      input = outputType.get(upId);
      if (!kind.accepts.length || (inFlow && !kind.accepts.includes(inFlow)) || !kindOf(up).produces) {
        report("/inputs/0", "PG3003", edgeMessage(up, c, kind, inFlow), edgeHint(up, kind));
        input = undefined;
        // Nothing flows through a rejected edge, so components below it get no second report.
        inFlow = undefined;
      }
    }
    if (c.type === "aggregate" && input) {
      const src = streamSourceOf(c, model);
      if (src && kindOf(src).consumer) {
        report("/inputs/0", "PG3003", `aggregate \`${c.id}\` reads ${src.type} source \`${src.id}\`${src.id === upId ? "" : ` (through \`${upId}\`)`}, but tumbling windows exist only on Kinesis event source mappings: Lambda keeps no window state for ${src.type} events`, "aggregate records of a kinesis source instead, or store these records (e.g. in an s3 sink) and aggregate them there");
        input = undefined;
      }
    }
    const out = kind.check({ component: c, model, input, inputFlow: inFlow, report });
    if (out) outputType.set(c.id, out);
    const produced = producedFlow(kind, c, inFlow);
    if (produced) flow.set(c.id, produced);
  }
  for (const c of model.components) {
    const kind = kindOf(c);
    if (kind.produces && consumers.get(c.id)!.length === 0) {
      reportAt(c)("", "PG3004", `${CATEGORY_NOUN[c.category]} \`${c.id}\` is never used: no transform or sink lists it in \`inputs\`, so its records would go nowhere while its resources are still deployed and billed`, "add it to the `inputs` of a transform or sink, or remove it");
    }
  }
  return { order, consumers, outputType, flow };
}

function edgeMessage(up: Component, c: Component, kind: Kind, inFlow: Flow | undefined): string {
  const upKind = kindOf(up);
  const upName = `${CATEGORY_NOUN[up.category]} \`${up.id}\` (type ${up.type})`;
  if (up.type === "generator") return `${upName} cannot be an input: a generator writes into a kinesis source and emits nothing that other components read`;
  if (up.type === "http_ingest") return `${upName} cannot be an input: an http_ingest endpoint writes what it receives into a kinesis source and emits nothing that other components read`;
  if (!upKind.produces) return `${upName} cannot be an input: it stores or serves records and emits none that other components read`;
  if (!kind.accepts.length) return `${c.type} \`${c.id}\` takes no inputs`;
  return `${c.type} \`${c.id}\` cannot consume ${FLOW_NOUN[inFlow ?? "stream"]} from ${up.type} \`${up.id}\``;
}

const FLOW_NOUN: Record<Flow, string> = { stream: "a record stream", window: "windowed aggregates", files: "files (a batch dataset in S3)" };

function edgeHint(up: Component, kind: Kind): string {
  const own = kindOf(up).edgeHint?.(up, kind);
  if (own) return own;
  if (up.type === "generator" || up.type === "http_ingest") return `list the source it writes into instead: \`${String(up.config.into)}\``;
  if (kind.name === "aggregate") return "aggregate reads a record stream from a kinesis source (optionally through filter/map/function); aggregating aggregates is not supported";
  if (!kindOf(up).produces && up.inputs.length) return `list what feeds it instead: ${up.inputs.map((i) => `\`${i}\``).join(", ")}`;
  return `\`${kind.name}\` accepts: ${kind.accepts.join(", ") || "nothing"}`;
}

/** The source feeding c through stateless transforms (the stream its function reads), if any. */
function streamSourceOf(c: Component, model: PipelineModel): Component | undefined {
  let cur = model.byId.get(c.inputs[0] ?? "");
  while (cur && cur.category === "transforms" && cur.type !== "aggregate") cur = model.byId.get(cur.inputs[0] ?? "");
  return cur?.category === "sources" ? cur : undefined;
}

function findCycle(model: PipelineModel): string[] | undefined {
  const state = new Map<string, 0 | 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 1);
    stack.push(id);
    for (const up of model.byId.get(id)?.inputs ?? []) {
      if (!model.byId.has(up)) continue;
      if (state.get(up) === 1) return stack.slice(stack.indexOf(up)).reverse();
      if (!state.get(up)) {
        const found = visit(up);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 2);
    return undefined;
  };
  for (const c of model.components) {
    if (!state.get(c.id)) {
      const found = visit(c.id);
      if (found) return found;
    }
  }
  return undefined;
}

function topoOrder(model: PipelineModel): Component[] {
  const done = new Set<string>();
  const out: Component[] = [];
  const visit = (c: Component) => {
    if (done.has(c.id)) return;
    done.add(c.id);
    for (const up of c.inputs) visit(model.byId.get(up)!);
    const from = model.byId.get(String(c.config.from));
    if (from) visit(from);
    out.push(c);
  };
  for (const c of model.components) visit(c);
  return out;
}
