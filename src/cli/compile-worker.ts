// Worker thread of compile-pool.ts: compiles the specs it claims from the shared counter and
// posts the results back in one message. The thread runs the same CLI bundle as the main thread
// (bin/compile-worker.js), which registered its precompiled templates and validator.
import type { CompiledSpec, WorkerInput } from "./compile-pool.ts";
import { compileForBuild } from "./compile-pool.ts";

export async function runCompileWorker(): Promise<void> {
  // Imported here: the CLI bundle is one file, and the main thread needs no worker API.
  const { parentPort, workerData } = await import("node:worker_threads");
  const data = workerData as WorkerInput;
  const done: Array<[number, CompiledSpec]> = [];
  for (let i = Atomics.add(data.counter, 0, 1); i < data.jobs.length; i = Atomics.add(data.counter, 0, 1)) {
    done.push([i, compileForBuild(data.jobs[i]!, data.opts)]);
  }
  parentPort!.postMessage(done);
}
