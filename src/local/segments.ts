/**
 * The span of the graph a test case runs: from the component records are inserted at to the one
 * whose output is compared. When the span is a deployed function (its kinesis source to one of its
 * sinks) that function's own bundle runs. Otherwise pipegen generates a handler for just the span
 * with the same handler generator, kinds and runtime as the deployed ones, bundled by the same
 * esbuild setup; when the span ends at a transform its last sink is a capture sink that hands the
 * records to the test runner instead of writing them anywhere.
 */
import type { Component } from "../model/types.ts";
import type { HandlerPart } from "../kinds/kind.ts";
import { kindOf } from "../kinds/index.ts";
import { windowSeconds as windowLength } from "../kinds/transforms/aggregate/kind.ts";
import type { FunctionUnit } from "../plan/functions.ts";
import { handlerSource } from "../plan/handlers.ts";
import { header } from "../plan/module.ts";
import type { CompiledPipeline } from "./compiled.ts";

/** Global function the capture sink calls with (component id, sink items). */
export const CAPTURE_GLOBAL = "__pipegenCapture";

/** How one case's records travel. */
export interface Segment {
  from: Component;
  /** The last component that runs: `expect.at`, or the table an API in `expect.at` serves. */
  to: Component;
  /** Components that run, in order (the source itself is not one). */
  path: Component[];
  /** The handler type: tumbling-window aggregate or plain stream consumer. */
  kind: "window" | "stream";
  /** Window length when kind is window. */
  windowSeconds?: number;
  /** The deployed function when the span is one, else the generated span unit. */
  unit: FunctionUnit;
  deployed: boolean;
  /** Generated source of a span handler (absent for deployed functions). */
  source?: string;
  /** Where the output is read: the capture sink, or a real sink writing to the fake. */
  end: "capture" | "sink";
}

/** Components from `from` down to `to` (exclusive of a kinesis source), or undefined when `to` is not downstream. */
export function pathBetween(from: Component, to: Component, cp: CompiledPipeline): Component[] | undefined {
  const path: Component[] = [];
  let cur: Component | undefined = to;
  while (cur && cur.id !== from.id) {
    path.unshift(cur);
    const up: string | undefined = cur.inputs[0];
    cur = up === undefined ? undefined : cp.model.byId.get(up);
  }
  if (!cur) return undefined;
  if (from.category !== "sources") path.unshift(from);
  return path;
}

/** The table an API reads, for `expect.at: <api>`. */
export function servedTable(c: Component, cp: CompiledPipeline): Component | undefined {
  return c.category === "serve" ? cp.model.byId.get(String(c.config.from)) : undefined;
}

/** Plans the span of one case; `n` makes generated function ids unique within a file. */
export function planSegment(fromId: string, toId: string, cp: CompiledPipeline, n: number): Segment {
  const from = cp.model.byId.get(fromId)!;
  const expected = cp.model.byId.get(toId)!;
  const to = servedTable(expected, cp) ?? expected;
  const path = pathBetween(from, to, cp);
  if (!path) throw new Error(`\`${toId}\` is not downstream of \`${fromId}\``);
  const aggregate = path.find((c) => c.type === "aggregate");
  const kind = aggregate ? "window" : "stream";
  const windowSeconds = aggregate ? windowLength(String(aggregate.config.window)) : undefined;
  const base = { from, to, path, kind, ...(windowSeconds ? { windowSeconds } : {}) } as const;
  if (from.type === "kinesis" && to.category === "sinks") {
    const unit = cp.units.find((u) => u.source?.id === from.id && u.sinks.some((s) => s.id === to.id));
    if (unit) return { ...base, unit, deployed: true, end: "sink" };
  }
  const transforms = path.filter((c) => c.category === "transforms");
  const aggIndex = aggregate ? transforms.indexOf(aggregate) : -1;
  const sink = to.category === "sinks" ? to : undefined;
  const unit: FunctionUnit = {
    id: `span_${n}`,
    owner: to,
    trigger: "stream",
    ...(from.type === "kinesis" ? { source: from } : {}),
    steps: aggIndex >= 0 ? transforms.slice(0, aggIndex) : transforms,
    ...(aggregate ? { aggregate } : {}),
    after: aggIndex >= 0 ? transforms.slice(aggIndex + 1) : [],
    sinks: sink ? [sink] : [],
    lambda: to.lambda,
    summary: `test span ${[from, ...path.filter((c) => c !== from)].map((c) => c.id).join(" → ")}`,
  };
  const step = (c: Component) => kindOf(c).step!(c, cp.ctx);
  const parts = {
    steps: unit.steps.map(step),
    after: unit.after.map(step),
    sinks: sink ? [kindOf(sink).sink!(sink, cp.ctx)] : [capturePart(to.id)],
  };
  const source = handlerSource(unit, parts, cp.ctx, header(cp.file, "//"));
  return { ...base, unit, deployed: false, source, end: sink ? "sink" : "capture" };
}

/** A sink that hands its items to the test runner (records and the sequence numbers they came from). */
function capturePart(id: string): HandlerPart {
  const fn = `(globalThis as unknown as Record<string, (id: string, items: unknown[]) => void>)[${JSON.stringify(CAPTURE_GLOBAL)}]!`;
  return { imports: [], expr: `{ name: ${JSON.stringify(id)}, write: async (items: unknown[]) => { ${fn}(${JSON.stringify(id)}, items); return { failed: [] }; } }` };
}
