import type { RecordType } from "../expr/index.ts";
import type { Category, Component, PipelineModel } from "../model/types.ts";
import type { Code } from "../diagnostics/codes.ts";
import type { IamStatement, PlanContext } from "../plan/context.ts";

/** What flows along an edge: a record stream, or windowed aggregates (one record per group and window). */
export type Flow = "stream" | "window";

/** Reports a problem at a pointer relative to the component (`""` is the component itself). */
export type Report = (
  relPointer: string,
  code: Code,
  message: string,
  hint?: string,
  at?: { offset: number; length: number },
) => void;

/** Checks and type flow of one component, given the record type arriving on its input. */
export interface CheckArgs {
  component: Component;
  model: PipelineModel;
  input: RecordType | undefined;
  report: Report;
}

/** A TypeScript snippet for a generated handler: imports it needs and the expression it contributes. */
export interface HandlerPart {
  imports: string[];
  declarations?: string[];
  expr: string;
  /** Environment variables the expression reads, name → HCL expression. */
  env?: Record<string, string>;
  statements?: IamStatement[];
}

/** A module input variable, already rendered to HCL pieces. */
export interface Variable {
  name: string;
  description: string;
  type: string;
  default?: string;
  nullable?: boolean;
  validations?: Array<{ condition: string; message: string }>;
}

/** A module output, already rendered to HCL pieces. */
export interface Output {
  name: string;
  description: string;
  value: string;
}

/** The Terraform a kind contributes for one component (besides its Lambda, which plan/functions emits). */
export interface TerraformPart {
  hcl: string;
  variables?: Variable[];
  outputs?: Output[];
  /** Shared blocks (e.g. the access-log bucket) keyed by name, emitted once per module. */
  shared?: Record<string, string>;
}

/** Everything pipegen knows about one component kind; a kind lives in one folder under src/kinds. */
export interface Kind {
  name: string;
  category: Category;
  /** The JSON Schema fragment (draft-07) for this kind's config. */
  schema: Record<string, unknown>;
  /** What this kind can consume on `inputs`; empty for sources and serve. */
  accepts: readonly Flow[];
  /** What it emits to downstream components (`same` = what it consumes); undefined when nothing may consume it. */
  produces?: Flow | "same";
  /** Kind-specific semantic checks; returns the record type of its output (if it produces one). */
  check(args: CheckArgs): RecordType | undefined;
  /** Terraform for the component's own resources. */
  terraform?(c: Component, ctx: PlanContext): TerraformPart;
  /** A stateless transform step compiled into the consuming handler. */
  step?(c: Component, ctx: PlanContext): HandlerPart;
  /** A sink writer compiled into the writing handler. */
  sink?(c: Component, ctx: PlanContext): HandlerPart;
}
