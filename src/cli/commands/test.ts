import type { RegisterCommand } from "../io.ts";
import { EXIT, reporterOption } from "../io.ts";
import type { Reporter } from "../../diagnostics/render.ts";
import { renderDiagnostics } from "../../diagnostics/render.ts";
import { hasErrors } from "../../diagnostics/diagnostic.ts";
import { defaultSpecs } from "../build.ts";

/** `pipegen test [files…] [--json]`: runs the `tests:` cases through the generated handlers. */
export const registerTest: RegisterCommand = (program, io, state) => {
  program
    .command("test")
    .description("Run the `tests:` cases of pipeline files through the generated handler code, in-process, with sinks writing to a local fake of S3 and DynamoDB.")
    .argument("[files...]", "pipeline files (default: pipelines/*.yaml)")
    .option("--json", "print the results as one JSON object")
    .option("--out <dir>", "folder of the generated modules whose bundles are reused when fresh", "generated")
    .addOption(reporterOption())
    .action(async (files: string[], o: { json?: boolean; out: string; reporter: Reporter }) => {
      const specs = files.length ? files : defaultSpecs(io.cwd);
      // Loaded on demand: running handlers pulls in esbuild and the AWS SDK.
      const { runTests } = await import("../../local/test-command.ts");
      const { renderTestRun, testRunJson } = await import("../../local/test-report.ts");
      const run = await runTests(specs, io.cwd, o.out);
      if (run.diagnostics.length) io.err(renderDiagnostics(run.diagnostics, o.reporter, run.sources));
      if (hasErrors(run.diagnostics)) {
        io.err(`test failed: ${run.diagnostics.filter((d) => d.severity === "error").length} error(s) in the pipeline files; no case ran\n`);
        state.code = EXIT.invalid;
        return;
      }
      io.out(o.json ? testRunJson(run) : renderTestRun(run));
      if (run.failed > 0) state.code = EXIT.invalid;
    });
};
