/**
 * Athena (rows 29–30), OpenSearch (rows 31–35), Step Functions (PIPE-008), Glue (PIPE-009)
 * and Firehose (PIPE-010).
 */
import { asString, attr, blocks, get, isFalse, isSet, isTrue, refs, show } from "../expr.ts";
import { literalSkeleton } from "../hcl-expr.ts";
import { resourcesOf } from "../load-module.ts";
import { allPolicies } from "../policy.ts";
import type { Block, Model, Rule, Violation } from "../types.ts";
import { designates, violation } from "./util.ts";

const DOMAIN_TYPES = ["aws_opensearch_domain", "aws_elasticsearch_domain"];
const domains = (model: Model): Block[] => DOMAIN_TYPES.flatMap((t) => resourcesOf(model, t));

const ATHENA_OPTIONS = ["SSE_S3", "SSE_KMS", "CSE_KMS"];
const TLS_POLICIES = ["Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10"];
const SFN_LEVELS = ["ALL", "ERROR", "FATAL"];

function domainRule(id: string, title: string, alias: string, check: (model: Model, d: Block) => string | undefined): Rule {
  return {
    id,
    title,
    aliases: [alias],
    resourceTypes: DOMAIN_TYPES,
    check(model) {
      const out: Violation[] = [];
      for (const d of domains(model)) {
        const problem = check(model, d);
        if (problem) out.push(violation(id, d, problem));
      }
      return out;
    },
  };
}

/** True when some CloudWatch Logs resource policy in the module lets OpenSearch write. */
function logResourcePolicyForOpenSearch(model: Model): boolean {
  return allPolicies(model)
    .filter((d) => d.owner.type === "aws_cloudwatch_log_resource_policy")
    .some((d) =>
      d.statements.some(
        (s) =>
          s.effect === "Allow" &&
          s.principals.some((p) => p.type === "Service" && p.ids.some((id) => id === "es.amazonaws.com" || id === "opensearchservice.amazonaws.com")),
      ),
    );
}

/** Why a Step Functions log destination is not "<log group arn>:*", or undefined. */
function sfnDestinationProblem(model: Model, v: unknown): string | undefined {
  const s = asString(v);
  if (!s) return "logging_configuration.log_destination is not set";
  if (!s.endsWith(":*")) return `log_destination ${show(v)} must be "<log group arn>:*"`;
  const base = s.slice(0, -2);
  if (refs(model, base).some((r) => r.type === "aws_cloudwatch_log_group" || r.kind === "var")) return undefined;
  if (/^arn:[^:]+:logs:[^:]*:[^:]*:log-group:[^*]+$/.test(literalSkeleton(base, "X"))) return undefined;
  return `log_destination ${show(v)} is not a log group ARN followed by ":*"`;
}

const GLUE_MODES: [string, string, string][] = [
  ["s3_encryption", "s3_encryption_mode", "SSE-KMS"],
  ["cloudwatch_encryption", "cloudwatch_encryption_mode", "SSE-KMS"],
  ["job_bookmarks_encryption", "job_bookmarks_encryption_mode", "CSE-KMS"],
];

export const otherServiceRules: Rule[] = [
  {
    id: "AVD-AWS-0006",
    title: "Athena workgroups and databases encrypt query results",
    aliases: ["aws-athena-enable-at-rest-encryption"],
    resourceTypes: ["aws_athena_workgroup", "aws_athena_database"],
    check(model) {
      const out: Violation[] = [];
      for (const w of resourcesOf(model, "aws_athena_workgroup")) {
        const o = get(model, w.body, "configuration", "result_configuration", "encryption_configuration", "encryption_option");
        if (!ATHENA_OPTIONS.includes(String(o))) {
          out.push(violation("AVD-AWS-0006", w, `configuration.result_configuration.encryption_configuration.encryption_option must be one of ${ATHENA_OPTIONS.join(", ")} (is ${show(o)})`));
        }
      }
      for (const db of resourcesOf(model, "aws_athena_database")) {
        const o = get(model, db.body, "encryption_configuration", "encryption_option");
        if (!ATHENA_OPTIONS.includes(String(o))) {
          out.push(violation("AVD-AWS-0006", db, `encryption_configuration.encryption_option must be one of ${ATHENA_OPTIONS.join(", ")} (is ${show(o)})`));
        }
      }
      return out;
    },
  },
  {
    id: "AVD-AWS-0007",
    title: "Athena workgroups enforce their configuration",
    aliases: ["aws-athena-no-encryption-override"],
    resourceTypes: ["aws_athena_workgroup"],
    check(model) {
      const out: Violation[] = [];
      for (const w of resourcesOf(model, "aws_athena_workgroup")) {
        if (blocks(w.body, "configuration").length === 0) out.push(violation("AVD-AWS-0007", w, "no configuration block"));
        else if (isFalse(get(model, w.body, "configuration", "enforce_workgroup_configuration"))) {
          out.push(violation("AVD-AWS-0007", w, "enforce_workgroup_configuration is false, so clients may override encryption"));
        }
      }
      return out;
    },
  },
  domainRule("AVD-AWS-0042", "OpenSearch domains publish audit logs", "aws-elastic-search-enable-domain-logging", (model, d) => {
    const audit = blocks(d.body, "log_publishing_options").some(
      (o) => get(model, o, "log_type") === "AUDIT_LOGS" && !isFalse(get(model, o, "enabled")) && isSet(get(model, o, "cloudwatch_log_group_arn")),
    );
    if (!audit) return 'no enabled log_publishing_options block with log_type = "AUDIT_LOGS"';
    if (!isTrue(get(model, d.body, "advanced_security_options", "enabled"))) return "audit logs need advanced_security_options { enabled = true }";
    if (!logResourcePolicyForOpenSearch(model)) return "no aws_cloudwatch_log_resource_policy lets es.amazonaws.com write the logs";
    return undefined;
  }),
  domainRule("AVD-AWS-0043", "OpenSearch node-to-node encryption", "aws-elastic-search-enable-in-transit-encryption", (model, d) =>
    isTrue(get(model, d.body, "node_to_node_encryption", "enabled")) ? undefined : "node_to_node_encryption { enabled = true } is missing",
  ),
  domainRule("AVD-AWS-0046", "OpenSearch enforces HTTPS", "aws-elastic-search-enforce-https", (model, d) => {
    if (blocks(d.body, "domain_endpoint_options").length === 0) return "no domain_endpoint_options block";
    return isFalse(get(model, d.body, "domain_endpoint_options", "enforce_https")) ? "domain_endpoint_options.enforce_https is false" : undefined;
  }),
  domainRule("AVD-AWS-0048", "OpenSearch encryption at rest with a key", "aws-elastic-search-enable-domain-encryption", (model, d) => {
    if (!isTrue(get(model, d.body, "encrypt_at_rest", "enabled"))) return "encrypt_at_rest { enabled = true } is missing";
    return isSet(get(model, d.body, "encrypt_at_rest", "kms_key_id")) ? undefined : "encrypt_at_rest.kms_key_id is not set";
  }),
  domainRule("AVD-AWS-0126", "OpenSearch uses a TLS 1.2 policy", "aws-elastic-search-use-secure-tls-policy", (model, d) => {
    const p = get(model, d.body, "domain_endpoint_options", "tls_security_policy");
    return TLS_POLICIES.includes(String(p)) ? undefined : `domain_endpoint_options.tls_security_policy must be one of ${TLS_POLICIES.join(", ")} (is ${show(p)})`;
  }),
  {
    id: "PIPE-008",
    title: "Step Functions state machines log and trace",
    resourceTypes: ["aws_sfn_state_machine"],
    check(model) {
      const out: Violation[] = [];
      for (const sm of resourcesOf(model, "aws_sfn_state_machine")) {
        const level = get(model, sm.body, "logging_configuration", "level");
        if (!SFN_LEVELS.includes(String(level))) out.push(violation("PIPE-008", sm, `logging_configuration.level must be ALL, ERROR or FATAL (is ${show(level)})`));
        else {
          const problem = sfnDestinationProblem(model, get(model, sm.body, "logging_configuration", "log_destination"));
          if (problem) out.push(violation("PIPE-008", sm, problem));
        }
        if (!isTrue(get(model, sm.body, "tracing_configuration", "enabled"))) out.push(violation("PIPE-008", sm, "tracing_configuration { enabled = true } is missing"));
      }
      return out;
    },
  },
  {
    id: "PIPE-009",
    title: "Glue jobs and crawlers use a KMS security configuration of the module",
    resourceTypes: ["aws_glue_job", "aws_glue_crawler", "aws_glue_security_configuration"],
    check(model) {
      const out: Violation[] = [];
      const configs = resourcesOf(model, "aws_glue_security_configuration");
      for (const c of configs) {
        for (const [block, arg, mode] of GLUE_MODES) {
          const m = get(model, c.body, "encryption_configuration", block, arg);
          if (m !== mode) out.push(violation("PIPE-009", c, `encryption_configuration.${block}.${arg} must be "${mode}" (is ${show(m)})`));
          else if (!isSet(get(model, c.body, "encryption_configuration", block, "kms_key_arn"))) {
            out.push(violation("PIPE-009", c, `encryption_configuration.${block}.kms_key_arn is not set`));
          }
        }
      }
      for (const type of ["aws_glue_job", "aws_glue_crawler"]) {
        for (const j of resourcesOf(model, type)) {
          const sc = attr(model, j, "security_configuration");
          if (!isSet(sc)) out.push(violation("PIPE-009", j, "security_configuration is not set"));
          else if (!configs.some((c) => designates(model, sc, c, "name"))) {
            out.push(violation("PIPE-009", j, `security_configuration ${show(sc)} is not an aws_glue_security_configuration of the module`));
          }
        }
      }
      return out;
    },
  },
  {
    id: "PIPE-010",
    title: "Direct PUT Firehose streams use a customer managed key",
    resourceTypes: ["aws_kinesis_firehose_delivery_stream"],
    check(model) {
      const out: Violation[] = [];
      for (const f of resourcesOf(model, "aws_kinesis_firehose_delivery_stream")) {
        if (blocks(f.body, "kinesis_source_configuration").length || blocks(f.body, "msk_source_configuration").length) continue;
        const enabled = get(model, f.body, "server_side_encryption", "enabled");
        const keyType = get(model, f.body, "server_side_encryption", "key_type");
        const keyArn = get(model, f.body, "server_side_encryption", "key_arn");
        if (!isTrue(enabled)) out.push(violation("PIPE-010", f, `server_side_encryption.enabled must be true (is ${show(enabled)})`));
        else if (keyType !== "CUSTOMER_MANAGED_CMK") out.push(violation("PIPE-010", f, `server_side_encryption.key_type must be "CUSTOMER_MANAGED_CMK" (is ${show(keyType)})`));
        else if (!isSet(keyArn)) out.push(violation("PIPE-010", f, "server_side_encryption.key_arn is not set"));
      }
      return out;
    },
  },
];
