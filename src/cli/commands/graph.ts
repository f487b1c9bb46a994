import type { RegisterCommand } from "../io.ts";
import { EXIT, reporterOption } from "../io.ts";
import type { Reporter } from "../../diagnostics/render.ts";
import { renderDiagnostics } from "../../diagnostics/render.ts";
import { hasErrors } from "../../diagnostics/diagnostic.ts";
import { analyze, readSpec } from "../../compile/compile.ts";
import { mermaid } from "../../plan/readme.ts";

/** `pipegen graph <file>`: the DAG as Mermaid. */
export const registerGraph: RegisterCommand = (program, io, state) => {
  program
    .command("graph")
    .description("Print a pipeline's component graph as a Mermaid flowchart.")
    .argument("<file>", "pipeline file")
    .addOption(reporterOption())
    .action((file: string, o: { reporter: Reporter }) => {
      const read = readSpec(file, io.cwd);
      const a = read.text === undefined ? { diagnostics: read.diagnostics, model: undefined } : analyze(file, read.text);
      if (hasErrors(a.diagnostics) || !a.model) {
        io.err(renderDiagnostics(a.diagnostics, o.reporter, new Map(read.text ? [[file, read.text]] : [])));
        state.code = EXIT.invalid;
        return;
      }
      io.out(mermaid(a.model));
    });
};
