import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from "@aws-sdk/client-kinesis";

export interface ShardRecords {
  shardId: string;
  records: Array<{ data: Buffer; partitionKey: string; sequenceNumber: string; arrival: number }>;
}

/** Reads every record of every shard from the start, as an event source mapping at TRIM_HORIZON would. */
export async function readStream(kinesis: KinesisClient, streamName: string): Promise<ShardRecords[]> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const out: ShardRecords[] = [];
  for (const s of shards) {
    let it = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: s.ShardId!, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
    const records: ShardRecords["records"] = [];
    for (let i = 0; i < 20 && it; i++) {
      const r = await kinesis.send(new GetRecordsCommand({ ShardIterator: it, Limit: 1000 }));
      for (const rec of r.Records ?? []) {
        records.push({ data: Buffer.from(rec.Data!), partitionKey: rec.PartitionKey!, sequenceNumber: rec.SequenceNumber!, arrival: (rec.ApproximateArrivalTimestamp ?? new Date()).getTime() / 1000 });
      }
      if (!r.Records?.length) break;
      it = r.NextShardIterator;
    }
    out.push({ shardId: s.ShardId!, records });
  }
  return out;
}

/** A Kinesis event source mapping batch for one shard, in the shape Lambda delivers. */
export function kinesisEvent(streamArn: string, shard: ShardRecords, records = shard.records) {
  return {
    Records: records.map((r) => ({
      kinesis: { kinesisSchemaVersion: "1.0", partitionKey: r.partitionKey, sequenceNumber: r.sequenceNumber, data: r.data.toString("base64"), approximateArrivalTimestamp: r.arrival },
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventID: `${shard.shardId}:${r.sequenceNumber}`,
      eventName: "aws:kinesis:record",
      invokeIdentityArn: "arn:aws:iam::123456789012:role/test",
      awsRegion: "us-east-1",
      eventSourceARN: streamArn,
    })),
  };
}

/** The same batch with tumbling-window fields, as Lambda sends them when TumblingWindowInSeconds is set. */
export function windowEvent(streamArn: string, shard: ShardRecords, records: ShardRecords["records"], window: { start: string; end: string }, state: Record<string, string>, final: boolean) {
  return { ...kinesisEvent(streamArn, shard, records), window, state, shardId: shard.shardId, eventSourceARN: streamArn, isFinalInvokeForWindow: final, isWindowTerminatedEarly: false };
}
