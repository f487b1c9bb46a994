/** S3 object keys: Hive-style time partitions plus the batch's sequence range. */

/** Time partition granularity. */
export type PartitionPart = "date" | "hour";

/** `dt=YYYY-MM-DD/[hr=HH/]` in UTC; hour implies date, and no parts gives "". */
export function partitionPath(ms: number, partitionBy: readonly PartitionPart[]): string {
  if (partitionBy.length === 0) return "";
  const iso = new Date(ms).toISOString();
  const dt = `dt=${iso.slice(0, 10)}/`;
  return partitionBy.includes("hour") ? `${dt}hr=${iso.slice(11, 13)}/` : dt;
}

/** Ensures a non-empty prefix ends with "/" so "raw" and "raw/" give the same keys. */
export function normalizePrefix(prefix: string): string {
  return prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
}

/**
 * Object key for one group of a batch. It depends only on the records' coordinates, so a retried
 * batch overwrites the same object instead of writing a duplicate.
 */
export function objectKey(prefix: string, partition: string, shardId: string, firstSeq: string, lastSeq?: string): string {
  return `${normalizePrefix(prefix)}${partition}${shardId}/${lastSeq === undefined ? firstSeq : `${firstSeq}-${lastSeq}`}.jsonl`;
}
