import type { ConsumerPart, ConsumerUnit, Kind } from "../../kind.ts";
import type { Component, PipelineModel } from "../../../model/types.ts";
import type { IamStatement } from "../../../plan/context.ts";
import { loadSchema } from "../../load-schema.ts";
import { render } from "../../../emit/templates.ts";
import { kebab, physicalName } from "../../../naming/names.ts";
import { hclString, hclTemplate, raw } from "../../../emit/hcl-literal.ts";
import { pascal } from "../../sinks/s3/kind.ts";

/** Environment variable the Kafka handler reads its dead-letter queue URL from (it parks poison records itself). */
export const DLQ_URL_ENV = "PIPEGEN_DLQ_URL";

/** Seconds of estimated consumer lag after which the lag alarm fires (as the Kinesis iterator-age alarm: 15 minutes). */
const LAG_ALARM_SECONDS = 900;

/** The parts of an MSK cluster ARN `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>` (the schema checked its shape). */
export interface ClusterArn {
  partition: string;
  region: string;
  account: string;
  name: string;
  uuid: string;
}

/** Splits a cluster ARN that matched the schema pattern. */
export function parseClusterArn(arn: string): ClusterArn {
  const m = /^arn:([^:]+):kafka:([^:]+):([0-9]{12}):cluster\/([^/]+)\/([^/]+)$/.exec(arn);
  if (!m) throw new Error(`not an MSK cluster ARN: ${arn}`);
  return { partition: m[1]!, region: m[2]!, account: m[3]!, name: m[4]!, uuid: m[5]! };
}

/**
 * ARNs MSK IAM access control authorises on (https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html):
 * the cluster itself, `topic/<cluster name>/<cluster uuid>/<topic>` and `group/<cluster name>/<cluster uuid>/<group>`.
 */
export function resourceArn(c: ClusterArn, kind: "topic" | "group", name: string): string {
  return `arn:${c.partition}:kafka:${c.region}:${c.account}:${kind}/${c.name}/${c.uuid}/${name}`;
}

/** Functions (sinks, through stateless transforms) that read a source: each gets a mapping of its own. */
export function readersOf(source: string, model: PipelineModel): Component[] {
  const out: Component[] = [];
  for (const c of model.components) {
    if (c.category !== "sinks" && c.type !== "aggregate") continue;
    let cur = model.byId.get(c.inputs[0] ?? "");
    // Stateless transforms fuse into the reading function (src/plan/functions.ts upstreamChain).
    while (cur && cur.category === "transforms" && cur.type !== "aggregate") cur = model.byId.get(cur.inputs[0] ?? "");
    if (cur?.id === source) out.push(c);
  }
  return out;
}

/**
 * An existing Amazon MSK topic read with Lambda event source mappings and IAM authentication
 * (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/lambda_event_source_mapping).
 *
 * Failure semantics: Kafka mappings in on-demand mode accept no retry limit, bisection or partial
 * batch response (those need provisioned pollers, billed per event poller unit), so a function
 * error retries the whole batch until it succeeds, in order per partition. The handler therefore
 * parks records that can never succeed (bad JSON, contract, a transform throwing) in the
 * function's dead-letter queue itself, and fails the batch only for sink writes, whose retry
 * overwrites: items are keyed by topic, partition and offset.
 */
export const msk: Kind = {
  name: "msk",
  category: "sources",
  schema: loadSchema("src/kinds/sources/msk"),
  accepts: [],
  produces: "stream",
  check({ component: c, model, report }) {
    const group = c.config.consumer_group_id as string | undefined;
    const readers = readersOf(c.id, model);
    if (group !== undefined && readers.length > 1) {
      report(
        "/consumer_group_id",
        "PG3008",
        `consumer group \`${group}\` would be shared by the ${readers.length} functions reading msk source \`${c.id}\` (${readers.map((r) => `\`${r.id}\``).join(", ")}): Kafka splits a topic's partitions between the members of a group, so each function would see only part of the records`,
        "remove `consumer_group_id` so every reading function gets its own group (`<pipeline>-<environment>-<function>`), or read this source from one sink only",
      );
    }
    return model.record;
  },
  consumer(source: Component, unit: ConsumerUnit): ConsumerPart {
    const arn = String(source.config.cluster_arn);
    const cluster = parseClusterArn(arn);
    const topic = String(source.config.topic);
    const explicit = source.config.consumer_group_id as string | undefined;
    // Per pipeline, environment and function unless the spec names one (then only one function may read).
    const group = explicit !== undefined ? hclString(explicit) : physicalName(unit.id);
    const groupArn = explicit !== undefined ? hclString(resourceArn(cluster, "group", explicit)) : hclTemplate(resourceArn(cluster, "group", ""), raw("local.name_prefix"), `-${kebab(unit.id)}`);
    const clusterArn = hclString(arn);
    const p = pascal(source.id);
    const eni = (kind: string) => hclTemplate(`arn:${cluster.partition}:ec2:${cluster.region}:`, raw("local.account_id"), `:${kind}/*`);
    const statements: IamStatement[] = [
      { sid: `ConnectCluster${p}`, actions: ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration", "kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"], resources: [clusterArn] },
      { sid: `ReadTopic${p}`, actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"], resources: [hclString(resourceArn(cluster, "topic", topic))] },
      { sid: `ConsumerGroup${p}`, actions: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"], resources: [groupArn] },
      // Lambda's Kafka pollers reach the brokers through network interfaces in the cluster's subnets,
      // created and deleted with the function's role. The subnets and security groups belong to the
      // existing cluster and are unknown here, so these are scoped to the account and region only.
      { sid: "ClusterNetworkInterfaces", actions: ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"], resources: [eni("network-interface"), eni("security-group"), eni("subnet")] },
      // Describe* calls have no resource-level permissions.
      { sid: "DescribeClusterNetwork", actions: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"], resources: [`"*"`] },
    ];
    return {
      hcl: render("src/kinds/sources/msk/trigger.tf.hbs", {
        id: unit.id,
        source: source.id,
        clusterName: cluster.name,
        clusterNameHcl: hclString(cluster.name),
        clusterArn,
        topic: hclString(topic),
        startingPosition: String(source.config.starting_position ?? "TRIM_HORIZON"),
        batchSize: unit.lambda.batchSize,
        batchingWindowSeconds: unit.lambda.batchingWindowSeconds,
        group,
        region: hclString(cluster.region),
        regionMessage: hclString(`MSK cluster ${cluster.name} of source ${source.id} is in ${cluster.region}; Lambda reads an MSK cluster only from functions in the same region.`),
        lagAlarm: physicalName(unit.id, "-consumer-lag"),
        lagSeconds: LAG_ALARM_SECONDS,
        tag: hclString(unit.id),
      }),
      statements,
      env: { [DLQ_URL_ENV]: `aws_sqs_queue.${unit.id}_dlq.url` },
      handler: "kafkaHandler",
      options: { dlqEnv: DLQ_URL_ENV },
      summary: `reads topic ${topic} of MSK cluster ${cluster.name} (${source.id})`,
      // Kafka mappings report no IteratorAge; the trigger has its own consumer-lag alarm instead.
      iteratorAge: false,
    };
  },
};
