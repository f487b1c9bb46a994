import type { FunctionUnit } from "./functions.ts";
import type { HandlerPart } from "../kinds/kind.ts";
import type { PlanContext } from "./context.ts";
import type { RouteCfg } from "../kinds/serve/http_api/kind.ts";
import { EXPRESSION_RUNTIME_TS } from "../expr/index.ts";
import { parseAggregate } from "../expr/index.ts";
import { tableEnv } from "../kinds/sinks/dynamodb/kind.ts";

/** The module pipegen's handler runtime is imported from; esbuild resolves it to src/runtime when bundling. */
export const RUNTIME_MODULE = "pipegen/runtime";

/** TypeScript source of one function's handler: config and compiled transforms, calling the shared runtime. */
export function handlerSource(u: FunctionUnit, parts: { steps: HandlerPart[]; after: HandlerPart[]; sinks: HandlerPart[] }, ctx: PlanContext, header: string): string {
  const runtimeImports = new Set<string>();
  const userImports: string[] = [];
  const collect = (p: HandlerPart) => {
    for (const imp of p.imports) (imp.startsWith("import ") ? userImports.push(imp) : runtimeImports.add(imp));
  };
  [...parts.steps, ...parts.after, ...parts.sinks].forEach(collect);
  const body: string[] = [];
  const list = (ps: HandlerPart[]) => (ps.length ? `[\n${ps.map((p) => indent(p.expr, 4) + ",").join("\n")}\n  ]` : "[]");
  const contract = JSON.stringify({ fields: u.source ? ctx.graph.outputType.get(u.source.id) : {} });
  if (u.consumer) {
    // A non-kinesis source brings the runtime handler for its events.
    runtimeImports.add(u.consumer.handler);
    body.push(`export const handler = ${u.consumer.handler}({`, `  contract: ${contract},`, `  options: ${JSON.stringify(u.consumer.options ?? {})},`, `  steps: ${list(parts.steps)},`, `  sinks: ${list(parts.sinks)},`, `});`);
  } else if (u.own) {
    u.own.handler.imports.forEach((i) => runtimeImports.add(i));
    body.push(u.own.handler.body);
  } else if (u.owner.type === "generator") {
    runtimeImports.add("generatorHandler");
    const cfg = {
      streamEnv: "PIPEGEN_STREAM",
      recordsPerRun: (u.owner.config.records_per_run as number | undefined) ?? 10,
      partitionKeyField: partitionField(u, ctx),
      fields: normalizeGenerators(u.owner.config.fields as Record<string, unknown>),
    };
    body.push(`export const handler = generatorHandler(${JSON.stringify(cfg, null, 2)});`);
  } else if (u.owner.category === "serve") {
    runtimeImports.add("httpApiHandler");
    const from = String(u.owner.config.from);
    const key = (ctx.model.byId.get(from)!.config.key as { partition: string }).partition;
    const cfg = {
      tableEnv: tableEnv(from),
      partitionKey: key,
      routes: (u.owner.config.routes as RouteCfg[]).map((r) => {
        const [method, path] = r.route.split(" ") as [string, string];
        return { method, path, average: r.average, ...(r.weighted_by ? { weight: r.weighted_by } : {}), filters: r.filters ?? [] };
      }),
    };
    body.push(`export const handler = httpApiHandler(${JSON.stringify(cfg, null, 2)});`);
  } else if (u.aggregate) {
    runtimeImports.add("windowedAggregateHandler");
    const input = ctx.graph.outputType.get(u.aggregate.inputs[0]!)!;
    const measures = Object.entries(u.aggregate.config.compute as Record<string, string>)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, src]) => {
        const p = parseAggregate(src, input);
        return { name, fn: p.fn!, ...(p.field ? { field: p.field } : {}) };
      });
    body.push(
      `export const handler = windowedAggregateHandler({`,
      `  contract: ${contract},`,
      `  steps: ${list(parts.steps)},`,
      `  groupBy: ${JSON.stringify((u.aggregate.config.group_by as string[] | undefined) ?? [])},`,
      `  measures: ${JSON.stringify(measures)},`,
      `  after: ${list(parts.after)},`,
      `  sinks: ${list(parts.sinks)},`,
      `});`,
    );
  } else {
    runtimeImports.add("streamHandler");
    body.push(`export const handler = streamHandler({`, `  contract: ${contract},`, `  steps: ${list(parts.steps)},`, `  sinks: ${list(parts.sinks)},`, `});`);
  }
  const usesExpr = [...parts.steps, ...parts.after].some((p) => /\bpg[A-Z]\w*\(/.test(p.expr));
  const needsRec = [...parts.steps, ...parts.after].some((p) => p.expr.includes("Rec"));
  const lines = [
    header,
    `// Function ${u.id}: ${u.summary}.`,
    `import { ${[...runtimeImports].sort().join(", ")} } from "${RUNTIME_MODULE}";`,
    ...(needsRec ? [`import type { Rec } from "${RUNTIME_MODULE}";`] : []),
    ...userImports.sort(),
    "",
    ...(usesExpr ? [EXPRESSION_RUNTIME_TS.trim(), ""] : []),
    ...body,
  ];
  return lines.join("\n") + "\n";
}

function partitionField(u: FunctionUnit, ctx: PlanContext): string {
  const fields = Object.keys(ctx.model.record);
  const consumers = [...ctx.model.components].filter((c) => c.type === "aggregate");
  const groupBy = consumers.flatMap((c) => (c.config.group_by as string[] | undefined) ?? []);
  // Partition by the first group-by key so one group's records stay ordered on one shard.
  return groupBy.find((f) => fields.includes(f)) ?? fields.find((f) => ctx.model.record[f] === "string") ?? fields[0]!;
}

function normalizeGenerators(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(fields).sort()) {
    const g = fields[k];
    out[k] = g === "now" ? { now: true } : g;
  }
  return out;
}

function indent(s: string, n: number): string {
  return s
    .split("\n")
    .map((l) => " ".repeat(n) + l)
    .join("\n");
}
