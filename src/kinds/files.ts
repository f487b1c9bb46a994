import type { Component } from "../model/types.ts";

/**
 * Where a dataset of the files flow lives: the S3 bucket (a Terraform resource of the module) and
 * the key prefix. Batch jobs read their input and write their output through this, so the kinds on
 * both ends of a files edge agree on paths without knowing each other's internals.
 */
export interface FilesLocation {
  /** HCL expression of the bucket name, e.g. `aws_s3_bucket.drops.id`. */
  bucket: string;
  /** HCL expression of the bucket ARN. */
  bucketArn: string;
  /** Key prefix, ending with `/`. */
  prefix: string;
  /** Object format of the dataset. */
  format: "csv" | "jsonl" | "parquet";
  /**
   * Hive-style partition keys under the prefix, outermost first (`dt=YYYY-MM-DD/`, then
   * `hr=HH/`, both UTC); empty when objects lie directly under the prefix. Sinks only.
   */
  partitions?: Array<"dt" | "hr">;
  /** Timestamp field of the records that picks their partition. Sinks only. */
  timeField?: string;
  /**
   * The Glue Data Catalog table describing the dataset (parquet sinks), as HCL expressions. Writers
   * must produce the table's column types: string, double (numbers), boolean and timestamp.
   */
  table?: { database: string; name: string; arn: string };
}

/** Files landing in an `s3` source's bucket. */
export function sourceFiles(c: Component): FilesLocation {
  return {
    bucket: `aws_s3_bucket.${c.id}.id`,
    bucketArn: `aws_s3_bucket.${c.id}.arn`,
    prefix: (c.config.prefix as string | undefined) ?? "incoming/",
    format: ((c.config.format as string | undefined) ?? "jsonl") as FilesLocation["format"],
  };
}

/** The dataset an `s3` sink stores (a Glue job feeding a parquet sink writes here). */
export function sinkFiles(c: Component): FilesLocation {
  const format = ((c.config.format as string | undefined) ?? "jsonl") as FilesLocation["format"];
  const partitionBy = (c.config.partition_by as string[] | undefined) ?? ["date"];
  const timeField = c.config.time_field as string | undefined;
  return {
    bucket: `aws_s3_bucket.${c.id}.id`,
    bucketArn: `aws_s3_bucket.${c.id}.arn`,
    prefix: (c.config.prefix as string | undefined) ?? `${c.id}/`,
    format,
    // Hour implies date, as in the jsonl sink's keys.
    partitions: partitionBy.length === 0 ? [] : partitionBy.includes("hour") ? ["dt", "hr"] : ["dt"],
    ...(timeField ? { timeField } : {}),
    ...(format === "parquet"
      ? { table: { database: "aws_glue_catalog_database.this.name", name: `aws_glue_catalog_table.${c.id}.name`, arn: `aws_glue_catalog_table.${c.id}.arn` } }
      : {}),
  };
}
