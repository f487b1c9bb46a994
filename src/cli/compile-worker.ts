// Worker thread of compile-pool.ts: compiles the specs it claims from the shared counter and
// posts the results back in one message.
import { parentPort, workerData } from "node:worker_threads";
import type { CompiledSpec, WorkerInput } from "./compile-pool.ts";
import { compileForBuild } from "./compile-pool.ts";
import { registerPrecompiledTemplates } from "../emit/templates.ts";
import { registerPrecompiledValidator } from "../validate/validate.ts";

const data = workerData as WorkerInput;
const assets = await import(data.assets);
registerPrecompiledTemplates(assets.templates);
registerPrecompiledValidator(assets.validate);
const done: Array<[number, CompiledSpec]> = [];
for (let i = Atomics.add(data.counter, 0, 1); i < data.jobs.length; i = Atomics.add(data.counter, 0, 1)) {
  done.push([i, compileForBuild(data.jobs[i]!, data.opts)]);
}
parentPort!.postMessage(done);
