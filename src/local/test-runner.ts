/**
 * `pipegen test`: runs the `tests:` cases of a compiled pipeline through the generated handler
 * bundles, in this process, with sinks writing to the in-process fake (see fake-aws.ts).
 *
 * Per case:
 *  1. every inserted record is sent alone through the span, so its fate is known exactly:
 *     failed (reported as a batch item failure, or the invocation threw), dropped (a filter returned
 *     null), or passed (it reached the end of the span / was folded into the window state);
 *  2. the records that did not fail are sent as batches of the function's batch size (as the event
 *     source mapping would once the failed ones were parked in the dead-letter queue); an aggregate
 *     gets them in one synthetic tumbling window, then the final invocation of that window;
 *  3. what came out is compared: records captured at a transform, objects or items a sink stored,
 *     or the answers of an API reading the table the records were written to.
 */
import { performance } from "node:perf_hooks";
import type { TestCaseSpec, TestRecord } from "../normalize/normalize.ts";
import type { Component } from "../model/types.ts";
import { bucketEnv } from "../kinds/sinks/s3/kind.ts";
import { tableEnv } from "../kinds/sinks/dynamodb/kind.ts";
import { bundle } from "../emit/bundle.ts";
import type { CompiledPipeline } from "./compiled.ts";
import type { FakeAws, FakeTable } from "./fake-aws.ts";
import type { Handler } from "./bundles.ts";
import { loadHandler, zipEntryCode } from "./bundles.ts";
import type { ShardRecord, BatchSource } from "./events.ts";
import { kinesisEvent, sequenceNumber, windowBounds, windowEvent } from "./events.ts";
import { captured, failureReasons } from "./log-capture.ts";
import { timed } from "./clock.ts";
import { CAPTURE_GLOBAL, planSegment, type Segment } from "./segments.ts";
import type { Mismatch, Outcome, Rec } from "./match.ts";
import { compareOutcome, compareRecords, recordMatches, sameValue, show } from "./match.ts";
import { apiRoutes, callApi } from "./api.ts";

/** Default arrival time of inserted records (and so the window and date partition). */
export const DEFAULT_ARRIVAL = "2024-01-01T00:00:00Z";

/** The result of one case. */
export interface CaseResult {
  name: string;
  description?: string;
  from: string;
  to: string;
  /** `function <id>` when the deployed bundle ran, else `generated span`. */
  ran: string;
  ok: boolean;
  durationMs: number;
  counts: { inserted: number; passed: number; dropped: number; failed: number; out: number };
  mismatches: Mismatch[];
  /** A problem running the case (not a mismatch), e.g. the final window invocation threw. */
  error?: string;
}

/** The results of one pipeline file. */
export interface FileResult {
  file: string;
  pipeline: string;
  cases: CaseResult[];
}

type Fate = "passed" | "dropped" | "failed";

interface SinkItemLike {
  record: Rec;
  sequenceNumber: string;
}

/** Physical names the fake uses for a pipeline's buckets and tables. */
function fakeName(cp: CompiledPipeline, c: Component): string {
  return `${cp.model.name}-test-${c.id.replace(/_/g, "-")}`;
}

/** Defines the pipeline's buckets and tables in the fake and points the handlers' environment at them. */
function prepareFake(cp: CompiledPipeline, fake: FakeAws): void {
  for (const c of cp.model.components.filter((x) => x.category === "sinks")) {
    const name = fakeName(cp, c);
    if (c.type === "s3") {
      fake.defineBucket(name);
      process.env[bucketEnv(c.id)] = name;
    } else if (c.type === "dynamodb") {
      const key = c.config.key as { partition: string; sort?: string };
      const input = cp.graph.outputType.get(c.inputs[0]!) ?? {};
      const attr = (f: string) => ({ name: f, type: input[f] === "number" ? ("N" as const) : ("S" as const) });
      const def: FakeTable = { name, partitionKey: attr(key.partition), ...(key.sort ? { sortKey: attr(key.sort) } : {}) };
      fake.defineTable(def);
      process.env[tableEnv(c.id)] = name;
    }
  }
}

/** Runs every case of one compiled pipeline. */
export async function runPipelineTests(cp: CompiledPipeline, fake: FakeAws, cwd: string): Promise<FileResult> {
  const cases = cp.model.tests as TestCaseSpec[];
  const result: FileResult = { file: cp.file, pipeline: cp.model.name, cases: [] };
  if (!cases.length) return result;
  prepareFake(cp, fake);
  const segments = cases.map((c, i) => planSegment(c.at, c.expect.at, cp, i + 1));
  const spans = segments.filter((s) => !s.deployed);
  const spanFiles = (s: Segment) => [...s.unit.steps, ...s.unit.after].filter((c) => c.type === "function").map((c) => cp.userCodeFile(c.id));
  const bundles = spans.length ? await bundle(spans.map((s) => ({ id: s.unit.id, source: s.source!, resolveDir: cp.handlersDir, userFiles: spanFiles(s) })), cwd) : new Map<string, Buffer>();
  const loaded = new Map<string, Promise<Handler>>();
  const deployed = (id: string): Promise<Handler> => {
    if (!loaded.has(id)) {
      const zip = cp.zips.get(id);
      if (!zip) throw new Error(`no bundle for function ${id}`);
      loaded.set(id, loadHandler(zipEntryCode(zip, `dist/${id}.zip`), fake.endpoint));
    }
    return loaded.get(id)!;
  };
  const captures: SinkItemLike[] = [];
  (globalThis as Record<string, unknown>)[CAPTURE_GLOBAL] = (_id: string, items: SinkItemLike[]) => captures.push(...items);
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const seg = segments[i]!;
    const handler = seg.deployed ? await deployed(seg.unit.id) : await loadHandler(bundles.get(seg.unit.id)!, fake.endpoint);
    const started = performance.now();
    let r: CaseResult;
    try {
      r = await runCase(c, seg, handler, { cp, fake, captures, deployed });
    } catch (err) {
      r = baseResult(c, seg, { inserted: c.records.length, passed: 0, dropped: 0, failed: 0, out: 0 });
      r.error = (err as Error).message;
      r.ok = false;
    }
    r.durationMs = Math.round((performance.now() - started) * 10) / 10;
    result.cases.push(r);
  }
  return result;
}

function baseResult(c: TestCaseSpec, seg: Segment, counts: CaseResult["counts"]): CaseResult {
  return {
    name: c.name,
    ...(c.description ? { description: c.description } : {}),
    from: c.at,
    to: c.expect.at,
    ran: seg.deployed ? `function ${seg.unit.id}` : "generated span",
    ok: true,
    durationMs: 0,
    counts,
    mismatches: [],
  };
}

interface RunDeps {
  cp: CompiledPipeline;
  fake: FakeAws;
  captures: SinkItemLike[];
  deployed: (id: string) => Promise<Handler>;
}

async function runCase(c: TestCaseSpec, seg: Segment, raw: Handler, d: RunDeps): Promise<CaseResult> {
  // A handler that never answers fails like a Lambda timeout instead of hanging the run.
  const handler = (event: unknown) => timed(raw(event), seg.unit.lambda.timeoutSeconds);
  const arrivalMs = Date.parse(c.arrival ?? DEFAULT_ARRIVAL);
  const records: ShardRecord[] = c.records.map((r, i) => ({ data: Buffer.from(JSON.stringify(r)), partitionKey: "pipegen-test", sequenceNumber: sequenceNumber(i), arrivalMs }));
  const src: BatchSource = { streamArn: `arn:aws:kinesis:us-east-1:123456789012:stream/${d.cp.model.name}-test-${seg.from.id}`, shardId: "shardId-000000000000", region: "us-east-1" };
  const window = seg.windowSeconds ? windowBounds(Math.floor(arrivalMs / (seg.windowSeconds * 1000)) * seg.windowSeconds * 1000, seg.windowSeconds) : undefined;

  // 1. Each record alone: its fate.
  const fates: Array<{ fate: Fate; reason?: string }> = [];
  for (const rec of records) {
    d.fake.reset();
    d.captures.length = 0;
    const seq = rec.sequenceNumber;
    if (window) {
      const r = await captured(() => handler(windowEvent(src, [rec], window, {}, false)) as Promise<{ state?: Record<string, string>; batchItemFailures?: Array<{ itemIdentifier: string }> }>);
      if (!r.ok) fates.push({ fate: "failed", reason: `the invocation threw: ${(r.error as Error)?.message ?? String(r.error)}` });
      else if ((r.value.batchItemFailures ?? []).some((f) => f.itemIdentifier === seq)) fates.push({ fate: "failed", reason: failureReasons(r.logs).get(seq) ?? "reported as a batch item failure" });
      else fates.push({ fate: Object.keys(r.value.state ?? {}).length > 0 ? "passed" : "dropped" });
    } else {
      const r = await captured(() => handler(kinesisEvent(src, [rec])) as Promise<{ batchItemFailures?: Array<{ itemIdentifier: string }> }>);
      if (!r.ok) fates.push({ fate: "failed", reason: `the invocation threw: ${(r.error as Error)?.message ?? String(r.error)}` });
      else if ((r.value.batchItemFailures ?? []).some((f) => f.itemIdentifier === seq)) fates.push({ fate: "failed", reason: failureReasons(r.logs).get(seq) ?? "reported as a batch item failure" });
      else fates.push({ fate: d.captures.length > 0 || d.fake.writes > 0 ? "passed" : "dropped" });
    }
  }
  const outcome = (f: Fate): Outcome[] => fates.flatMap((x, i) => (x.fate === f ? [{ index: i, record: c.records[i]!, ...(x.reason ? { reason: x.reason } : {}) }] : []));
  const counts = { inserted: records.length, passed: outcome("passed").length, dropped: outcome("dropped").length, failed: outcome("failed").length, out: 0 };
  const result = baseResult(c, seg, counts);

  // 2. The records that did not fail, as the event source mapping would deliver them.
  d.fake.reset();
  d.captures.length = 0;
  const good = records.filter((_, i) => fates[i]!.fate !== "failed");
  const batchSize = Math.max(1, seg.unit.lambda.batchSize);
  const problems: string[] = [];
  let state: Record<string, string> = {};
  for (let i = 0; i < good.length; i += batchSize) {
    const batch = good.slice(i, i + batchSize);
    const r = await captured(() => handler(window ? windowEvent(src, batch, window, state, false) : kinesisEvent(src, batch)) as Promise<{ state?: Record<string, string>; batchItemFailures?: Array<{ itemIdentifier: string }> }>);
    if (!r.ok) problems.push(`an invocation with ${batch.length} records threw: ${(r.error as Error)?.message ?? String(r.error)}`);
    else {
      const failed = r.value.batchItemFailures ?? [];
      if (failed.length) {
        const reasons = failureReasons(r.logs);
        problems.push(`${failed.length} record(s) that pass alone failed in a batch: ${failed.map((f) => reasons.get(f.itemIdentifier) ?? f.itemIdentifier).join("; ")}`);
      }
      if (window) state = r.value.state ?? {};
    }
  }
  if (window) {
    const r = await captured(() => handler(windowEvent(src, [], window, state, true)));
    if (!r.ok) problems.push(`the final invocation of window ${window.start} threw: ${(r.error as Error)?.message ?? String(r.error)}`);
  }
  if (problems.length) result.mismatches.push({ title: "the handler failed on the batch", lines: problems });

  // 3. Compare.
  const e = c.expect;
  if (e.requests) {
    const routes = apiRoutes(d.cp);
    for (const req of e.requests) {
      const [method, url] = req.request.split(" ") as [string, string];
      const answer = await callApi(d.deployed, routes, { method, url });
      let body: unknown = answer.body.toString("utf8");
      try {
        body = JSON.parse(body as string);
      } catch {
        /* not JSON: compared as text */
      }
      const lines: string[] = [];
      const status = req.status ?? 200;
      if (answer.status !== status) lines.push(`status: expected ${status}, got ${answer.status}`);
      if (req.body !== undefined) {
        const mode = req.match ?? "exact";
        const okBody = typeof body === "object" && body !== null && !Array.isArray(body) && recordMatches(req.body, body as Rec, mode);
        if (!okBody) {
          lines.push(`body (match: ${mode}):`, `  expected ${show(req.body)}`, `  got      ${typeof body === "string" ? JSON.stringify(body) : show(body)}`);
          if (typeof body === "object" && body !== null) {
            for (const k of Object.keys(req.body)) if (!sameValue(req.body[k], (body as Rec)[k])) lines.push(`    ${k}: expected ${show(req.body[k])}, got ${show((body as Rec)[k])}`);
            if (mode === "exact") for (const k of Object.keys(body)) if (!(k in req.body)) lines.push(`    ${k}: not expected, got ${show((body as Rec)[k])}`);
          }
        }
      }
      if (lines.length) result.mismatches.push({ title: `${req.request} answered differently`, lines });
    }
    counts.out = e.requests.length;
  } else {
    const actual = readOutput(seg, d);
    counts.out = actual.length;
    const m = compareRecords({ what: e.at, ...(e.records ? { expected: e.records as Rec[] } : {}), ...(e.count !== undefined ? { count: e.count } : {}), actual, mode: e.match ?? "exact" });
    if (m) result.mismatches.push(m);
  }
  for (const kind of ["dropped", "failed"] as const) {
    const m = compareOutcome(kind, c[kind] as number | TestRecord[] | undefined, outcome(kind));
    if (m) result.mismatches.push(m);
  }
  result.ok = result.mismatches.length === 0;
  return result;
}

/** What came out at the end of the span. */
function readOutput(seg: Segment, d: RunDeps): Rec[] {
  if (seg.end === "capture") return d.captures.map((i) => i.record);
  const name = fakeName(d.cp, seg.to);
  if (seg.to.type === "s3") {
    return d.fake.objects(name).flatMap((o) => o.body.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Rec));
  }
  return d.fake.items(name);
}
