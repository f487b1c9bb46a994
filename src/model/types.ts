import type { RecordType } from "../expr/index.ts";

export type Category = "sources" | "transforms" | "sinks" | "serve";
export const CATEGORIES: readonly Category[] = ["sources", "transforms", "sinks", "serve"];

/** Lambda settings after defaults are applied. */
export interface LambdaSettings {
  runtime: string;
  memoryMb: number;
  timeoutSeconds: number;
  batchSize: number;
  batchingWindowSeconds: number;
  maxRetries: number;
  maxRecordAgeSeconds: number;
}

/** One component with everything defaulted; `config` is the validated spec object of its kind. */
export interface Component {
  id: string;
  category: Category;
  type: string;
  pointer: string;
  inputs: string[];
  config: Record<string, unknown>;
  lambda: LambdaSettings;
  description?: string;
}

export interface EnvironmentOverlay {
  name: string;
  pointer: string;
  ephemeral: boolean;
  accountId?: string;
  region?: string;
  alarmEmail?: string;
  logRetentionDays?: number;
  capacity: Record<string, number | null>;
  retentionHours: Record<string, number>;
}

/** The normalized pipeline: every default, name and tag is resolved here and nowhere else. */
export interface PipelineModel {
  name: string;
  file: string;
  description: string;
  owner?: string;
  region: string;
  tags: Record<string, string>;
  record: RecordType;
  logRetentionDays: number;
  components: Component[];
  byId: ReadonlyMap<string, Component>;
  environments: EnvironmentOverlay[];
  tests: unknown[];
}
