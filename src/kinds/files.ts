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

/** The dataset an `s3` sink stores. */
export function sinkFiles(c: Component): FilesLocation {
  return {
    bucket: `aws_s3_bucket.${c.id}.id`,
    bucketArn: `aws_s3_bucket.${c.id}.arn`,
    prefix: (c.config.prefix as string | undefined) ?? `${c.id}/`,
    format: ((c.config.format as string | undefined) ?? "jsonl") as FilesLocation["format"],
  };
}
