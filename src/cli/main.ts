import { Command, CommanderError } from "commander";
import { UsageError } from "../diagnostics/diagnostic.ts";
import { COMMANDS } from "./commands/index.ts";
import type { Io } from "./io.ts";
import { EXIT } from "./io.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../assets.ts";

export { EXIT };

/** pipegen's version, from its package.json. */
function version(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

/** Runs the CLI with argv (without node and script) and returns the exit code; never calls process.exit. */
export async function main(argv: string[], io: Io): Promise<number> {
  const state = { code: EXIT.ok as number };
  const program = new Command("pipegen")
    .description("Compile data pipeline YAML into a Terraform root module and bundled Lambda handlers.")
    .version(version(), "-V, --version", "print pipegen's version")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(run `pipegen --help` for usage)");
  for (const register of COMMANDS) register(program, io, state);

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
  return state.code;
}
