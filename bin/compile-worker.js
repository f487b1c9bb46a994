// Entry of a compile worker thread (PIPEGEN_WORKERS, src/cli/compile-pool.ts): the same CLI
// bundle as the main thread, reading the build command's code cache without writing one.
import { BUNDLE } from "./cli-bundle.js";
import { loadBundle } from "./load-bundle.js";

await loadBundle(BUNDLE, "build", { writeCache: false }).compileWorker();
