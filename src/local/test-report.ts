/** Rendering `pipegen test` results for people (one line per case, a diff under each failure) and machines (`--json`). */
import type { TestRun } from "./test-command.ts";
import type { CaseResult } from "./test-runner.ts";

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function counts(c: CaseResult): string {
  const k = c.counts;
  const parts = [`${k.passed} passed`];
  if (k.dropped) parts.push(`${k.dropped} dropped`);
  if (k.failed) parts.push(`${k.failed} failed`);
  return `${plural(k.inserted, "record")} in: ${parts.join(", ")}`;
}

/** The human report. */
export function renderTestRun(run: TestRun): string {
  const out: string[] = [];
  for (const f of run.files) {
    out.push(`${f.file} (pipeline ${f.pipeline})`);
    if (!f.cases.length) out.push("  no tests: add a `tests:` section to run the pipeline's transforms locally");
    const width = Math.max(0, ...f.cases.map((c) => c.name.length));
    for (const c of f.cases) {
      out.push(`  ${c.ok ? "✓" : "✗"} ${c.name.padEnd(width)}  ${c.from} → ${c.to} (${c.ran})  ${counts(c)}  ${c.durationMs} ms`);
      if (c.description && !c.ok) out.push(`      ${c.description}`);
      if (c.error) out.push(`      error: ${c.error}`);
      for (const m of c.mismatches) {
        out.push(`      ${m.title}`);
        for (const l of m.lines) out.push(`        ${l}`);
      }
    }
    out.push("");
  }
  const total = run.passed + run.failed;
  const summary = total === 0 ? "no tests found" : `${run.failed ? `${run.failed} failed, ` : ""}${run.passed} passed (${plural(total, "case")} in ${plural(run.files.length, "file")}, ${(run.durationMs / 1000).toFixed(1)} s)`;
  out.push(run.failed ? `FAILED: ${summary}` : summary);
  return out.join("\n") + "\n";
}

/** The machine report: stable keys, one object. */
export function testRunJson(run: TestRun): string {
  return (
    JSON.stringify(
      {
        ok: run.failed === 0,
        passed: run.passed,
        failed: run.failed,
        durationMs: run.durationMs,
        files: run.files.map((f) => ({
          file: f.file,
          pipeline: f.pipeline,
          cases: f.cases.map((c) => ({
            name: c.name,
            ...(c.description ? { description: c.description } : {}),
            ok: c.ok,
            at: c.from,
            expectAt: c.to,
            ran: c.ran,
            durationMs: c.durationMs,
            counts: c.counts,
            mismatches: c.mismatches,
            ...(c.error ? { error: c.error } : {}),
          })),
        })),
      },
      null,
      2,
    ) + "\n"
  );
}
