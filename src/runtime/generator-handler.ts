/** Scheduled generator: builds synthetic records and puts them into a Kinesis stream. */
import { kinesisClient } from "./clients.ts";
import { requireEnv } from "./env.ts";
import { logJson } from "./log.ts";
import { genRecord, type Gen, type GenDeps, type SeqState } from "./gen.ts";
import { putRecordsWithRetry } from "./kinesis-put.ts";

/** Options of {@link generatorHandler}. */
export interface GeneratorOptions {
  streamEnv: string;
  recordsPerRun: number;
  partitionKeyField: string;
  fields: Record<string, Gen>;
}

/**
 * Handler that puts `recordsPerRun` records per invocation. It throws when records still fail after
 * retries, so the asynchronous invoke is retried and finally goes to the DLQ instead of losing data.
 * `sequence` fields count up across runs of one warm container and restart on a cold start.
 */
export function generatorHandler(o: GeneratorOptions, deps: GenDeps = {}): () => Promise<{ put: number }> {
  if (!(o.partitionKeyField in o.fields)) throw new Error(`partitionKeyField '${o.partitionKeyField}' is not a generated field`);
  const random = deps.random ?? Math.random;
  const now = deps.now ?? (() => new Date());
  const seq: SeqState = new Map();
  return async () => {
    const stream = requireEnv(o.streamEnv);
    const entries = [];
    for (let i = 0; i < o.recordsPerRun; i++) {
      const rec = genRecord(o.fields, random, now, seq);
      entries.push({ Data: Buffer.from(JSON.stringify(rec)), PartitionKey: String(rec[o.partitionKeyField]) });
    }
    const put = await putRecordsWithRetry(kinesisClient(), stream, entries);
    logJson("info", "generator_summary", { put });
    return { put };
  };
}
