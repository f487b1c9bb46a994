/** Structured JSON log lines: CloudWatch Logs Insights parses one JSON object per line. */

/** Writes one JSON log line; callers pass reasons and counts, never record payloads. */
export function logJson(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === "info") console.log(line);
  else console.error(line);
}

/** Describes an error without its stack; the message is truncated because it may echo input. */
export function errorReason(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 200);
  return String(err).slice(0, 200);
}
