/**
 * IAM rules: rows 36–39 (AVD-AWS-0057, 0342, 0345, 0346), PIPE-005 (OIDC trust) and
 * PIPE-007 (managed policy attachments).
 */
import { asString, asStringList, attr, blocks, expand, referencedBlocks, refs, traversalsIn } from "../expr.ts";
import { literalSkeleton, splitCode, templateParts, unwrapInterpolation } from "../hcl-expr.ts";
import { blockAt, resourcesOf } from "../load-module.ts";
import { actionMatches, docProblems, policiesIn, stmtLabel, type Statement } from "../policy.ts";
import type { Block, Model, Rule, Violation } from "../types.ts";
import { designates, violation } from "./util.ts";
import { lambdaRoles } from "./lambda.ts";

const IDENTITY_TYPES = [
  "aws_iam_role_policy",
  "aws_iam_policy",
  "aws_iam_user_policy",
  "aws_iam_group_policy",
  "aws_iam_role",
  "data.aws_iam_policy_document",
];

/**
 * Reviewed actions that have no resource-level permissions, so IAM only accepts them on
 * Resource "*". Every entry is also in trivy's former allowlist
 * (aquasecurity/trivy pkg/iac/providers/aws/iam/actions.go). Extend it by review only.
 */
export const NO_RESOURCE_LEVEL_ACTIONS: readonly string[] = [
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
  "xray:GetSamplingStatisticSummaries",
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DeleteResourcePolicy",
  "logs:DescribeLogGroups",
  "kinesis:ListStreams",
  "kinesis:DescribeLimits",
  "cloudwatch:PutMetricData",
  "cloudwatch:GetMetricData",
  "cloudwatch:ListMetrics",
  "cloudwatch:GetMetricStatistics",
  "sqs:ListQueues",
  "sns:ListTopics",
  "s3:ListAllMyBuckets",
  "dynamodb:ListTables",
  "lambda:ListFunctions",
  "lambda:GetAccountSettings",
  "states:ListStateMachines",
  "sts:GetCallerIdentity",
  "kms:ListKeys",
  "kms:ListAliases",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeVpcs",
  // Not in trivy's allowlist (they take network-interface, subnet and security-group ARNs), reviewed
  // for Lambda's MSK pollers: they create and delete their network interfaces in the subnets of an
  // existing cluster with the function's role, and the module only knows the cluster's ARN, not its
  // subnets or security groups. The msk kind scopes them to `arn:<partition>:ec2:<region>:<account>:…/*`.
  "ec2:CreateNetworkInterface",
  "ec2:DeleteNetworkInterface",
  "firehose:ListDeliveryStreams",
  "es:ListDomainNames",
  "athena:ListWorkGroups",
  "scheduler:ListSchedules",
  "scheduler:ListScheduleGroups",
];
const REVIEWED = new Set(NO_RESOURCE_LEVEL_ACTIONS.map((a) => a.toLowerCase()));

/** True when the (possibly templated) reference is exactly one named resource of `type` (its arn), or a variable. */
function isNamedResource(model: Model, base: string, type: string, literal: RegExp): boolean {
  const inner = unwrapInterpolation(base);
  if (inner !== undefined) {
    const m = /^(data\.)?([a-z0-9_]+)\.([A-Za-z_][\w-]*)(\[[^\]]*\])?\.arn$/.exec(inner);
    if (m && m[2] === type) return Boolean(m[1] ? model.data[type]?.[m[3]!] : model.resources[type]?.[m[3]!]);
    const v = /^var\.([A-Za-z_][\w-]*)$/.exec(inner);
    return v !== null && model.variables[v[1]!] !== undefined;
  }
  return literal.test(literalSkeleton(base, "X"));
}

function isStateMachineExecutions(model: Model, base: string): boolean {
  const inner = unwrapInterpolation(base);
  if (inner !== undefined) {
    const m = /^replace\s*\(\s*aws_sfn_state_machine\.([A-Za-z_][\w-]*)(\[[^\]]*\])?\.(arn|id)\s*,/.exec(inner);
    return m !== null && model.resources.aws_sfn_state_machine?.[m[1]!] !== undefined && splitCode(inner).strings.some((s) => s.includes("execution"));
  }
  return /^arn:[^:]+:states:[^:]*:[^:]*:execution:[^:/]+$/.test(literalSkeleton(base, "X"));
}

/**
 * True when a wildcard resource only picks sub-resources of one named resource: S3 object
 * keys `<bucket arn>[/prefix]/*`, log streams `<log group arn>:*`, DynamoDB `<table arn>/index/*`,
 * Kinesis `<stream arn>/consumer/*`, or the executions of one named state machine.
 */
export function isNamedSubResource(model: Model, r: string): boolean {
  const skeleton = literalSkeleton(r);
  if (skeleton.indexOf("*") !== skeleton.length - 1) return false; // one "*", at the very end
  if (r.endsWith(":*")) {
    const base = r.slice(0, r.endsWith(":log-stream:*") ? -":log-stream:*".length : -2);
    return (
      isNamedResource(model, base, "aws_cloudwatch_log_group", /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:[^:]+$/) ||
      isStateMachineExecutions(model, base)
    );
  }
  if (r.endsWith("/consumer/*")) {
    return isNamedResource(model, r.slice(0, -"/consumer/*".length), "aws_kinesis_stream", /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/[^/]+$/);
  }
  if (r.endsWith("/index/*")) {
    return isNamedResource(model, r.slice(0, -"/index/*".length), "aws_dynamodb_table", /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/[^/]+$/);
  }
  if (r.endsWith("/*")) {
    // S3 object keys, optionally under a key prefix: <bucket arn>[/prefix...]/*
    const base = r.slice(0, -2);
    const parts = templateParts(base);
    const first = parts[0];
    if (first?.kind === "interp") {
      const rest = parts.slice(1);
      const restOk = rest.length === 0 || (rest[0]!.kind === "literal" && rest[0]!.text.startsWith("/"));
      return restOk && isNamedResource(model, "${" + first.text + "}", "aws_s3_bucket", /$^/);
    }
    return /^arn:[^:]+:s3:::[^/]+(\/.*)?$/.test(literalSkeleton(base, "X"));
  }
  return false;
}

const hasWildcard = (r: string): boolean => literalSkeleton(r).includes("*");

function wildcardProblems(model: Model, st: Statement): string[] {
  const out: string[] = [];
  if (st.present.has("NotAction")) out.push("uses NotAction");
  if (st.present.has("NotResource")) out.push("uses NotResource");
  const wildActions = st.actions.filter((a) => a.includes("*"));
  if (wildActions.length) out.push(`wildcard action ${wildActions.join(", ")}`);
  const wildResources = st.resources.filter(hasWildcard);
  if (wildResources.length) {
    const reviewed = st.actions.length > 0 && st.actions.every((a) => REVIEWED.has(a.toLowerCase()));
    const bad = reviewed ? [] : wildResources.filter((r) => !isNamedSubResource(model, r));
    if (bad.length) {
      const unreviewed = st.actions.filter((a) => !REVIEWED.has(a.toLowerCase()));
      out.push(`wildcard resource ${bad.join(", ")} for actions that support resource-level permissions (${unreviewed.join(", ")})`);
    }
  }
  return out;
}

const allows = (st: Statement, action: string): boolean => st.effect === "Allow" && st.actions.some((a) => actionMatches(a, action));

/** [block, policy ARN value, roles] for every managed-policy attachment. */
function attachments(model: Model): { block: Block; arn: unknown; roles: Block[] }[] {
  const out: { block: Block; arn: unknown; roles: Block[] }[] = [];
  const rolesIn = (v: unknown): Block[] => {
    const byRef = referencedBlocks(model, v, "aws_iam_role");
    if (byRef.length) return byRef;
    const names = asStringList(expand(model, v));
    return resourcesOf(model, "aws_iam_role").filter((r) => names.some((n) => designates(model, n, r, "name")));
  };
  for (const a of resourcesOf(model, "aws_iam_role_policy_attachment")) out.push({ block: a, arn: a.body.policy_arn, roles: rolesIn(a.body.role) });
  for (const a of resourcesOf(model, "aws_iam_policy_attachment")) out.push({ block: a, arn: a.body.policy_arn, roles: rolesIn(a.body.roles) });
  for (const t of ["aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment"]) {
    for (const a of resourcesOf(model, t)) out.push({ block: a, arn: a.body.policy_arn, roles: [] });
  }
  for (const r of resourcesOf(model, "aws_iam_role")) {
    const arns = expand(model, r.body.managed_policy_arns);
    if (Array.isArray(arns)) for (const arn of arns) out.push({ block: r, arn, roles: [r] });
    else if (arns !== undefined && arns !== null) out.push({ block: r, arn: arns, roles: [r] });
  }
  for (const a of resourcesOf(model, "aws_iam_role_policy_attachments_exclusive")) {
    const arns = expand(model, a.body.policy_arns);
    for (const arn of Array.isArray(arns) ? arns : [arns]) out.push({ block: a, arn, roles: rolesIn(a.body.role_name) });
  }
  return out;
}

const managedPolicyName = (arn: unknown): string | undefined => {
  const s = asString(arn);
  if (!s) return undefined;
  const m = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(literalSkeleton(s, "X"));
  return m ? m[1] : undefined;
};

const REVIEWED_MANAGED = ["AWSXrayWriteOnlyAccess", "AWSXRayDaemonWriteAccess"];
const ATTACHMENT_TYPES = [
  "aws_iam_role_policy_attachment",
  "aws_iam_policy_attachment",
  "aws_iam_user_policy_attachment",
  "aws_iam_group_policy_attachment",
  "aws_iam_role",
  "aws_iam_role_policy_attachments_exclusive",
];

function subProblem(value: string): boolean {
  if (value.trim() === "*" || value.startsWith("*")) return true;
  if (value.startsWith("repo:")) {
    const ownerRepo = value.slice(5).split(":")[0] ?? "";
    return ownerRepo.includes("*") || !/^[^/]+\/[^/]+$/.test(ownerRepo);
  }
  return false;
}

/** The host of an OIDC provider principal, if it can be read ("token.actions.githubusercontent.com"). */
function providerHost(model: Model, id: string): string | undefined {
  const provider = referencedBlocks(model, id, "aws_iam_openid_connect_provider")[0];
  if (provider) {
    const url = asString(attr(model, provider, "url"));
    return url && !url.includes("${") ? url.replace(/^https:\/\//, "").replace(/\/$/, "") : undefined;
  }
  const m = /:oidc-provider\/(.+)$/.exec(id);
  return m && !m[1]!.includes("${") ? m[1] : undefined;
}

const isWebIdentityStatement = (model: Model, st: Statement): boolean =>
  st.actions.some((a) => actionMatches(a, "sts:AssumeRoleWithWebIdentity")) ||
  st.principals.some(
    (p) =>
      p.type === "Federated" &&
      p.ids.some((id) => referencedBlocks(model, id, "aws_iam_openid_connect_provider").length > 0 || id.includes(":oidc-provider/")),
  );

export const iamRules: Rule[] = [
  {
    id: "AVD-AWS-0057",
    title: "Identity policies use no wildcards (beyond reviewed actions and named sub-resources)",
    aliases: ["aws-iam-no-policy-wildcards"],
    resourceTypes: IDENTITY_TYPES,
    check(model) {
      const out: Violation[] = [];
      for (const doc of policiesIn(model, "identity")) {
        const problems = docProblems(doc);
        if (problems.length) out.push(violation("AVD-AWS-0057", doc.owner, `${doc.attribute} cannot be checked statically: ${problems.join("; ")}`));
        for (const st of doc.statements.filter((s) => s.effect === "Allow")) {
          const p = wildcardProblems(model, st);
          if (p.length) out.push(violation("AVD-AWS-0057", doc.owner, `${stmtLabel(doc, st)}: ${p.join("; ")}`));
        }
      }
      return out;
    },
  },
  {
    id: "AVD-AWS-0342",
    title: "No identity policy allows iam:PassRole (unless the same document denies it)",
    aliases: ["aws-iam-filter-passrole-access"],
    resourceTypes: IDENTITY_TYPES,
    check(model) {
      const out: Violation[] = [];
      for (const doc of policiesIn(model, "identity")) {
        const denied = doc.statements.some((s) => s.effect === "Deny" && s.actions.some((a) => actionMatches(a, "iam:PassRole")));
        if (denied) continue;
        for (const st of doc.statements.filter((s) => allows(s, "iam:PassRole"))) {
          out.push(violation("AVD-AWS-0342", doc.owner, `${stmtLabel(doc, st)} allows iam:PassRole`));
        }
      }
      return out;
    },
  },
  {
    id: "AVD-AWS-0345",
    title: "No S3 full access",
    aliases: ["aws-iam-no-s3-full-access"],
    resourceTypes: [...IDENTITY_TYPES, ...ATTACHMENT_TYPES],
    check(model) {
      const out: Violation[] = [];
      for (const doc of policiesIn(model, "identity")) {
        for (const st of doc.statements.filter((s) => s.effect === "Allow")) {
          const bad = st.actions.filter((a) => a === "*" || a.toLowerCase() === "s3:*");
          if (bad.length) out.push(violation("AVD-AWS-0345", doc.owner, `${stmtLabel(doc, st)} allows ${bad.join(", ")}`));
        }
      }
      for (const a of attachments(model)) {
        if (managedPolicyName(a.arn) === "AmazonS3FullAccess") out.push(violation("AVD-AWS-0345", a.block, "attaches AmazonS3FullAccess"));
      }
      return out;
    },
  },
  {
    id: "AVD-AWS-0346",
    title: "No statement allows both s3:Get* and s3:Put* on every bucket",
    aliases: ["aws-iam-unauthorized-bucket-access"],
    resourceTypes: IDENTITY_TYPES,
    check(model) {
      const out: Violation[] = [];
      const everything = (r: string): boolean => r === "*" || /^arn:[^:]+:s3:::\*(\/\*)?$/.test(literalSkeleton(r, "X"));
      const gets = (a: string): boolean => /^s3:get/i.test(a) || actionMatches(a, "s3:GetObject");
      const puts = (a: string): boolean => /^s3:put/i.test(a) || actionMatches(a, "s3:PutObject");
      for (const doc of policiesIn(model, "identity")) {
        for (const st of doc.statements.filter((s) => s.effect === "Allow")) {
          if (st.actions.some(gets) && st.actions.some(puts) && st.resources.some(everything)) {
            out.push(violation("AVD-AWS-0346", doc.owner, `${stmtLabel(doc, st)} allows s3:Get* and s3:Put* on every bucket`));
          }
        }
      }
      return out;
    },
  },
  {
    id: "PIPE-005",
    title: "OIDC trust policies pin audience and subject",
    resourceTypes: ["aws_iam_openid_connect_provider"],
    applies: (model) =>
      resourcesOf(model, "aws_iam_openid_connect_provider").length > 0 ||
      policiesIn(model, "trust").some((d) => d.statements.some((s) => isWebIdentityStatement(model, s))),
    check(model) {
      const out: Violation[] = [];
      for (const doc of policiesIn(model, "trust")) {
        for (const st of doc.statements.filter((s) => s.effect === "Allow" && isWebIdentityStatement(model, s))) {
          const label = stmtLabel(doc, st);
          const hosts = st.principals.filter((p) => p.type === "Federated").flatMap((p) => p.ids.map((id) => providerHost(model, id)));
          const host = hosts.length === 1 ? hosts[0] : undefined;
          const keyed = (suffix: string) =>
            st.conditions.filter((c) => (c.test === "StringEquals" || c.test === "StringLike") && c.variable.endsWith(suffix));
          for (const [suffix, what] of [
            [":aud", "audience"],
            [":sub", "subject"],
          ] as const) {
            const conds = keyed(suffix);
            if (conds.length === 0) {
              out.push(violation("PIPE-005", doc.owner, `${label} has no StringEquals/StringLike condition on <provider>${suffix} (${what})`));
              continue;
            }
            for (const c of conds) {
              const prefix = c.variable.slice(0, -suffix.length);
              if (host && !prefix.includes("${") && prefix !== host) {
                out.push(violation("PIPE-005", doc.owner, `${label} conditions ${c.variable}, but the provider is ${host}`));
              }
              if (c.values.length === 0) out.push(violation("PIPE-005", doc.owner, `${label} condition ${c.variable} has no values`));
              const bad = suffix === ":sub" ? c.values.filter(subProblem) : c.values.filter((v) => v.includes("*"));
              if (bad.length) out.push(violation("PIPE-005", doc.owner, `${label} ${c.variable} allows ${bad.join(", ")}; pin the repository`));
            }
          }
        }
      }
      for (const doc of policiesIn(model, "trust")) {
        const problems = docProblems(doc);
        const raw = JSON.stringify(doc.via ? blockAt(model, doc.via)?.body : doc.owner.body.assume_role_policy) ?? "";
        if (problems.length && /AssumeRoleWithWebIdentity|oidc-provider|aws_iam_openid_connect_provider/.test(raw)) {
          out.push(violation("PIPE-005", doc.owner, `trust policy is not readable: ${problems.join("; ")}`));
        }
      }
      return out;
    },
  },
  {
    id: "PIPE-007",
    title: "Only module policies or reviewed AWS managed policies are attached",
    resourceTypes: ATTACHMENT_TYPES.filter((t) => t !== "aws_iam_role"),
    applies: (model) => attachments(model).length > 0,
    check(model) {
      const out: Violation[] = [];
      const vpcRoles = new Set(
        [...lambdaRoles(model).values()]
          .filter((e) => e.functions.every((fn) => blocks(fn.body, "vpc_config").length > 0))
          .map((e) => e.role.address),
      );
      for (const a of attachments(model)) {
        const own = refs(model, a.arn).some((r) => r.type === "aws_iam_policy" && r.kind === "resource");
        const inner = typeof a.arn === "string" ? unwrapInterpolation(String(expand(model, a.arn))) : undefined;
        if (own && inner !== undefined && traversalsIn(inner).length === 1) continue;
        const name = managedPolicyName(a.arn);
        if (name === "AmazonS3FullAccess") continue; // reported by AVD-AWS-0345
        if (name && REVIEWED_MANAGED.includes(name)) continue;
        if (name === "AWSLambdaVPCAccessExecutionRole" && a.roles.length > 0 && a.roles.every((r) => vpcRoles.has(r.address))) continue;
        out.push(
          violation(
            "PIPE-007",
            a.block,
            name === "AWSLambdaVPCAccessExecutionRole"
              ? "attaches AWSLambdaVPCAccessExecutionRole to a role that is not used only by VPC-attached Lambda functions"
              : name
              ? `attaches AWS managed policy ${name}, which is not on the reviewed list`
              : `attaches ${JSON.stringify(a.arn)}, which is neither an aws_iam_policy of the module nor a reviewed AWS managed policy`,
          ),
        );
      }
      return out;
    },
  },
];
