/**
 * What the applied module created, read back from Terraform state: each function's physical name,
 * ARN, environment and timeout, its event source mapping (batch size, batching window, retries,
 * record age, bisect, response types, tumbling window, on-failure queue), generator schedules and
 * dead-letter queues. The local run plays exactly these settings; a value the emulator did not
 * store falls back to what the pipeline declares.
 */
import type { CompiledPipeline } from "./compiled.ts";
import type { StateResource } from "./terraform.ts";
import type { MappingSettings } from "./poller.ts";
import { streamSettings } from "../plan/functions.ts";

/** One deployed function. */
export interface DeployedFunction {
  unitId: string;
  name: string;
  arn: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  /** Where an asynchronous invocation that keeps failing goes (generator functions). */
  deadLetter?: { arn: string; url: string };
}

/** A schedule firing a generator. */
export interface DeployedSchedule {
  unitId: string;
  expression: string;
}

export interface Deployment {
  functions: Map<string, DeployedFunction>;
  mappings: MappingSettings[];
  schedules: DeployedSchedule[];
  /** Sink and source component id → physical name (bucket, table, stream). */
  names: Map<string, string>;
  queues: Map<string, { arn: string; url: string }>;
  region: string;
}

const first = <T>(v: unknown): T | undefined => (Array.isArray(v) ? (v[0] as T | undefined) : undefined);
const num = (v: unknown, fallback: number): number => (typeof v === "number" && Number.isFinite(v) ? v : fallback);

/** Builds the deployment view of a pipeline from the state of its applied module. */
export function readDeployment(cp: CompiledPipeline, resources: readonly StateResource[], region: string): Deployment {
  const byAddress = new Map(resources.map((r) => [r.address, r.values]));
  const queues = new Map<string, { arn: string; url: string }>();
  for (const r of resources.filter((x) => x.type === "aws_sqs_queue")) queues.set(String(r.values.arn), { arn: String(r.values.arn), url: String(r.values.url ?? r.values.id) });
  const names = new Map<string, string>();
  for (const r of resources) {
    if (r.type === "aws_kinesis_stream" || r.type === "aws_dynamodb_table") names.set(r.name, String(r.values.name));
    if (r.type === "aws_s3_bucket") names.set(r.name, String(r.values.bucket ?? r.values.id));
  }
  const d: Deployment = { functions: new Map(), mappings: [], schedules: [], names, queues, region };
  for (const u of cp.units) {
    const fn = byAddress.get(`aws_lambda_function.${u.id}`);
    if (!fn) throw new Error(`the applied module has no aws_lambda_function.${u.id}`);
    const dlq = first<{ target_arn?: string }>(fn.dead_letter_config)?.target_arn;
    const deployed: DeployedFunction = {
      unitId: u.id,
      name: String(fn.function_name),
      arn: String(fn.arn),
      env: { ...((first<{ variables?: Record<string, string> }>(fn.environment)?.variables ?? {}) as Record<string, string>) },
      timeoutSeconds: num(fn.timeout, u.lambda.timeoutSeconds),
      ...(dlq && queues.has(dlq) ? { deadLetter: queues.get(dlq)! } : {}),
    };
    // Functions without a dead_letter_config in the emulator's answer still have their queue.
    if (!deployed.deadLetter) {
      const q = byAddress.get(`aws_sqs_queue.${u.id}_dlq`);
      if (q && u.trigger === "schedule") deployed.deadLetter = { arn: String(q.arn), url: String(q.url ?? q.id) };
    }
    d.functions.set(u.id, deployed);
    if (u.trigger === "stream") {
      const esm = byAddress.get(`aws_lambda_event_source_mapping.${u.id}`) ?? {};
      const plan = streamSettings(u);
      if (!plan) continue;
      const stream = byAddress.get(`aws_kinesis_stream.${u.source!.id}`);
      if (!stream) throw new Error(`the applied module has no aws_kinesis_stream.${u.source!.id}`);
      const onFailureArn = first<{ on_failure?: Array<{ destination_arn?: string }> }>(esm.destination_config)?.on_failure?.[0]?.destination_arn ?? String(byAddress.get(`aws_sqs_queue.${u.id}_dlq`)?.arn ?? "");
      const types = Array.isArray(esm.function_response_types) ? (esm.function_response_types as string[]) : ["ReportBatchItemFailures"];
      d.mappings.push({
        unitId: u.id,
        functionArn: deployed.arn,
        streamName: String(stream.name),
        streamArn: String(stream.arn),
        region,
        batchSize: num(esm.batch_size, plan.batchSize),
        batchingWindowSeconds: num(esm.maximum_batching_window_in_seconds, plan.batchingWindowSeconds),
        maxRetries: num(esm.maximum_retry_attempts, plan.maxRetries),
        maxRecordAgeSeconds: num(esm.maximum_record_age_in_seconds, plan.maxRecordAgeSeconds),
        bisect: typeof esm.bisect_batch_on_function_error === "boolean" ? esm.bisect_batch_on_function_error : true,
        reportBatchItemFailures: types.includes("ReportBatchItemFailures"),
        tumblingWindowSeconds: num(esm.tumbling_window_in_seconds, typeof plan.tumblingWindowSeconds === "number" ? plan.tumblingWindowSeconds : 0),
        ...(queues.has(onFailureArn) ? { onFailure: queues.get(onFailureArn)! } : {}),
      });
    } else if (u.trigger === "schedule") {
      const rule = byAddress.get(`aws_cloudwatch_event_rule.${u.id}`);
      d.schedules.push({ unitId: u.id, expression: String(rule?.schedule_expression ?? u.owner.config.schedule) });
    }
  }
  return d;
}
