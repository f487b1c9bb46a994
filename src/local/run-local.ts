/**
 * `pipegen run <file> --local`: the whole pipeline on an AWS API emulator.
 *
 *  1. compile the pipeline (the module and bundles `pipegen build` would write, nothing written);
 *  2. start moto_server on a free 127.0.0.1 port (or use --endpoint), write the module to a working
 *     folder with the emulator override files, `terraform init` from the local provider mirror and
 *     `terraform apply` with a local backend;
 *  3. read back what was created and play the parts the emulator does not run: generator
 *     schedules, one event-source-mapping poller per stream function and shard, and the HTTP API
 *     on 127.0.0.1 — all invoking the bundled handlers in this process, whose SDK clients talk to
 *     the emulator (records land in emulated Kinesis, S3, DynamoDB and SQS);
 *  4. print progress per component; stop at --duration, after --records (once they are processed),
 *     or on Ctrl-C; print a summary; stop the emulator by its PID and remove the working folder.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { hasErrors } from "../diagnostics/diagnostic.ts";
import { compileForLocal } from "./compiled.ts";
import { emulatorLogTail, externalEmulator, startMoto, type Emulator } from "./moto.ts";
import { BUCKET_POLICY_QUIRK, writeEmulatedModule } from "./emulated-module.ts";
import { apply, init, stateResources, TerraformError } from "./terraform.ts";
import { findPluginDir, MissingToolError, requireTool } from "./tools.ts";
import { readDeployment } from "./deployment.ts";
import { play } from "./play.ts";

export interface RunLocalOptions {
  file: string;
  cwd: string;
  outDir: string;
  /** An emulator to use instead of starting moto_server. */
  endpoint?: string;
  speed: number;
  durationSeconds?: number;
  records?: number;
  /** Port of the local API on 127.0.0.1 (0 = any free port). */
  port: number;
  /** Seconds between progress lines. */
  progressSeconds?: number;
  out(s: string): void;
  err(s: string): void;
  /** Aborted on Ctrl-C: stop now (no draining), print the summary, clean up. */
  interrupt: AbortSignal;
}

export interface RunLocalResult {
  code: number;
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
}

const REGION = "us-east-1";
/** The environment name the local module is applied with. */
export const LOCAL_ENVIRONMENT = "local";

/** Runs the pipeline locally; returns the exit code (diagnostics are the caller's to render). */
export async function runLocal(o: RunLocalOptions): Promise<RunLocalResult> {
  const say = (tag: string, msg: string) => o.out(`${tag.padEnd(9)} ${msg}\n`);
  const compiled = await compileForLocal(o.file, o.cwd, o.outDir);
  if (hasErrors(compiled.diagnostics) || !compiled.compiled) return { code: 1, diagnostics: compiled.diagnostics, sources: compiled.sources };
  const cp = compiled.compiled;
  const result = (code: number): RunLocalResult => ({ code, diagnostics: compiled.diagnostics, sources: compiled.sources });
  // Every missing tool at once, before anything starts.
  const missing = [() => requireTool("terraform"), findPluginDir, ...(o.endpoint ? [] : [() => requireTool("moto_server")])].flatMap((check) => {
    try {
      check();
      return [];
    } catch (e) {
      if (e instanceof MissingToolError) return [e.message];
      throw e;
    }
  });
  if (missing.length) {
    o.err(`pipegen run --local cannot start:\n${missing.map((m) => `  - ${m.replace(/\n/g, "\n    ")}`).join("\n")}\n`);
    return result(1);
  }
  let emulator: Emulator | undefined;
  let workDir: string | undefined;
  let keepWorkDir = false;
  try {
    say("pipeline", `${cp.model.name} (${cp.file}): ${cp.units.length} functions`);
    if (o.endpoint) {
      emulator = externalEmulator(o.endpoint);
      say("emulator", `${emulator.endpoint} (given with --endpoint; left running)`);
      // Keep state per pipeline and endpoint, so a second run against the same emulator converges.
      workDir = join(tmpdir(), "pipegen-local", `${cp.model.name}-${createHash("sha256").update(emulator.endpoint).digest("hex").slice(0, 12)}`);
      mkdirSync(workDir, { recursive: true });
      keepWorkDir = true;
    } else {
      emulator = await startMoto();
      say("emulator", `moto_server at ${emulator.endpoint} (pid ${emulator.pid})`);
      workDir = mkdtempSync(join(tmpdir(), `pipegen-local-${cp.model.name}-`));
    }
    if (o.interrupt.aborted) return result(130);
    const touched = writeEmulatedModule(workDir, cp.files, emulator.endpoint, REGION);
    if (touched.length) say("quirk", `${BUCKET_POLICY_QUIRK} (${touched.join(", ")})`);
    const started = Date.now();
    say("module", `terraform init + apply of ${cp.model.name} to the emulator (environment \`${LOCAL_ENVIRONMENT}\`; takes a minute or two)`);
    await init(workDir);
    let created = 0;
    await apply(workDir, { environment: LOCAL_ENVIRONMENT, ephemeral: "true" }, (line) => {
      if (/: Creation complete after/.test(line) && ++created % 20 === 0) say("module", `${created} resources created`);
    }, o.interrupt);
    if (o.interrupt.aborted) return result(130);
    const resources = await stateResources(workDir);
    say("applied", `${resources.length} resources in ${Math.round((Date.now() - started) / 1000)} s`);
    const dep = readDeployment(cp, resources, REGION);
    const stores = cp.model.components.flatMap((c) => {
      const name = dep.names.get(c.id);
      if (!name) return [];
      return [c.type === "s3" ? `${c.id} s3://${name}` : c.type === "dynamodb" ? `${c.id} table ${name}` : c.type === "kinesis" ? `${c.id} stream ${name}` : ""].filter(Boolean);
    });
    say("data", `${stores.join(", ")} (inspect with \`aws --endpoint-url ${emulator.endpoint} …\` while it runs)`);
    await play(cp, dep, emulator, o, say);
    return result(0);
  } catch (err) {
    if (o.interrupt.aborted) {
      o.err("interrupted before the pipeline ran\n");
      return result(130);
    }
    if (err instanceof MissingToolError || err instanceof TerraformError) {
      o.err(`pipegen run: ${err.message}\n`);
      // What the emulator answered last tells an emulator failure (a 500, a traceback, silence
      // since some time) from a module error.
      const tail = err instanceof TerraformError && emulator?.pid !== undefined ? emulatorLogTail(emulator.logs()) : "";
      if (tail) o.err(`the emulator's last log lines (moto_server, newest last):\n${tail}\n`);
      return result(1);
    }
    // Anything else (a busy --port, an emulator that went away): say what, keep the trace for debugging.
    o.err(`pipegen run: ${process.env.PIPEGEN_DEBUG ? String((err as Error)?.stack ?? err) : (err as Error)?.message ?? String(err)}\n`);
    return result(1);
  } finally {
    if (emulator) {
      await emulator.stop();
      if (emulator.pid !== undefined) say("stopped", `moto_server (pid ${emulator.pid})`);
    }
    if (workDir && !keepWorkDir) rmSync(workDir, { recursive: true, force: true });
  }
}
