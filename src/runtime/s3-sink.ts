/** S3 sink: JSON lines, one object per (partition, shard) group of a batch. */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { Sink, SinkItem } from "./types.ts";
import { s3Client } from "./clients.ts";
import { requireEnv } from "./env.ts";
import { errorReason, logJson } from "./log.ts";
import { isTimestamp } from "./contract.ts";
import { objectKey, partitionPath, type PartitionPart } from "./partition.ts";

/** Options of {@link s3Sink}. */
export interface S3SinkOptions {
  name: string;
  bucketEnv: string;
  prefix: string;
  partitionBy: PartitionPart[];
  /** Record timestamp field used for partitions; default is the arrival time. */
  timeField?: string;
}

interface Group {
  partition: string;
  shardId: string;
  items: SinkItem[];
}

/** Writes items as JSON lines under deterministic keys; a failed PutObject fails its whole group. */
export function s3Sink(o: S3SinkOptions): Sink {
  return {
    name: o.name,
    async write(items) {
      const failed: string[] = [];
      const groups = new Map<string, Group>();
      for (const item of items) {
        const t = o.timeField === undefined ? item.arrival : item.record[o.timeField];
        if (o.timeField !== undefined && !isTimestamp(t)) {
          logJson("warn", "record_failed", { sink: o.name, sequenceNumber: item.sequenceNumber, reason: `field '${o.timeField}' is not a timestamp` });
          failed.push(item.sequenceNumber);
          continue;
        }
        const partition = partitionPath(typeof t === "string" ? Date.parse(t) : (t as number), o.partitionBy);
        const id = `${partition}\u0000${item.shardId}\u0000${item.checkpoint ?? ""}`;
        const g = groups.get(id) ?? { partition, shardId: item.shardId, items: [] };
        g.items.push(item);
        groups.set(id, g);
      }
      if (groups.size === 0) return { failed };
      const bucket = requireEnv(o.bucketEnv);
      await Promise.all(
        [...groups.values()].map(async (g) => {
          // Named by the retry checkpoint when there is one, so a redelivered batch overwrites the
          // object; otherwise (window results) by the group's first/last ids, which are stable too.
          const first = g.items[0]!;
          const key = first.checkpoint
            ? objectKey(o.prefix, g.partition, g.shardId, first.checkpoint)
            : objectKey(o.prefix, g.partition, g.shardId, first.sequenceNumber, g.items[g.items.length - 1]!.sequenceNumber);
          const body = g.items.map((i) => JSON.stringify(i.record)).join("\n") + "\n";
          try {
            await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/x-ndjson" }));
          } catch (err) {
            logJson("error", "sink_write_failed", { sink: o.name, key, records: g.items.length, reason: errorReason(err) });
            for (const i of g.items) failed.push(i.sequenceNumber);
          }
        }),
      );
      return { failed };
    },
  };
}
