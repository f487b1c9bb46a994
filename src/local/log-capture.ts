/**
 * Handlers log one JSON object per line on console.log/console.error (CloudWatch style). When they
 * run in this process those lines are captured per invocation (AsyncLocalStorage keeps concurrent
 * invocations apart) instead of mixing into pipegen's own output; the caller reads the summaries
 * and failure reasons from them.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { format } from "node:util";

/** One line a handler logged, parsed when it is JSON. */
export interface LogLine {
  level: "info" | "warn" | "error";
  text: string;
  json?: Record<string, unknown>;
}

const store = new AsyncLocalStorage<LogLine[]>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const original = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const wrap = (level: LogLine["level"], fallback: (...a: unknown[]) => void) =>
    (...args: unknown[]) => {
      const sink = store.getStore();
      if (!sink) return fallback(...args);
      const text = format(...args);
      let json: Record<string, unknown> | undefined;
      try {
        const v: unknown = JSON.parse(text);
        if (typeof v === "object" && v !== null && !Array.isArray(v)) json = v as Record<string, unknown>;
      } catch {
        /* plain text */
      }
      const lvl = json && (json.level === "warn" || json.level === "error" || json.level === "info") ? json.level : level;
      sink.push({ level: lvl, text, ...(json ? { json } : {}) });
    };
  console.log = wrap("info", original.log);
  console.info = wrap("info", original.info);
  console.warn = wrap("warn", original.warn);
  console.error = wrap("error", original.error);
}

/** Runs `fn` with console output captured; returns its result (or error) and the lines. */
export async function captured<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T; logs: LogLine[] } | { ok: false; error: unknown; logs: LogLine[] }> {
  install();
  const logs: LogLine[] = [];
  try {
    const value = await store.run(logs, fn);
    return { ok: true, value, logs };
  } catch (error) {
    return { ok: false, error, logs };
  }
}

/** Failure reasons the runtime logged per sequence number (`record_failed`). */
export function failureReasons(logs: readonly LogLine[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of logs) {
    const j = l.json;
    if (j?.msg === "record_failed" && typeof j.sequenceNumber === "string" && typeof j.reason === "string") out.set(j.sequenceNumber, j.reason);
  }
  return out;
}

/** The first log line with this `msg`. */
export function logMessage(logs: readonly LogLine[], msg: string): Record<string, unknown> | undefined {
  return logs.find((l) => l.json?.msg === msg)?.json;
}
