import type { RecordType } from "../expr/index.ts";
import type { Category, Component, PipelineModel } from "../model/types.ts";
import type { Code } from "../diagnostics/codes.ts";
import type { IamStatement, PlanContext } from "../plan/context.ts";
import type { LambdaSettings } from "../model/types.ts";

/**
 * What flows along an edge: a record stream, windowed aggregates (one record per group and window),
 * or files: a dataset of objects under an S3 prefix that batch jobs (Glue) read and write.
 */
export type Flow = "stream" | "window" | "files";

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
  /** What flows in on the input edge (undefined for components without inputs or behind a rejected edge). */
  inputFlow: Flow | undefined;
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
  /** Other generated files of the module (e.g. a Glue job's contract module), path inside the module → content; regenerated on every build. */
  files?: Record<string, string>;
}

/** The consuming function a stream source feeds, as a source's `consumer` hook sees it. */
export interface ConsumerUnit {
  /** Function id: Terraform resources of the function are `aws_lambda_function.<id>`, `aws_sqs_queue.<id>_dlq`. */
  id: string;
  lambda: LambdaSettings;
  /** Seconds of the aggregate's tumbling window, when the function aggregates. */
  tumblingWindowSeconds: number | false;
}

/** How a non-kinesis stream source (S3 notifications, MSK) triggers its consuming functions. */
export interface ConsumerPart {
  /** Trigger resources (event source mapping, bucket notification, permissions), rendered HCL. */
  hcl: string;
  /** What the consuming function may do on the source. */
  statements: IamStatement[];
  env?: Record<string, string>;
  /**
   * Runtime export (src/runtime) that builds the handler for this trigger's events, called as
   * `handler({ contract, options, steps, sinks })` like streamHandler. Aggregates (tumbling windows)
   * exist only for kinesis, so a consumer kind's check must reject an aggregate reading it.
   */
  handler: string;
  /** Trigger-specific options of the handler, JSON-serializable. */
  options?: Record<string, unknown>;
  /** One-line description for the function summary, e.g. "reads objects landing in s3://…/incoming/". */
  summary?: string;
  /** True when the trigger reports iterator age (a stream position), so an iterator-age alarm applies. */
  iteratorAge?: boolean;
  /** True when the trigger invokes the function asynchronously (S3 notifications): Lambda retries, then parks the event in the DLQ. */
  async?: boolean;
}

/** A function owned by a component that is not fed by a stream (like generator and http_api). */
export interface OwnFunction {
  trigger: "schedule" | "http";
  summary: string;
  env?: Record<string, string>;
  statements?: IamStatement[];
  /** Runtime imports and the `export const handler = …` statement(s) of the generated handler. */
  handler: { imports: string[]; body: string };
}

/** A file the first build writes for the user to own (never overwritten), path relative to the spec's folder. */
export interface UserFile {
  path: string;
  content: string;
}

/** Everything pipegen knows about one component kind; a kind lives in one folder under src/kinds. */
export interface Kind {
  name: string;
  category: Category;
  /** The JSON Schema fragment (draft-07) for this kind's config. */
  schema: Record<string, unknown>;
  /** What this kind can consume on `inputs`; empty for sources and serve. */
  accepts: readonly Flow[];
  /** What it emits to downstream components (`same` = what it consumes; a function when it depends on the config); undefined when nothing may consume it. */
  produces?: Flow | "same" | ((c: Component) => Flow);
  /** Kind-specific semantic checks; returns the record type of its output (if it produces one). */
  check(args: CheckArgs): RecordType | undefined;
  /** Terraform for the component's own resources. */
  terraform?(c: Component, ctx: PlanContext): TerraformPart;
  /** A stateless transform step compiled into the consuming handler. */
  step?(c: Component, ctx: PlanContext): HandlerPart;
  /** A sink writer compiled into the writing handler. */
  sink?(c: Component, ctx: PlanContext): HandlerPart;
  /** A hint for an edge from this component that the consumer's kind cannot consume (what to change on this side); undefined for the generic hint. */
  edgeHint?(c: Component, consumer: Kind): string | undefined;
  /** For stream sources other than kinesis: how consuming functions are triggered and decode events. */
  consumer?(source: Component, unit: ConsumerUnit, ctx: PlanContext): ConsumerPart;
  /** For components that run a Lambda function of their own (not fed by a stream). */
  ownFunction?(c: Component, ctx: PlanContext): OwnFunction;
  /** Files written once for the user to edit (stubs); a missing file is created by `build`, an existing one never touched. */
  userFiles?(c: Component, ctx: PlanContext, specPath: string): UserFile[];
  /** Files copied from the spec's folder into the module on every build (e.g. a Glue script the module uploads): from is relative to the spec's folder, to to the module. */
  copies?(c: Component, ctx: PlanContext): Array<{ from: string; to: string }>;
}

/** The flow a component emits, resolving `same` against its input flow. */
export function producedFlow(kind: Kind, c: Component, inFlow: Flow | undefined): Flow | undefined {
  if (kind.produces === "same") return inFlow;
  if (typeof kind.produces === "function") return kind.produces(c);
  return kind.produces;
}
