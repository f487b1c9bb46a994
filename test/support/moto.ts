/**
 * Start/stop a private moto_server (AWS API emulator) for one test file.
 *
 * - Binds 127.0.0.1 only, on a free port picked by the kernel (bind :0, close, reuse;
 *   retried if another process wins the race).
 * - Spawned detached, so it leads its own process group; stop() signals that group by
 *   its own PID (SIGTERM, then SIGKILL after a grace period) and waits for the exit.
 *   Nothing is ever killed by name.
 * - Cleanup if the test process dies: a synchronous `exit` hook and SIGINT/SIGTERM/SIGHUP
 *   hooks kill every still-running instance; for a test process killed with SIGKILL
 *   (no hook runs) a tiny detached watchdog process kills the moto group once its parent
 *   is gone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { findMotoServer } from "./tools.ts";

export interface MotoServer {
  /** Base URL, e.g. http://127.0.0.1:43121 */
  endpoint: string;
  port: number;
  /** PID of the moto_server process (also its process-group id). */
  pid: number;
  /** Everything moto wrote to stdout/stderr so far (bounded), for failure messages. */
  logs(): string;
  /** Kill the server (process group) and wait until it has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** How long to wait for moto to answer HTTP. Default 60 s. */
  readyTimeoutMs?: number;
  /** Port-race retries. Default 3. */
  attempts?: number;
}

const HOST = "127.0.0.1";
const MAX_LOG_CHARS = 64 * 1024;

/** Ask the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") {
        srv.close();
        reject(new Error(`could not read the port of a probe socket: ${String(addr)}`));
        return;
      }
      const { port } = addr;
      srv.close((err) => (err ? reject(err) : resolvePort(port)));
    });
  });
}

// ---------------------------------------------------------------------------
// Process-exit cleanup registry
// ---------------------------------------------------------------------------

const live = new Map<number, ChildProcess>();
let hooksInstalled = false;

function killGroupSync(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // group already gone; try the leader alone in case setsid failed
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

function killAllLiveSync(): void {
  for (const pid of live.keys()) killGroupSync(pid, "SIGKILL");
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllLiveSync();
  process.removeListener(signal, onSignal);
  // If nobody else handles the signal, restore the default behaviour (terminate).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllLiveSync);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, onSignal);
}

/**
 * Watchdog for the case no hook can run (test process SIGKILLed): a detached node process
 * that polls its parent and kills the moto group when the parent is gone. It exits on its
 * own as soon as the moto group is gone (i.e. after a normal stop()).
 */
function spawnWatchdog(motoPid: number): ChildProcess | undefined {
  const script = `
    const parent = Number(process.argv[1]);
    const group = Number(process.argv[2]);
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; } };
    const timer = setInterval(() => {
      if (!alive(-group)) { clearInterval(timer); process.exit(0); }
      if (process.ppid !== parent || !alive(parent)) {
        try { process.kill(-group, "SIGKILL"); } catch {}
        clearInterval(timer); process.exit(0);
      }
    }, 500);
  `;
  try {
    const child = spawn(process.execPath, ["-e", script, String(process.pid), String(motoPid)], {
      detached: true,
      stdio: "ignore",
    });
    child.unref();
    return child;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------

async function answersHttp(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return true; // any HTTP status means the server is up
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class StartFailure extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

async function startOnce(motoPath: string, readyTimeoutMs: number): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://${HOST}:${port}`;
  const child = spawn(motoPath, ["-H", HOST, "-p", String(port)], {
    detached: true, // own process group: stop() can kill moto and anything it forks
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });

  let log = "";
  const append = (chunk: Buffer) => {
    log += chunk.toString("utf8");
    if (log.length > MAX_LOG_CHARS) log = log.slice(log.length - MAX_LOG_CHARS);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolveExit) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      if (child.pid !== undefined) live.delete(child.pid);
      resolveExit();
    });
  });
  const spawnError = new Promise<Error>((resolveErr) => child.once("error", resolveErr));

  const pid = child.pid;
  if (pid === undefined) {
    const err = await spawnError;
    throw new StartFailure(`could not spawn ${motoPath}: ${err.message}`, false);
  }
  installHooks();
  live.set(pid, child);
  const watchdog = spawnWatchdog(pid);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        killGroupSync(pid, "SIGTERM");
        const graceful = await Promise.race([exitPromise.then(() => true), sleep(10_000).then(() => false)]);
        if (!graceful) {
          killGroupSync(pid, "SIGKILL");
          await exitPromise;
        }
      }
      // Anything else left in the group (moto does not normally fork) goes too.
      killGroupSync(pid, "SIGKILL");
      live.delete(pid);
      if (watchdog?.pid !== undefined) {
        try {
          process.kill(watchdog.pid, "SIGKILL");
        } catch {
          /* already exited */
        }
      }
    })();
    return stopping;
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    if (await answersHttp(endpoint)) {
      return { endpoint, port, pid, logs: () => log, stop };
    }
    await sleep(150);
  }
  await stop();
  const why = exited
    ? `moto_server exited early (code ${String(exited.code)}, signal ${String(exited.signal)})`
    : `moto_server did not answer HTTP on ${endpoint} within ${readyTimeoutMs} ms`;
  throw new StartFailure(`${why}.\n--- moto_server output ---\n${log}`, /address already in use|errno 98/i.test(log));
}

/** Start a private moto_server on 127.0.0.1 and wait until it answers HTTP. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const motoPath = findMotoServer(); // throws loudly if missing
  const attempts = options.attempts ?? 3;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startOnce(motoPath, options.readyTimeoutMs ?? 60_000);
    } catch (err) {
      last = err;
      if (!(err instanceof StartFailure) || !err.portInUse) throw err;
    }
  }
  throw last;
}

/** True while a process with this PID exists (signal 0 probe). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
