import type { Component } from "../model/types.ts";
import type { PipelineGraph } from "../graph/graph.ts";
import type { RecordType } from "../expr/index.ts";

const TS_TYPE = { string: "string", number: "number", boolean: "boolean", timestamp: "string" } as const;

function recordInterface(name: string, t: RecordType): string {
  const fields = Object.entries(t).map(([k, v]) => `  ${k}: ${TS_TYPE[v]};${v === "timestamp" ? " // ISO-8601" : ""}`);
  return `export interface ${name} {\n${fields.join("\n")}\n}`;
}

/** The typed starter file for a `function` transform, written once; the user owns it afterwards. */
export function userStub(c: Component, graph: PipelineGraph, specPath: string): string {
  const input = graph.outputType.get(c.inputs[0]!) ?? {};
  const output = graph.outputType.get(c.id) ?? input;
  return [
    `// User code for transform \`${c.id}\` of ${specPath}. pipegen created this file once and never overwrites it.`,
    "// Return the transformed record, null to drop it, or throw to report the record as failed:",
    "// failed records are retried and then parked in the function's dead-letter queue.",
    "",
    recordInterface("Input", input),
    "",
    recordInterface("Output", output),
    "",
    "export function transform(record: Record<string, unknown>): Output | null | Promise<Output | null> {",
    "  const r = record as unknown as Input;",
    "  return { ...r } as unknown as Output;",
    "}",
    "",
  ].join("\n");
}
