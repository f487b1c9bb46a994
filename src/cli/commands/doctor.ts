import type { RegisterCommand } from "../io.ts";
import { EXIT } from "../io.ts";

/** `pipegen doctor`: which AWS account and principal the credentials are, and whether the tools fit the modules. */
export const registerDoctor: RegisterCommand = (program, io, state) => {
  program
    .command("doctor")
    .description(
      "Check the current AWS credentials (account, principal, session) against the environment's account, and Node, Terraform and provider versions against what the generated modules require.",
    )
    .option("--pipeline <name>", "the pipeline whose module and environments to check (default: every built module)")
    .option("--environment <env>", "the environment whose declared account the credentials must match")
    .option("--expected-account <id>", "the 12-digit account the credentials must resolve to (overrides the environment's)")
    .action(async (o: { pipeline?: string; environment?: string; expectedAccount?: string }) => {
      // Loaded on use: the doctor's probes start child processes, which no other command needs.
      const [{ runDoctor }, { renderChecklist }] = await Promise.all([import("../../delivery/doctor/doctor.ts"), import("../../delivery/doctor/checks.ts")]);
      const { heading, checks } = await runDoctor({ cwd: io.cwd, ...o });
      io.out(renderChecklist(heading, checks));
      const failed = checks.filter((c) => c.status === "fail");
      if (failed.length) {
        io.err(`pipegen doctor: ${failed.length} check${failed.length === 1 ? "" : "s"} failed: ${failed.map((c) => c.title).join("; ")}\n`);
        state.code = EXIT.invalid;
      }
    });
};
