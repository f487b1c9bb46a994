import { Command, CommanderError, Option } from "commander";
import { existsSync, writeFileSync, mkdirSync } from "node:fs";
import { resolve, join } from "node:path";
import { build, defaultSpecs } from "./build.ts";
import type { Reporter } from "../diagnostics/render.ts";
import { renderDiagnostics } from "../diagnostics/render.ts";
import { hasErrors, UsageError } from "../diagnostics/diagnostic.ts";
import { analyze, readSpec } from "../compile/compile.ts";
import { mermaid } from "../plan/readme.ts";
import { starterPipeline } from "./init.ts";

/** Exit codes: 0 success, 1 invalid input or stale output, 2 usage error. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

interface Io {
  cwd: string;
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Runs the CLI with argv (without node and script) and returns the exit code; never calls process.exit. */
export async function main(argv: string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command("pipegen")
    .description("Compile data pipeline YAML into a Terraform root module and bundled Lambda handlers.")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(run `pipegen --help` for usage)");
  const reporter = () => new Option("--reporter <kind>", "diagnostics format").choices(["pretty", "short", "github", "json"]).default("pretty");

  program
    .command("validate")
    .description("Check pipeline files against the schema and the semantic rules; writes nothing.")
    .argument("[files...]", "pipeline files (default: pipelines/*.yaml)")
    .addOption(reporter())
    .action(async (files: string[], o: { reporter: Reporter }) => {
      const specs = files.length ? files : defaultSpecs(io.cwd);
      const r = await build(specs, { cwd: io.cwd, outDir: "generated", check: false, validateOnly: true });
      if (r.diagnostics.length) io.err(renderDiagnostics(r.diagnostics, o.reporter, r.sources));
      if (hasErrors(r.diagnostics)) code = EXIT.invalid;
      else io.out(`${specs.length} pipeline file${specs.length === 1 ? "" : "s"} valid\n`);
    });

  program
    .command("build")
    .description("Validate, then write one Terraform module per pipeline to <out>/<pipeline>/.")
    .argument("[files...]", "pipeline files (default: pipelines/*.yaml)")
    .option("--out <dir>", "output folder", "generated")
    .option("--check", "write nothing; exit 1 when the output folder differs from what build would write")
    .addOption(reporter())
    .action(async (files: string[], o: { out: string; check?: boolean; reporter: Reporter }) => {
      const specs = files.length ? files : defaultSpecs(io.cwd);
      const r = await build(specs, { cwd: io.cwd, outDir: o.out, check: Boolean(o.check) });
      if (r.diagnostics.length) io.err(renderDiagnostics(r.diagnostics, o.reporter, r.sources));
      if (hasErrors(r.diagnostics)) {
        io.err(`build failed: ${r.diagnostics.filter((d) => d.severity === "error").length} error(s); nothing was written\n`);
        code = EXIT.invalid;
        return;
      }
      if (o.check) {
        if (r.stale.length) {
          io.err(`generated output is stale (PG5001); run \`npx pipegen build\` and commit:\n${r.stale.map((s) => `  ${s}`).join("\n")}\n`);
          code = EXIT.invalid;
        } else io.out(`${r.modules.length} module${r.modules.length === 1 ? "" : "s"} up to date\n`);
        return;
      }
      for (const s of r.stubs) io.out(`created ${s} (your code; pipegen will not overwrite it)\n`);
      io.out(r.written.length ? r.written.map((w) => `wrote ${w}\n`).join("") : "");
      io.out(`built ${r.modules.map((m) => m.pipeline).join(", ")}: ${r.written.length} file${r.written.length === 1 ? "" : "s"} changed\n`);
    });

  program
    .command("graph")
    .description("Print a pipeline's component graph as a Mermaid flowchart.")
    .argument("<file>", "pipeline file")
    .addOption(reporter())
    .action((file: string, o: { reporter: Reporter }) => {
      const read = readSpec(file, io.cwd);
      const a = read.text === undefined ? { diagnostics: read.diagnostics } : analyze(file, read.text);
      if (hasErrors(a.diagnostics) || !("model" in a) || !a.model) {
        io.err(renderDiagnostics(a.diagnostics, o.reporter, new Map(read.text ? [[file, read.text]] : [])));
        code = EXIT.invalid;
        return;
      }
      io.out(mermaid(a.model));
    });

  program
    .command("init")
    .description("Write a commented starter pipeline to pipelines/<name>.yaml that validates and builds as written.")
    .argument("<name>", "pipeline name: lower-case letters, digits and -")
    .option("--force", "overwrite an existing file")
    .action((name: string, o: { force?: boolean }) => {
      if (!/^[a-z][a-z0-9-]{1,23}$/.test(name)) throw new UsageError(`invalid pipeline name "${name}": use 2-24 lower-case letters, digits and -, starting with a letter`);
      const path = join(io.cwd, "pipelines", `${name}.yaml`);
      if (existsSync(path) && !o.force) throw new UsageError(`pipelines/${name}.yaml already exists (use --force to overwrite)`);
      mkdirSync(join(io.cwd, "pipelines"), { recursive: true });
      writeFileSync(path, starterPipeline(name));
      io.out(`created pipelines/${name}.yaml; next: npx pipegen build pipelines/${name}.yaml\n`);
    });

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UsageError) {
      io.err(`pipegen: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  return code;
}

/** Absolute cwd for the process entry point. */
export function processCwd(): string {
  return resolve(process.cwd());
}
