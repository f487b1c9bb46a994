import type { RegisterCommand } from "../io.ts";
import { EXIT, reporterOption } from "../io.ts";
import type { Reporter } from "../../diagnostics/render.ts";
import { renderDiagnostics } from "../../diagnostics/render.ts";
import { hasErrors } from "../../diagnostics/diagnostic.ts";
import { build, defaultSpecs } from "../build.ts";

/** `pipegen validate [files…]`: schema and semantic checks only. */
export const registerValidate: RegisterCommand = (program, io, state) => {
  program
    .command("validate")
    .description("Check pipeline files against the schema and the semantic rules; writes nothing.")
    .argument("[files...]", "pipeline files (default: pipelines/*.yaml)")
    .addOption(reporterOption())
    .action(async (files: string[], o: { reporter: Reporter }) => {
      const specs = files.length ? files : defaultSpecs(io.cwd);
      const r = await build(specs, { cwd: io.cwd, outDir: "generated", check: false, validateOnly: true });
      if (r.diagnostics.length) io.err(renderDiagnostics(r.diagnostics, o.reporter, r.sources));
      if (hasErrors(r.diagnostics)) state.code = EXIT.invalid;
      else io.out(`${specs.length} pipeline file${specs.length === 1 ? "" : "s"} valid\n`);
    });
};
