import type { Component, LambdaSettings } from "../model/types.ts";
import type { ConsumerPart, HandlerPart, OwnFunction } from "../kinds/kind.ts";
import type { IamStatement, PlanContext } from "./context.ts";
import { kindOf } from "../kinds/index.ts";
import { windowSeconds } from "../kinds/transforms/aggregate/kind.ts";
import { tableEnv } from "../kinds/sinks/dynamodb/kind.ts";
import { pascal } from "../kinds/sinks/s3/kind.ts";
import { kebab } from "../naming/names.ts";

/** One deployed Lambda function and what triggers it. */
export interface FunctionUnit {
  id: string;
  owner: Component;
  trigger: "stream" | "schedule" | "http";
  /** The stream source (kinesis, or a kind with a `consumer` hook) read by a stream-triggered function. */
  source?: Component;
  /** How a non-kinesis source triggers this function (from the source kind's `consumer` hook). */
  consumer?: ConsumerPart;
  /** The owner's own function (from its kind's `ownFunction` hook). */
  own?: OwnFunction;
  /** Stateless transforms applied before writing (or before aggregating), in order. */
  steps: Component[];
  aggregate?: Component;
  /** Stateless transforms between an aggregate and its sinks. */
  after: Component[];
  sinks: Component[];
  lambda: LambdaSettings;
  summary: string;
}

/**
 * Fuses the graph into functions: every sink fed (through stateless transforms) by a kinesis
 * source gets a consumer function, every aggregate gets a windowed function that also writes the
 * sinks below it, and generators and APIs get their own. Stateless transforms never cost an
 * extra hop through a stream.
 */
export function planFunctionUnits(ctx: PlanContext): FunctionUnit[] {
  const { model } = ctx;
  const units: FunctionUnit[] = [];
  const byAggregate = new Map<string, { after: Component[]; sinks: Component[] }>();
  for (const c of model.components) {
    if (c.category === "sinks") {
      const chain = upstreamChain(c, ctx);
      // Files are written by the batch job that produces them (Glue), not by a Lambda function.
      if (ctx.graph.flow.get(chain.stop.id) === "files") continue;
      if (chain.stop.type === "aggregate") {
        const entry = byAggregate.get(chain.stop.id) ?? { after: chain.steps, sinks: [] };
        entry.sinks.push(c);
        byAggregate.set(chain.stop.id, entry);
      } else {
        units.push({
          id: c.id,
          owner: c,
          trigger: "stream",
          source: chain.stop,
          steps: chain.steps,
          after: [],
          sinks: [c],
          lambda: c.lambda,
          summary: `reads ${chain.stop.id}${chain.steps.map((s) => ` → ${s.id}`).join("")} and writes ${c.type} sink ${c.id}`,
        });
      }
    }
  }
  for (const c of model.components) {
    if (c.type === "aggregate") {
      const chain = upstreamChain(c, ctx);
      const down = byAggregate.get(c.id) ?? { after: [], sinks: [] };
      units.push({
        id: c.id,
        owner: c,
        trigger: "stream",
        source: chain.stop,
        steps: chain.steps,
        aggregate: c,
        after: down.after,
        sinks: down.sinks,
        lambda: c.lambda,
        summary: `aggregates ${chain.stop.id}${chain.steps.map((s) => ` → ${s.id}`).join("")} per ${String(c.config.window)} window into ${down.sinks.map((s) => s.id).join(", ") || "nothing"}`,
      });
    } else if (c.type === "generator") {
      units.push({ id: c.id, owner: c, trigger: "schedule", steps: [], after: [], sinks: [], lambda: c.lambda, summary: `writes simulated records into ${String(c.config.into)} on ${String(c.config.schedule)}` });
    } else if (c.category === "serve" && !kindOf(c).ownFunction) {
      units.push({ id: c.id, owner: c, trigger: "http", steps: [], after: [], sinks: [], lambda: c.lambda, summary: `answers HTTP queries over ${String(c.config.from)}` });
    } else if (kindOf(c).ownFunction) {
      const own = kindOf(c).ownFunction!(c, ctx);
      units.push({ id: c.id, owner: c, trigger: own.trigger, own, steps: [], after: [], sinks: [], lambda: c.lambda, summary: own.summary });
    }
  }
  for (const u of units) {
    const consumer = u.source && kindOf(u.source).consumer;
    if (!consumer) continue;
    u.consumer = consumer(u.source!, { id: u.id, lambda: u.lambda, tumblingWindowSeconds: u.aggregate ? windowSeconds(String(u.aggregate.config.window)) : false }, ctx);
    if (u.consumer.summary) u.summary = u.summary.replace(`reads ${u.source!.id}`, u.consumer.summary);
  }
  return units.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Walks inputs upward through stateless transforms to the kinesis source or aggregate that feeds c. */
function upstreamChain(c: Component, ctx: PlanContext): { stop: Component; steps: Component[] } {
  const steps: Component[] = [];
  let cur = ctx.model.byId.get(c.inputs[0]!)!;
  // Stateless transforms (those compiled into a handler step) fuse into the function; anything else stops the walk.
  while (cur.category === "transforms" && cur.type !== "aggregate" && kindOf(cur).step) {
    steps.unshift(cur);
    cur = ctx.model.byId.get(cur.inputs[0]!)!;
  }
  return { stop: cur, steps };
}

/** Statements every function needs: its own log streams and X-Ray (which has no resource-level permissions). */
function baseStatements(u: FunctionUnit): IamStatement[] {
  return [
    { sid: "WriteOwnLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`"\${aws_cloudwatch_log_group.${u.id}.arn}:*"`] },
    { sid: "XRayTracing", actions: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], resources: [`"*"`] },
    // The dead-letter queue is KMS-encrypted: sending needs the data key too.
    { sid: "ParkFailures", actions: ["sqs:SendMessage"], resources: [`aws_sqs_queue.${u.id}_dlq.arn`] },
  ];
}

/** Everything a function unit needs in its handler and policy, collected from the kinds along its edges. */
export function functionParts(u: FunctionUnit, ctx: PlanContext): { steps: HandlerPart[]; after: HandlerPart[]; sinks: HandlerPart[]; env: Record<string, string>; statements: IamStatement[] } {
  const steps = u.steps.map((s) => kindOf(s).step!(s, ctx));
  const after = u.after.map((s) => kindOf(s).step!(s, ctx));
  const sinks = u.sinks.map((s) => kindOf(s).sink!(s, ctx));
  const env: Record<string, string> = {};
  const statements = baseStatements(u);
  if (u.consumer) {
    Object.assign(env, u.consumer.env ?? {});
    statements.push(...u.consumer.statements);
  } else if (u.source) {
    statements.push({
      sid: `ReadStream${pascal(u.source.id)}`,
      actions: ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard"],
      resources: [`aws_kinesis_stream.${u.source.id}.arn`],
    });
  }
  if (u.owner.type === "generator") {
    const into = String(u.owner.config.into);
    env.PIPEGEN_STREAM = `aws_kinesis_stream.${into}.name`;
    statements.push({ sid: `WriteStream${pascal(into)}`, actions: ["kinesis:PutRecord", "kinesis:PutRecords"], resources: [`aws_kinesis_stream.${into}.arn`] });
  }
  if (u.own) {
    Object.assign(env, u.own.env ?? {});
    statements.push(...(u.own.statements ?? []));
  } else if (u.owner.category === "serve") {
    const from = String(u.owner.config.from);
    env[tableEnv(from)] = `aws_dynamodb_table.${from}.name`;
    statements.push({ sid: `ReadItems${pascal(from)}`, actions: ["dynamodb:Query", "dynamodb:Scan"], resources: [`aws_dynamodb_table.${from}.arn`] });
  }
  for (const p of [...steps, ...after, ...sinks]) {
    Object.assign(env, p.env ?? {});
    statements.push(...(p.statements ?? []));
  }
  // Every data store is encrypted with the pipeline key, so every function uses it.
  statements.push({ sid: "UsePipelineKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: ["aws_kms_key.this.arn"] });
  return { steps, after, sinks, env, statements: mergeStatements(statements) };
}

/** Sorts statements by sid and actions/resources by code point, merging duplicates, for stable diffs. */
function mergeStatements(list: IamStatement[]): IamStatement[] {
  const bySid = new Map<string, IamStatement>();
  for (const s of list) {
    const prev = bySid.get(s.sid);
    if (prev) bySid.set(s.sid, { sid: s.sid, actions: [...prev.actions, ...s.actions], resources: [...prev.resources, ...s.resources] });
    else bySid.set(s.sid, s);
  }
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return [...bySid.values()]
    .map((s) => ({ sid: s.sid, actions: uniq(s.actions), resources: uniq(s.resources) }))
    .sort((a, b) => (a.sid < b.sid ? -1 : 1));
}

/** The Lambda settings view the function template prints. */
export function streamSettings(u: FunctionUnit) {
  // Other sources render their own trigger (ConsumerPart.hcl).
  if (u.trigger !== "stream" || u.consumer) return false;
  return {
    arn: `aws_kinesis_stream.${u.source!.id}.arn`,
    batchSize: u.lambda.batchSize,
    batchingWindowSeconds: u.lambda.batchingWindowSeconds,
    maxRetries: u.lambda.maxRetries,
    maxRecordAgeSeconds: u.lambda.maxRecordAgeSeconds,
    tumblingWindowSeconds: u.aggregate ? windowSeconds(String(u.aggregate.config.window)) : false,
    // Alarm well before records would age out of the stream's retention.
    iteratorAgeThresholdMs: 15 * 60 * 1000,
  };
}

export { kebab };
