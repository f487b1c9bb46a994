import type { RegisterCommand } from "../io.ts";
import { EXIT, reporterOption } from "../io.ts";
import type { Reporter } from "../../diagnostics/render.ts";
import { renderDiagnostics } from "../../diagnostics/render.ts";
import { hasErrors } from "../../diagnostics/diagnostic.ts";
import { build, defaultSpecs } from "../build.ts";

/** `pipegen build [files…] [--out DIR] [--check]`. */
export const registerBuild: RegisterCommand = (program, io, state) => {
  program
    .command("build")
    .description("Validate, then write one Terraform module per pipeline to <out>/<pipeline>/.")
    .argument("[files...]", "pipeline files (default: pipelines/*.yaml)")
    .option("--out <dir>", "output folder", "generated")
    .option("--check", "write nothing; exit 1 when the output folder differs from what build would write")
    .addOption(reporterOption())
    .action(async (files: string[], o: { out: string; check?: boolean; reporter: Reporter }) => {
      const specs = files.length ? files : defaultSpecs(io.cwd);
      const r = await build(specs, { cwd: io.cwd, outDir: o.out, check: Boolean(o.check) });
      if (r.diagnostics.length) io.err(renderDiagnostics(r.diagnostics, o.reporter, r.sources));
      if (hasErrors(r.diagnostics)) {
        io.err(`build failed: ${r.diagnostics.filter((d) => d.severity === "error").length} error(s); nothing was written\n`);
        state.code = EXIT.invalid;
        return;
      }
      if (o.check) {
        if (r.stale.length) {
          io.err(`error PG5001: generated output is stale; run \`npx pipegen build\` and commit:\n${r.stale.map((s) => `  ${s}`).join("\n")}\n`);
          state.code = EXIT.invalid;
        } else io.out(`${r.modules.length} module${r.modules.length === 1 ? "" : "s"} up to date\n`);
        return;
      }
      for (const s of r.stubs) io.out(`created ${s} (your code; pipegen will not overwrite it)\n`);
      io.out(r.written.map((w) => `wrote ${w}\n`).join(""));
      const names = [...r.modules.map((m) => m.pipeline), ...r.unchanged].sort();
      const skipped = r.unchanged.length ? ` (${r.unchanged.length} unchanged since the last build, skipped)` : "";
      io.out(`built ${names.join(", ")}: ${r.written.length} file${r.written.length === 1 ? "" : "s"} changed${skipped}\n`);
    });
};
