// Entry of a compile worker thread (PIPEGEN_WORKERS, src/cli/compile-pool.ts): the same CLI
// bundle as the main thread, reading the build command's code cache without writing one.
"use strict";
const { BUNDLE } = require("./cli-bundle.js");
const { loadBundle } = require("./load-bundle.js");

loadBundle(BUNDLE, "build", { writeCache: false }).compileWorker();
