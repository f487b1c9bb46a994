/**
 * A private moto_server for `pipegen run --local`: listens on 127.0.0.1 only, on a port the kernel
 * picked as free; runs in its own process group and is stopped through its own PID (SIGTERM, then
 * SIGKILL), never by name. If pipegen exits without stopping it, an exit hook kills it; if pipegen
 * is killed outright (no hook runs), a tiny detached watchdog notices its parent is gone and kills it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { requireTool } from "./tools.ts";

/** A running emulator. */
export interface Emulator {
  endpoint: string;
  /** PID of the process pipegen started (also its process group), or undefined for `--endpoint`. */
  pid?: number;
  logs(): string;
  /** Stops it and waits for the exit; idempotent. */
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") return reject(new Error("no port"));
      srv.close((err) => (err ? reject(err) : resolvePort(addr.port)));
    });
  });
}

/**
 * The end of an emulator's log for an error message: the requests it answered last (moto_server
 * logs one line per answered request, with its time and status) and any traceback it printed.
 */
export function emulatorLogTail(log: string, lines = 25): string {
  const kept = log.split("\n").filter((l) => l.trim() !== "");
  return kept.slice(-lines).join("\n");
}

/** True while a process with this PID exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

const live = new Set<number>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const pid of live) killGroup(pid, "SIGKILL");
  });
}

function watchdog(pid: number): ChildProcess | undefined {
  const script = `const [parent, group] = process.argv.slice(1).map(Number);
const alive = (p) => { try { process.kill(p, 0); return true; } catch (e) { return e.code === "EPERM"; } };
const t = setInterval(() => {
  if (!alive(-group)) { clearInterval(t); process.exit(0); }
  if (process.ppid !== parent || !alive(parent)) { try { process.kill(-group, "SIGKILL"); } catch {} clearInterval(t); process.exit(0); }
}, 500);`;
  try {
    const child = spawn(process.execPath, ["-e", script, String(process.pid), String(pid)], { detached: true, stdio: "ignore" });
    child.unref();
    return child;
  } catch {
    return undefined;
  }
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** Starts moto_server and waits until it answers HTTP (retrying when another process took the port first). */
export async function startMoto(readyTimeoutMs = 60_000): Promise<Emulator> {
  const bin = requireTool("moto_server");
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const endpoint = `http://${HOST}:${port}`;
    const child = spawn(bin, ["-H", HOST, "-p", String(port)], { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PYTHONUNBUFFERED: "1" } });
    let log = "";
    const append = (c: Buffer) => {
      log = (log + c.toString("utf8")).slice(-64 * 1024);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    const pid = child.pid;
    if (pid === undefined) {
      const err = await new Promise<Error>((r) => child.once("error", r));
      throw new Error(`could not start ${bin}: ${err.message}`);
    }
    let exited = false;
    const exit = new Promise<void>((r) => child.once("exit", () => ((exited = true), live.delete(pid), r())));
    hookExit();
    live.add(pid);
    const dog = watchdog(pid);
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        if (!exited) {
          killGroup(pid, "SIGTERM");
          if (!(await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)]))) {
            killGroup(pid, "SIGKILL");
            await exit;
          }
        }
        killGroup(pid, "SIGKILL");
        live.delete(pid);
        if (dog?.pid !== undefined) {
          try {
            process.kill(dog.pid, "SIGKILL");
          } catch {
            /* exited */
          }
        }
      })());
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline && !exited) {
      if (await answers(endpoint)) return { endpoint, pid, logs: () => log, stop };
      await sleep(150);
    }
    await stop();
    lastError = new Error(`${exited ? "moto_server exited early" : `moto_server did not answer on ${endpoint} within ${readyTimeoutMs} ms`}\n${log}`);
    if (!/address already in use|errno 98/i.test(log)) break;
  }
  throw lastError ?? new Error("moto_server did not start");
}

/** An emulator someone else runs (`--endpoint`): nothing to stop. */
export function externalEmulator(endpoint: string): Emulator {
  return { endpoint: endpoint.replace(/\/$/, ""), logs: () => "", stop: async () => {} };
}
