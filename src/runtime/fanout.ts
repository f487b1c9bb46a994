/** Writing the same items to every sink and merging their failures. */
import type { Sink, SinkItem } from "./types.ts";
import { errorReason, logJson } from "./log.ts";

/** Writes items to all sinks in parallel; returns the sequence numbers that failed in any sink. */
export async function writeAll(sinks: readonly Sink[], items: SinkItem[]): Promise<Set<string>> {
  const failed = new Set<string>();
  if (items.length === 0) return failed;
  const results = await Promise.all(
    sinks.map(async (sink) => {
      try {
        return (await sink.write(items)).failed;
      } catch (err) {
        // A sink that throws has written nothing we can vouch for: fail all of its items.
        logJson("error", "sink_threw", { sink: sink.name, records: items.length, reason: errorReason(err) });
        return items.map((i) => i.sequenceNumber);
      }
    }),
  );
  for (const list of results) for (const seq of list) failed.add(seq);
  return failed;
}
