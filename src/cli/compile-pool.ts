import { dirname, join, resolve } from "node:path";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import type { CompileOptions } from "../compile/compile.ts";
import { compile } from "../compile/compile.ts";
import type { ResourcePlan } from "../plan/module.ts";
import type { RenderedFile } from "../emit/emit.ts";
import { renderModule } from "../emit/emit.ts";
import { planFunctionUnits } from "../plan/functions.ts";
import { userCodePath } from "../kinds/transforms/function/kind.ts";

/** One spec to compile: its path as given and its text (read once by the caller). */
export interface CompileJob {
  file: string;
  text: string;
}

/** What `build` needs of a compiled spec; plain data, so it can cross a worker boundary. */
export interface CompiledSpec {
  diagnostics: Diagnostic[];
  plan?: ResourcePlan;
  /** The plan's text files, formatted. */
  rendered?: RenderedFile[];
  /** Handler id → absolute paths of the user code bundled into it (inputs of the bundle key). */
  userFiles?: Record<string, string[]>;
}

/**
 * Runs the stages up to rendering for one spec. Pure apart from reading user code paths' existence.
 * `validateOnly` stops after the plan (which some checks need) without formatting its files.
 */
export function compileForBuild(job: CompileJob, opts: CompileOptions & { validateOnly?: boolean }): CompiledSpec {
  const c = compile(job.file, job.text, opts);
  if (!c.plan || !c.model || !c.graph) return { diagnostics: c.diagnostics };
  const specDir = dirname(resolve(opts.cwd, job.file));
  const model = c.model;
  const userFiles: Record<string, string[]> = {};
  for (const u of planFunctionUnits({ model, graph: c.graph, userCodeImport: () => "" })) {
    userFiles[u.id] = [...u.steps, ...u.after].filter((s) => s.type === "function").map((s) => join(specDir, userCodePath(model.name, s.id, s.config.code)));
  }
  return { diagnostics: c.diagnostics, plan: c.plan, rendered: opts.validateOnly ? [] : renderModule(c.plan), userFiles };
}

/** URL of the worker thread's entry script (bin/compile-worker.js); set when running from the CLI bundle. */
let workerEntry: string | undefined;

export function registerCompileWorker(worker: string): void {
  workerEntry = worker;
}

/**
 * How many worker threads compile besides the main thread: PIPEGEN_WORKERS, else none. Measured
 * on the 2-core machine this project is benchmarked on (bench/README.md), a worker costs more than
 * it saves: each thread warms up its own JIT, and V8's background threads already use the second
 * core (50 pipelines: 0.57 s on one thread, 0.65 s with a worker). Machines with more cores can
 * opt in.
 */
export function workerCount(jobs: number): number {
  const env = process.env.PIPEGEN_WORKERS;
  if (env !== undefined && /^\d+$/.test(env)) return Math.min(Number(env), jobs);
  return 0;
}

/**
 * Compiles every spec, in parallel when workers are enabled: the main thread and the workers take
 * the next spec from a shared atomic counter, so a worker that starts late simply takes fewer. Results
 * come back in job order, so output and diagnostics do not depend on scheduling.
 */
export async function compileAll(jobs: CompileJob[], opts: CompileOptions & { validateOnly?: boolean }): Promise<CompiledSpec[]> {
  const results: CompiledSpec[] = new Array(jobs.length);
  const n = workerEntry ? workerCount(jobs.length) : 0;
  if (process.env.PIPEGEN_DEBUG) process.stderr.write(`pipegen: compiling ${jobs.length} spec(s) on ${n + 1} thread(s)\n`);
  if (n === 0) {
    jobs.forEach((j, i) => (results[i] = compileForBuild(j, opts)));
    return results;
  }
  const counter = new Int32Array(new SharedArrayBuffer(4));
  // Loaded only when workers are enabled, which they are not by default.
  const { Worker } = await import("node:worker_threads");
  const workers = Array.from({ length: n }, () => runWorker(Worker, { jobs, opts, counter }, workerEntry!));
  // The main thread works too, and lets the workers start first.
  await new Promise((r) => setImmediate(r));
  for (let i = Atomics.add(counter, 0, 1); i < jobs.length; i = Atomics.add(counter, 0, 1)) results[i] = compileForBuild(jobs[i]!, opts);
  for (const done of await Promise.all(workers)) {
    for (const [i, r] of done) results[i] = fromWorker(r);
  }
  return results;
}

export interface WorkerInput {
  jobs: CompileJob[];
  opts: CompileOptions & { validateOnly?: boolean };
  counter: Int32Array;
}

function runWorker(Worker: typeof import("node:worker_threads").Worker, data: WorkerInput, url: string): Promise<Array<[number, CompiledSpec]>> {
  return new Promise((resolvePromise, reject) => {
    const w = new Worker(new URL(url), { workerData: data });
    let result: Array<[number, CompiledSpec]> = [];
    w.once("message", (m: Array<[number, CompiledSpec]>) => (result = m));
    w.once("error", reject);
    w.once("exit", (code) => (code === 0 ? resolvePromise(result) : reject(new Error(`compile worker exited with code ${code}`))));
  });
}

/** Structured clone turns Buffers into Uint8Arrays; make them Buffers again without copying. */
function fromWorker(r: CompiledSpec): CompiledSpec {
  if (!r.rendered) return r;
  return { ...r, rendered: r.rendered.map((f) => ({ path: f.path, data: Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength) })) };
}
