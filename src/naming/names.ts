import { hclTemplate, raw } from "../emit/hcl-literal.ts";

/** Longest environment name the module's `environment` variable accepts; name-length checks assume it. */
export const MAX_ENV_LENGTH = 10;
export const ACCOUNT_ID_LENGTH = 12;

/** AWS name limits pipegen checks at build time, before an apply fails half-way. */
export const LIMITS = {
  lambdaFunction: 64,
  iamRole: 64,
  s3Bucket: 63,
  sqsQueue: 80,
  kinesisStream: 128,
  dynamodbTable: 255,
} as const;

/** Physical names use `-`; component ids use `_` (they are also Terraform resource names). */
export function kebab(id: string): string {
  return id.replace(/_/g, "-");
}

/** The longest `<pipeline>-<environment>-<id><suffix>` can get, for limit checks. */
export function maxPhysicalLength(pipeline: string, id: string, suffix = ""): number {
  return pipeline.length + 1 + MAX_ENV_LENGTH + 1 + kebab(id).length + suffix.length;
}

/** Every physical name starts with pipeline and environment, so dev and prod live side by side in one account. */
export function physicalName(id: string, suffix = ""): string {
  return hclTemplate(raw("local.name_prefix"), `-${kebab(id)}${suffix}`);
}

/** Bucket names are global across all accounts, so they also carry the account id. */
export function bucketName(id: string): string {
  return hclTemplate(raw("local.name_prefix"), `-${kebab(id)}-`, raw("local.account_id"));
}

/** The max length of a bucket name built by bucketName. */
export function maxBucketLength(pipeline: string, id: string): number {
  return maxPhysicalLength(pipeline, id) + 1 + ACCOUNT_ID_LENGTH;
}
