/**
 * Resource types that hold data: destroying or replacing one loses what is in it, and no later
 * apply brings it back. Each entry completes "Loses …" in the report's warning.
 *
 * aws_sqs_queue is included: pipegen parks failed records in dead-letter queues ("nothing lost"),
 * so replacing a queue silently drops exactly the records someone still has to look at.
 * Not included: types whose state is configuration only and is recreated identically by the
 * same apply (IAM roles, Lambda functions, alarms, topics, event source mappings, APIs).
 */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = Object.freeze({
  aws_cloudwatch_log_group: "every log event in the group",
  aws_dynamodb_table: "every item in the table",
  aws_opensearch_domain: "every document in the domain's indexes, and its automated snapshots",
  aws_opensearchserverless_collection: "every document in the collection",
  aws_kinesis_stream: "every record still within the stream's retention",
  aws_kms_key: "access to everything encrypted under the key, once its deletion window ends",
  aws_s3_bucket: "every object (and object version) in the bucket",
  aws_sqs_queue: "every message waiting in the queue, dead-lettered records included",
});

/** True for a resource type whose destruction loses data. */
export function isStateful(type: string): boolean {
  return Object.hasOwn(STATEFUL_TYPES, type);
}
