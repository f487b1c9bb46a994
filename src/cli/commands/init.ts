import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RegisterCommand } from "../io.ts";
import { UsageError } from "../../diagnostics/diagnostic.ts";
import { starterPipeline } from "../init.ts";

/** `pipegen init <name>`: a commented starter pipeline. */
export const registerInit: RegisterCommand = (program, io) => {
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
};
