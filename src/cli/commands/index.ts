import type { RegisterCommand } from "../io.ts";
import { registerBootstrap } from "./bootstrap.ts";
import { registerBuild } from "./build.ts";
import { registerDoctor } from "./doctor.ts";
import { registerGraph } from "./graph.ts";
import { registerInit } from "./init.ts";
import { registerPlanReport } from "./plan-report.ts";
import { registerRun } from "./run.ts";
import { registerTest } from "./test.ts";
import { registerValidate } from "./validate.ts";

/** Every CLI command, one line each, in the order `--help` lists them. */
export const COMMANDS: readonly RegisterCommand[] = [
  registerValidate,
  registerBuild,
  registerGraph,
  registerInit,
  registerTest,
  registerRun,
  registerBootstrap,
  registerPlanReport,
  registerDoctor,
];
