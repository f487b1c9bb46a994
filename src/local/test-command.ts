/** `pipegen test` end to end: compile every file, start the fake, run the cases, report. */
import { performance } from "node:perf_hooks";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { hasErrors } from "../diagnostics/diagnostic.ts";
import { compileForLocal, type CompiledPipeline } from "./compiled.ts";
import { FakeAws } from "./fake-aws.ts";
import { runPipelineTests, type FileResult } from "./test-runner.ts";
import { localAwsEnv, withEnv } from "./env.ts";

/** Everything `pipegen test` found. */
export interface TestRun {
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  files: FileResult[];
  passed: number;
  failed: number;
  durationMs: number;
}

/** Compiles the files and, when all are valid, runs their cases against the in-process fake. */
export async function runTests(files: string[], cwd: string, outDir = "generated"): Promise<TestRun> {
  const started = performance.now();
  const run: TestRun = { diagnostics: [], sources: new Map(), files: [], passed: 0, failed: 0, durationMs: 0 };
  const compiled: CompiledPipeline[] = [];
  for (const f of files) {
    const o = await compileForLocal(f, cwd, outDir);
    run.diagnostics.push(...o.diagnostics);
    for (const [k, v] of o.sources) run.sources.set(k, v);
    if (o.compiled) compiled.push(o.compiled);
  }
  if (hasErrors(run.diagnostics)) return run;
  const fake = new FakeAws();
  const endpoint = await fake.start();
  try {
    await withEnv(localAwsEnv(endpoint), async () => {
      for (const cp of compiled) run.files.push(await runPipelineTests(cp, fake, cwd));
    });
  } finally {
    await fake.stop();
  }
  for (const f of run.files) for (const c of f.cases) c.ok ? run.passed++ : run.failed++;
  run.durationMs = Math.round(performance.now() - started);
  return run;
}
