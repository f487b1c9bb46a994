import type { PipelineModel } from "../model/types.ts";
import type { PipelineGraph } from "../graph/graph.ts";

/** One Allow statement of an identity policy; resources are HCL expressions (never `*` unless the action has no resource-level permissions). */
export interface IamStatement {
  sid: string;
  actions: string[];
  resources: string[];
}

/** What planners read: the normalized model and the checked graph. Planners are pure and return data. */
export interface PlanContext {
  model: PipelineModel;
  graph: PipelineGraph;
  /** Import specifier of a function transform's user code, relative to the generated handlers folder. */
  userCodeImport(id: string): string;
}
