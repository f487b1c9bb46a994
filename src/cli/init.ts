/** A commented starter pipeline that validates and builds as written (a test keeps it so). */
export function starterPipeline(name: string): string {
  return `# yaml-language-server: $schema=../schemas/pipeline.schema.json
# A pipegen pipeline: sources -> transforms -> sinks. Run \`npx pipegen build\` to generate
# generated/${name}/ (Terraform + Lambda handlers), then review and commit both folders.
pipeline: ${name}
description: Starter pipeline - simulated events filtered into an S3 data lake
owner: my-team

# The record contract: every record entering the pipeline has these fields.
record:
  id: string
  value: number
  created_at: timestamp

sources:
  events:                      # a Kinesis stream, encrypted with the pipeline's KMS key
    type: kinesis
    capacity: on-demand
    retention_hours: 24
  simulator:                   # writes fake records every 5 minutes; remove it for real traffic
    type: generator
    schedule: rate(5 minutes)
    into: events
    records_per_run: 10
    fields:
      id: { one_of: [a, b, c] }
      value: { uniform: [0, 100] }
      created_at: now

transforms:
  valid:
    type: filter
    inputs: [events]
    where: value >= 0

sinks:
  lake:                        # JSON lines under lake/dt=YYYY-MM-DD/...
    type: s3
    inputs: [valid]
    format: jsonl
    partition_by: [date]
    expire_after_days: 365

environments:
  dev: { lifecycle: ephemeral }
  prod: { lifecycle: persistent }
`;
}
