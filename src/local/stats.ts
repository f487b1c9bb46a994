/** Counters of one function while `pipegen run --local` runs, fed by invocation results and the handlers' summary log lines. */
import type { LogLine } from "./log-capture.ts";

export class FunctionStats {
  /** Distinct records (`shardId:sequenceNumber`) delivered to the function. */
  readonly seen = new Set<string>();
  invocations = 0;
  /** Invocations that threw or answered invalidly. */
  errors = 0;
  /** Records reported as batch item failures, over all invocations (a retried record counts again). */
  reported = 0;
  /** Records sent to the on-failure destination after the retries. */
  parked = 0;
  /** Records filtered out, written, folded into window state; window rows written; windows closed. */
  filtered = 0;
  written = 0;
  aggregated = 0;
  rows = 0;
  windows = 0;
  /** Generator: records put into the stream. */
  generated = 0;
  /** API: requests and answers by class. */
  requests = 0;
  answered2xx = 0;
  answered4xx = 0;
  answered5xx = 0;
  lastProblem?: string;

  /** Adds what a handler's summary lines report. */
  absorb(logs: readonly LogLine[]): void {
    for (const l of logs) {
      const j = l.json;
      if (!j) continue;
      const n = (k: string) => (typeof j[k] === "number" ? (j[k] as number) : 0);
      switch (j.msg) {
        case "batch_summary":
          this.filtered += n("filtered");
          this.written += n("written");
          break;
        case "window_batch_summary":
          this.filtered += n("filtered");
          this.aggregated += n("aggregated");
          break;
        case "window_final_summary":
          this.rows += n("written");
          this.windows++;
          break;
        case "generator_summary":
          this.generated += n("put");
          break;
        case "record_failed":
          if (typeof j.reason === "string") this.lastProblem = j.reason;
          break;
      }
    }
  }
}
