/** SNS and SQS: rows 24–28 (AVD-AWS-0095, 0136, 0096, 0135, 0097). */
import { attr, isSet, isTrue, refersTo, show } from "../expr.ts";
import { resourcesOf } from "../load-module.ts";
import { allPolicies, docProblems, stmtLabel } from "../policy.ts";
import type { Block, Model, Rule, Violation } from "../types.ts";
import { isAwsManagedAlias, keyPolicyAllowsService, keysFor } from "./kms.ts";
import { violation } from "./util.ts";

/** Services that publish to a topic in the module, with the resources that make them do so. */
function topicPublishers(model: Model, topic: Block): { service: string; label: string; by: Block }[] {
  const out: { service: string; label: string; by: Block }[] = [];
  for (const type of ["aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm"]) {
    for (const alarm of resourcesOf(model, type)) {
      const actions = ["alarm_actions", "ok_actions", "insufficient_data_actions"].map((k) => alarm.body[k]);
      if (refersTo(model, actions, topic)) out.push({ service: "cloudwatch.amazonaws.com", label: "cloudwatch.amazonaws.com", by: alarm });
    }
  }
  for (const target of resourcesOf(model, "aws_cloudwatch_event_target")) {
    if (refersTo(model, target.body.arn, topic)) out.push({ service: "events.amazonaws.com", label: "events.amazonaws.com", by: target });
  }
  for (const n of resourcesOf(model, "aws_s3_bucket_notification")) {
    if (refersTo(model, n.body.topic, topic)) out.push({ service: "s3.amazonaws.com", label: "s3.amazonaws.com", by: n });
  }
  return out;
}

const QUEUE_POLICY_TYPES = ["aws_sqs_queue", "aws_sqs_queue_policy"];

export const snsSqsRules: Rule[] = [
  {
    id: "AVD-AWS-0095",
    title: "SNS topics are encrypted",
    aliases: ["aws-sns-enable-topic-encryption"],
    resourceTypes: ["aws_sns_topic"],
    check: (model) =>
      resourcesOf(model, "aws_sns_topic")
        .filter((t) => !isSet(attr(model, t, "kms_master_key_id")))
        .map((t) => violation("AVD-AWS-0095", t, "kms_master_key_id is not set")),
  },
  {
    id: "AVD-AWS-0136",
    title: "SNS topics use a customer managed key that their publishers may use",
    aliases: ["aws-sns-topic-encryption-use-cmk"],
    resourceTypes: ["aws_sns_topic"],
    check(model) {
      const out: Violation[] = [];
      for (const t of resourcesOf(model, "aws_sns_topic")) {
        const key = attr(model, t, "kms_master_key_id");
        if (isAwsManagedAlias(key)) {
          out.push(violation("AVD-AWS-0136", t, `kms_master_key_id ${show(key)} is the AWS managed key`));
          continue;
        }
        for (const k of keysFor(model, key)) {
          const seen = new Set<string>();
          for (const p of topicPublishers(model, t)) {
            if (seen.has(p.service)) continue;
            seen.add(p.service);
            const problem = keyPolicyAllowsService(model, k, new RegExp(`^${p.service.replace(/\./g, "\\.")}$`), p.label);
            if (problem) out.push(violation("AVD-AWS-0136", t, `${problem} (${p.by.address} publishes to this topic)`));
          }
        }
      }
      return out;
    },
  },
  {
    id: "AVD-AWS-0096",
    title: "SQS queues are encrypted",
    aliases: ["aws-sqs-enable-queue-encryption"],
    resourceTypes: ["aws_sqs_queue"],
    check: (model) =>
      resourcesOf(model, "aws_sqs_queue")
        .filter((q) => !isSet(attr(model, q, "kms_master_key_id")) && !isTrue(attr(model, q, "sqs_managed_sse_enabled")))
        .map((q) => violation("AVD-AWS-0096", q, "neither kms_master_key_id nor sqs_managed_sse_enabled = true is set")),
  },
  {
    id: "AVD-AWS-0135",
    title: "SQS queues do not use the AWS managed key",
    aliases: ["aws-sqs-queue-encryption-use-cmk"],
    resourceTypes: ["aws_sqs_queue"],
    check: (model) =>
      resourcesOf(model, "aws_sqs_queue")
        .filter((q) => isAwsManagedAlias(attr(model, q, "kms_master_key_id")))
        .map((q) => violation("AVD-AWS-0135", q, `kms_master_key_id ${show(attr(model, q, "kms_master_key_id"))} is the AWS managed key`)),
  },
  {
    id: "AVD-AWS-0097",
    title: "SQS queue policies grant no wildcard actions",
    aliases: ["aws-sqs-no-wildcards-in-policy-documents"],
    resourceTypes: QUEUE_POLICY_TYPES,
    check(model) {
      const out: Violation[] = [];
      for (const doc of allPolicies(model).filter((d) => QUEUE_POLICY_TYPES.includes(d.owner.type))) {
        const problems = docProblems(doc);
        if (problems.length) out.push(violation("AVD-AWS-0097", doc.owner, `queue policy is not readable: ${problems.join("; ")}`));
        for (const st of doc.statements.filter((s) => s.effect === "Allow")) {
          const bad = st.actions.filter((a) => a === "*" || a.toLowerCase() === "sqs:*");
          if (bad.length) out.push(violation("AVD-AWS-0097", doc.owner, `${stmtLabel(doc, st)} allows ${bad.join(", ")}`));
        }
      }
      return out;
    },
  },
];
