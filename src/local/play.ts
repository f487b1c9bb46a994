/**
 * The running part of `pipegen run --local`, once the module is applied: generator schedules, one
 * event-source-mapping poller per stream function, the HTTP API, progress lines, the bounds
 * (--records, --duration, Ctrl-C) and the summary. Handlers run in this process with their SDK
 * clients pointed at the emulator through the environment, as Lambda would configure them.
 */
import { randomUUID } from "node:crypto";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { CompiledPipeline } from "./compiled.ts";
import type { Emulator } from "./moto.ts";
import type { Deployment, DeployedFunction } from "./deployment.ts";
import { loadHandler, zipEntryCode, type Handler } from "./bundles.ts";
import { captured } from "./log-capture.ts";
import { MappingPoller, type Invocation } from "./poller.ts";
import { runGenerator, scheduleIntervalMs } from "./scheduler.ts";
import { serveApi, type LocalApi } from "./http-server.ts";
import { apiRoutes } from "./api.ts";
import { FunctionStats } from "./stats.ts";
import { componentRows, progressLine, summaryTable } from "./progress.ts";
import { SimClock, sleep, timed } from "./clock.ts";
import { localAwsEnv, setEnv } from "./env.ts";

/** What the run loop needs from the command line. */
export interface PlayOptions {
  speed: number;
  durationSeconds?: number;
  records?: number;
  port: number;
  progressSeconds?: number;
  out(s: string): void;
  interrupt: AbortSignal;
}

const REGION = "us-east-1";

export type Say = (tag: string, msg: string) => void;

/** Lambda's context object, for handlers that read it. */
function lambdaContext(fn: DeployedFunction, deadline: number) {
  return {
    functionName: fn.name,
    functionVersion: "$LATEST",
    invokedFunctionArn: fn.arn,
    memoryLimitInMB: "256",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: "pipegen-local",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/** Runs generators, pollers and the API until a bound or Ctrl-C; prints progress and the summary. */
export async function play(cp: CompiledPipeline, dep: Deployment, emulator: Emulator, o: PlayOptions, say: Say): Promise<void> {
  const clock = new SimClock(o.speed);
  const runId = randomUUID();
  // Variables every function can share; a name two functions set differently is set per invocation.
  const shared: Record<string, string> = {};
  const conflicting = new Set<string>();
  for (const fn of dep.functions.values()) {
    for (const [k, v] of Object.entries(fn.env)) {
      if (k in shared && shared[k] !== v) conflicting.add(k);
      shared[k] = v;
    }
  }
  for (const k of conflicting) delete shared[k];
  const restoreEnv = setEnv({ ...localAwsEnv(emulator.endpoint, REGION), ...shared });
  const stats = new Map(cp.units.map((u) => [u.id, new FunctionStats()]));
  const handlers = new Map<string, Promise<Handler>>();
  const handlerOf = (id: string): Promise<Handler> => {
    if (!handlers.has(id)) handlers.set(id, loadHandler(zipEntryCode(cp.zips.get(id)!, `dist/${id}.zip`), runId));
    return handlers.get(id)!;
  };
  const invoker = (id: string) => {
    const fn = dep.functions.get(id)!;
    return async (event: unknown): Promise<Invocation> => {
      const handler = await handlerOf(id);
      for (const k of conflicting) if (k in fn.env) process.env[k] = fn.env[k];
      const deadline = Date.now() + fn.timeoutSeconds * 1000;
      return captured(() => timed(handler(event, lambdaContext(fn, deadline)), fn.timeoutSeconds));
    };
  };
  const notice = (m: string) => o.out(`  ! ${m}\n`);
  const clientConfig = { endpoint: emulator.endpoint, region: REGION, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
  // Kinesis' default HTTP/2 handler is refused by plain-http emulators; use DynamoDB's HTTP/1.1 one.
  const ddb = new DynamoDBClient(clientConfig);
  const kinesis = new KinesisClient({ ...clientConfig, requestHandler: ddb.config.requestHandler });
  const sqs = new SQSClient(clientConfig);

  const runCtl = new AbortController();
  const genCtl = new AbortController();
  const onInterrupt = () => {
    genCtl.abort();
    runCtl.abort();
  };
  o.interrupt.addEventListener("abort", onInterrupt, { once: true });
  let api: LocalApi | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const pollers: MappingPoller[] = [];
  const generatorLoops: Promise<void>[] = [];
  const started = Date.now();
  try {
    const routes = apiRoutes(cp);
    if (routes.length) {
      api = await serveApi({ port: o.port, routes, handlerOf, stats: (id) => stats.get(id)!, notice });
      for (const r of routes) say("api", `${r.method} ${api.url}${r.path}   (${r.unitId}; not SigV4-authorized locally)`);
    }
    for (const m of dep.mappings) {
      const p = new MappingPoller(m, { kinesis, sqs, clock, invoke: invoker(m.unitId), stats: stats.get(m.unitId)!, notice });
      await p.start(runCtl.signal);
      pollers.push(p);
    }
    const generated = () => [...dep.schedules].reduce((n, s) => n + stats.get(s.unitId)!.generated, 0);
    const enough = () => o.records !== undefined && generated() >= o.records;
    if (o.records !== undefined && dep.schedules.length === 0) notice("--records counts generated records, and this pipeline has no generator: it bounds nothing");
    const plans: string[] = [];
    for (const s of dep.schedules) {
      const every = scheduleIntervalMs(s.expression);
      const realMs = clock.scale(every.ms);
      plans.push(`${s.unitId} ${s.expression}${every.approximate ? " (cron: every minute locally)" : ""} fires every ${fmtSeconds(realMs)}`);
      generatorLoops.push(runGenerator({ fn: dep.functions.get(s.unitId)!, ruleArn: `arn:aws:events:${REGION}:123456789012:rule/${dep.functions.get(s.unitId)!.name}`, intervalRealMs: realMs, invoke: invoker(s.unitId), stats: stats.get(s.unitId)!, sqs, notice, enough }, genCtl.signal));
    }
    for (const m of dep.mappings.filter((x) => x.tumblingWindowSeconds)) plans.push(`${m.unitId} windows of ${m.tumblingWindowSeconds} s close every ${fmtSeconds(clock.scale(m.tumblingWindowSeconds * 1000))}`);
    const bounds = [o.records !== undefined ? `stops generating after ${o.records} records` : "", o.durationSeconds !== undefined ? `ends after ${o.durationSeconds} s` : "", "Ctrl-C stops"].filter(Boolean);
    say("running", `clock ×${o.speed}: ${plans.join("; ") || "no schedules"}. ${bounds.join(", ")}`);
    let last = "";
    const tick = () => {
      const line = progressLine(Date.now() - started, componentRows(cp, stats));
      const body = line.slice(line.indexOf("]"));
      if (body !== last) o.out(`${line}\n`);
      last = body;
    };
    ticker = setInterval(tick, (o.progressSeconds ?? 2) * 1000);

    const reason = await new Promise<"interrupted" | "duration" | "records">((resolve) => {
      if (o.interrupt.aborted) return resolve("interrupted");
      o.interrupt.addEventListener("abort", () => resolve("interrupted"), { once: true });
      if (o.durationSeconds !== undefined) setTimeout(() => resolve("duration"), o.durationSeconds * 1000).unref();
      if (o.records !== undefined) {
        void (async () => {
          while (!runCtl.signal.aborted && !enough()) await sleep(100, runCtl.signal);
          if (runCtl.signal.aborted) return;
          await Promise.allSettled(generatorLoops);
          if (await drainAll(pollers, runCtl.signal, 120_000)) {
            tick();
            say("drained", `${generated()} generated records processed${o.durationSeconds !== undefined ? "; serving until --duration ends or Ctrl-C" : ""}`);
            if (o.durationSeconds === undefined) resolve("records");
          }
        })();
      }
    });
    genCtl.abort();
    await Promise.allSettled(generatorLoops);
    if (reason === "duration" && !o.interrupt.aborted) {
      say("stopping", "duration reached: processing what is in the stream and closing open windows");
      if (!(await drainAll(pollers, o.interrupt, 120_000))) notice("some records were still in flight when the run stopped");
    }
    if (reason === "interrupted") say("stopping", "interrupted: in-flight invocations finish; records still in the stream stay there");
  } finally {
    runCtl.abort();
    genCtl.abort();
    o.interrupt.removeEventListener("abort", onInterrupt);
    if (ticker) clearInterval(ticker);
    await Promise.allSettled(pollers.map((p) => p.stopped()));
    await Promise.allSettled(generatorLoops);
    if (api) await api.close();
    const rows = componentRows(cp, stats);
    o.out(`summary   ${cp.model.name} ran ${fmtSeconds(Date.now() - started)} (simulated ${fmtSeconds((Date.now() - started) * o.speed)})\n${summaryTable(rows)}\n`);
    const parked = [...stats].filter(([, s]) => s.parked > 0 || s.errors > 0);
    o.out(`dead letters: ${parked.length ? parked.map(([id, s]) => `${id} ${s.parked} record(s) parked${s.errors ? `, ${s.errors} failed invocation(s)` : ""}`).join("; ") : "none"}\n`);
    kinesis.destroy();
    sqs.destroy();
    ddb.destroy();
    restoreEnv();
  }
}

/** Drains every poller; false when the timeout or the signal came first. */
async function drainAll(pollers: readonly MappingPoller[], signal: AbortSignal, timeoutMs: number): Promise<boolean> {
  for (const p of pollers) p.drain();
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted && Date.now() < deadline) {
    if (pollers.every((p) => p.drained)) return true;
    await sleep(100, signal);
  }
  return false;
}

function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${Math.round(s * 10) / 10} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 360) / 10} h`;
}
