import { InvalidArgumentError, Option } from "commander";
import type { RegisterCommand } from "../io.ts";
import { EXIT, reporterOption } from "../io.ts";
import type { Reporter } from "../../diagnostics/render.ts";
import { renderDiagnostics } from "../../diagnostics/render.ts";
import { UsageError } from "../../diagnostics/diagnostic.ts";

function positive(name: string, integer: boolean) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new InvalidArgumentError(`${name} must be a positive ${integer ? "integer" : "number"}`);
    return n;
  };
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("port must be an integer from 0 to 65535 (0 = any free port)");
  return n;
}

function endpoint(v: string): string {
  if (!/^https?:\/\/[^/\s]+\/?$/.test(v)) throw new InvalidArgumentError("endpoint must be a base URL such as http://127.0.0.1:5000");
  return v.replace(/\/$/, "");
}

/** `pipegen run <file> --local [--endpoint URL] [--speed N] [--duration S] [--records N] [--port P]`. */
export const registerRun: RegisterCommand = (program, io, state) => {
  program
    .command("run")
    .description("Run a whole pipeline locally: apply its module to an AWS emulator (moto_server) and play schedules, stream consumers and the HTTP API with the bundled handlers.")
    .argument("<file>", "pipeline file")
    .option("--local", "run against a local AWS emulator (required: the only mode)")
    .option("--endpoint <url>", "use this AWS-compatible emulator instead of starting moto_server", endpoint)
    .option("--speed <n>", "simulated clock speed: schedules, batching windows and tumbling windows run N times faster", positive("speed", false), 1)
    .option("--duration <seconds>", "end the run after this many seconds (processing what is in the stream first)", positive("duration", false))
    .option("--records <n>", "stop generating after N records; the run ends once they are processed (unless --duration keeps it serving)", positive("records", true))
    .addOption(new Option("--port <port>", "port of the local HTTP API on 127.0.0.1 (0 = any free port)").argParser(port).default(3000))
    .option("--out <dir>", "folder of the generated modules whose bundles are reused when fresh", "generated")
    .addOption(reporterOption())
    .action(async (file: string, o: { local?: boolean; endpoint?: string; speed: number; duration?: number; records?: number; port: number; out: string; reporter: Reporter }) => {
      if (!o.local) throw new UsageError("`pipegen run` needs --local: it runs the pipeline on an AWS emulator (deploy to AWS with terraform from generated/<pipeline>/)");
      const ctl = new AbortController();
      const onSignal = (sig: NodeJS.Signals) => {
        if (ctl.signal.aborted) {
          io.err(`\n${sig} again: stopping now\n`);
          process.exit(130); // the exit hook stops the emulator
        }
        io.err(`\n${sig}: shutting down (again to force)\n`);
        ctl.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        // Loaded on demand: the emulator runner pulls in the AWS SDK, which other commands never need.
        const { runLocal } = await import("../../local/run-local.ts");
        const r = await runLocal({
          file,
          cwd: io.cwd,
          outDir: o.out,
          ...(o.endpoint ? { endpoint: o.endpoint } : {}),
          speed: o.speed,
          ...(o.duration !== undefined ? { durationSeconds: o.duration } : {}),
          ...(o.records !== undefined ? { records: o.records } : {}),
          port: o.port,
          out: io.out,
          err: io.err,
          interrupt: ctl.signal,
        });
        if (r.diagnostics.length) io.err(renderDiagnostics(r.diagnostics, o.reporter, r.sources));
        state.code = r.code === 0 ? EXIT.ok : r.code;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
};
