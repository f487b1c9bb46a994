import type { Component, EnvironmentOverlay, LambdaSettings, PipelineModel } from "../model/types.ts";
import { CATEGORIES } from "../model/types.ts";
import { pointerOf } from "../diagnostics/diagnostic.ts";
import type { RecordType } from "../expr/index.ts";

/** Defaults applied when neither the component nor `defaults:` sets a value. */
export const DEFAULTS = {
  region: "us-east-1",
  runtime: "nodejs22.x",
  logRetentionDays: 30,
  lambda: {
    memoryMb: 256,
    timeoutSeconds: 60,
    batchSize: 100,
    batchingWindowSeconds: 5,
    maxRetries: 3,
    maxRecordAgeSeconds: 86_400,
  },
} as const;

type Spec = Record<string, any>;

/** Resolves defaults and sorts components by id (code point order) into a PipelineModel. */
export function normalize(spec: Spec, file: string): PipelineModel {
  const d = (spec.defaults ?? {}) as Spec;
  const dl = (d.lambda ?? {}) as Spec;
  const components: Component[] = [];
  for (const category of CATEGORIES) {
    const section = (spec[category] ?? {}) as Record<string, Spec>;
    for (const id of Object.keys(section)) {
      const config = section[id]!;
      const l = (config.lambda ?? {}) as Spec;
      const lambda: LambdaSettings = {
        runtime: d.runtime ?? DEFAULTS.runtime,
        memoryMb: l.memory_mb ?? dl.memory_mb ?? DEFAULTS.lambda.memoryMb,
        timeoutSeconds: l.timeout_seconds ?? dl.timeout_seconds ?? DEFAULTS.lambda.timeoutSeconds,
        batchSize: l.batch_size ?? dl.batch_size ?? DEFAULTS.lambda.batchSize,
        batchingWindowSeconds: l.batching_window_seconds ?? dl.batching_window_seconds ?? DEFAULTS.lambda.batchingWindowSeconds,
        maxRetries: l.max_retries ?? dl.max_retries ?? DEFAULTS.lambda.maxRetries,
        maxRecordAgeSeconds: l.max_record_age_seconds ?? dl.max_record_age_seconds ?? DEFAULTS.lambda.maxRecordAgeSeconds,
      };
      components.push({
        id,
        category,
        type: String(config.type),
        pointer: pointerOf([category, id]),
        inputs: Array.isArray(config.inputs) ? (config.inputs as string[]) : [],
        config,
        lambda,
        ...(typeof config.description === "string" ? { description: config.description } : {}),
      });
    }
  }
  components.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const environments: EnvironmentOverlay[] = Object.keys(spec.environments ?? {})
    .sort()
    .map((name) => {
      const e = spec.environments[name] as Spec;
      const capacity: Record<string, number | null> = {};
      for (const [k, v] of Object.entries((e.capacity ?? {}) as Record<string, unknown>)) {
        capacity[k] = v === "on-demand" ? null : Number((v as Spec).shards);
      }
      return {
        name,
        pointer: pointerOf(["environments", name]),
        ephemeral: e.lifecycle === "ephemeral",
        ...(e.account_id ? { accountId: e.account_id } : {}),
        ...(e.region ? { region: e.region } : {}),
        ...(e.alarm_email ? { alarmEmail: e.alarm_email } : {}),
        ...(e.log_retention_days ? { logRetentionDays: e.log_retention_days } : {}),
        capacity,
        retentionHours: { ...(e.retention_hours ?? {}) },
      };
    });
  return {
    name: spec.pipeline,
    file,
    description: spec.description ?? "",
    ...(spec.owner ? { owner: spec.owner } : {}),
    region: spec.region ?? DEFAULTS.region,
    tags: sortedRecord(spec.tags ?? {}),
    record: sortedRecord(spec.record) as RecordType,
    logRetentionDays: d.log_retention_days ?? DEFAULTS.logRetentionDays,
    components,
    byId: new Map(components.map((c) => [c.id, c])),
    environments,
    tests: normalizeTests(spec.tests),
  };
}

/** A record as written in a test case: field → value. */
export type TestRecord = Record<string, unknown>;

/** One request to a serving component and the answer it must give. */
export interface TestRequestSpec {
  /** `GET /path?query`. */
  request: string;
  status?: number;
  body?: TestRecord;
  match?: "exact" | "subset";
}

/** What a test case expects at a downstream component. */
export interface TestExpectSpec {
  at: string;
  records?: TestRecord[];
  count?: number;
  match?: "exact" | "subset";
  requests?: TestRequestSpec[];
}

/** One `tests:` case as validated by the schema, in file order, with its name and JSON pointer. */
export interface TestCaseSpec {
  name: string;
  pointer: string;
  description?: string;
  at: string;
  arrival?: string;
  records: TestRecord[];
  expect: TestExpectSpec;
  dropped?: number | TestRecord[];
  failed?: number | TestRecord[];
}

/** The `tests:` mapping (name → case) as a typed list in declaration order; run order is file order. */
export function normalizeTests(tests: unknown): TestCaseSpec[] {
  if (typeof tests !== "object" || tests === null || Array.isArray(tests)) return [];
  return Object.entries(tests as Record<string, Omit<TestCaseSpec, "name" | "pointer">>).map(([name, t]) => ({ ...t, name, pointer: pointerOf(["tests", name]) }));
}

/** Copies a record with keys in code point order, so output never depends on YAML key order. */
export function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}
