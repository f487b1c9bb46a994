import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import type { ManagedModule, PolicyDocument } from "../../src/delivery/deploy-policy/index.ts";
import {
  MANAGED_POLICY_LIMIT,
  RESOURCE_ACTIONS,
  UNSCOPED_ACTIONS,
  deriveDeployPolicy,
  deriveReadPolicy,
  isReadAction,
  policyActions,
  policyDiff,
  policySize,
  scanGenerated,
  splitPolicy,
} from "../../src/delivery/deploy-policy/index.ts";

const repo = join(import.meta.dirname, "../..");
const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

function workspace(): string {
  const cwd = mkdtempSync(join(tmpdir(), "pipegen-deploy-policy-"));
  temps.push(cwd);
  mkdirSync(join(cwd, "pipelines"));
  return cwd;
}

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { cwd, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Builds one pipeline spec in a fresh workspace and returns what its generated module manages. */
async function buildSpec(yaml: string): Promise<{ cwd: string; modules: ManagedModule[] }> {
  const cwd = workspace();
  writeFileSync(join(cwd, "pipelines", "spec.yaml"), yaml);
  const r = await run(cwd, "build");
  expect(r.code, r.err).toBe(0);
  return { cwd, modules: await scanGenerated(join(cwd, "generated")) };
}

/** IAM-style glob match (`*` any run of characters, `?` one), case-sensitive like ARNs. */
const glob = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&"))).join("")}$`).test(value);

/** Does some statement allow `action` on `arn` (conditions aside)? */
const allows = (doc: PolicyDocument, action: string, arn: string): boolean =>
  doc.Statement.some((s) => s.Action.includes(action) && s.Resource.some((r) => glob(r, arn)));

// given: a resource the temperature module creates (dev environment), as its ARN;
// want: the provider's create, read (refresh, tags included) and delete calls on it are allowed.
const P = "${partition}";
const A = "${account}";
const R = "us-east-1";
const PROVIDER_CALLS: Record<string, { arn: string; calls: string[] }> = {
  "data.aws_caller_identity": { arn: "*", calls: ["sts:GetCallerIdentity"] },
  "data.aws_partition": { arn: "*", calls: [] },
  aws_kms_key: {
    arn: `arn:${P}:kms:${R}:${A}:key/0c7b3a52-1111-2222-3333-444455556666`,
    calls: ["kms:CreateKey", "kms:TagResource", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:EnableKeyRotation", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
  },
  aws_sns_topic_policy: { arn: `arn:${P}:sns:${R}:${A}:temperature-dev-alarms`, calls: ["sns:SetTopicAttributes", "sns:GetTopicAttributes"] },
  aws_kms_alias: { arn: `arn:${P}:kms:${R}:${A}:alias/temperature-dev`, calls: ["kms:CreateAlias", "kms:ListAliases", "kms:UpdateAlias", "kms:DeleteAlias"] },
  aws_kinesis_stream: {
    arn: `arn:${P}:kinesis:${R}:${A}:stream/temperature-dev-readings`,
    calls: [
      "kinesis:CreateStream",
      "kinesis:DescribeStream",
      "kinesis:DescribeStreamSummary",
      "kinesis:ListTagsForStream",
      "kinesis:AddTagsToStream",
      "kinesis:RemoveTagsFromStream",
      "kinesis:StartStreamEncryption",
      "kinesis:IncreaseStreamRetentionPeriod",
      "kinesis:DecreaseStreamRetentionPeriod",
      "kinesis:UpdateShardCount",
      "kinesis:UpdateStreamMode",
      "kinesis:DeleteStream",
    ],
  },
  aws_s3_bucket: {
    arn: `arn:${P}:s3:::temperature-dev-lake-123456789012`,
    calls: ["s3:CreateBucket", "s3:ListBucket", "s3:GetBucketAcl", "s3:GetBucketPolicy", "s3:GetBucketTagging", "s3:PutBucketTagging", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration", "s3:ListBucketVersions", "s3:DeleteBucket"],
  },
  aws_s3_bucket_versioning: { arn: `arn:${P}:s3:::temperature-dev-lake-123456789012`, calls: ["s3:PutBucketVersioning", "s3:GetBucketVersioning"] },
  aws_s3_bucket_server_side_encryption_configuration: { arn: `arn:${P}:s3:::temperature-dev-lake-123456789012`, calls: ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"] },
  aws_s3_bucket_public_access_block: { arn: `arn:${P}:s3:::temperature-dev-lake-123456789012`, calls: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"] },
  aws_s3_bucket_ownership_controls: { arn: `arn:${P}:s3:::temperature-dev-lake-123456789012`, calls: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"] },
  aws_s3_bucket_policy: { arn: `arn:${P}:s3:::temperature-dev-lake-123456789012`, calls: ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"] },
  aws_s3_bucket_logging: { arn: `arn:${P}:s3:::temperature-dev-lake-123456789012`, calls: ["s3:PutBucketLogging", "s3:GetBucketLogging"] },
  aws_s3_bucket_lifecycle_configuration: { arn: `arn:${P}:s3:::temperature-dev-lake-123456789012`, calls: ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"] },
  aws_dynamodb_table: {
    arn: `arn:${P}:dynamodb:${R}:${A}:table/temperature-dev-averages`,
    calls: ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive", "dynamodb:ListTagsOfResource", "dynamodb:TagResource", "dynamodb:UpdateTable", "dynamodb:DeleteTable"],
  },
  aws_sqs_queue: {
    arn: `arn:${P}:sqs:${R}:${A}:temperature-dev-lake-dlq`,
    calls: ["sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:ListQueueTags", "sqs:TagQueue", "sqs:DeleteQueue"],
  },
  aws_sns_topic: { arn: `arn:${P}:sns:${R}:${A}:temperature-dev-alarms`, calls: ["sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListTagsForResource", "sns:TagResource", "sns:DeleteTopic"] },
  aws_sns_topic_subscription: { arn: `arn:${P}:sns:${R}:${A}:temperature-dev-alarms`, calls: ["sns:Subscribe", "sns:GetSubscriptionAttributes", "sns:Unsubscribe"] },
  aws_iam_role: {
    arn: `arn:${P}:iam::${A}:role/temperature-dev-lake`,
    calls: ["iam:CreateRole", "iam:GetRole", "iam:TagRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:UpdateAssumeRolePolicy", "iam:ListInstanceProfilesForRole", "iam:DeleteRole"],
  },
  aws_iam_role_policy: { arn: `arn:${P}:iam::${A}:role/temperature-dev-lake`, calls: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"] },
  aws_lambda_function: {
    arn: `arn:${P}:lambda:${R}:${A}:function:temperature-dev-lake`,
    calls: ["lambda:CreateFunction", "lambda:GetFunction", "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:ListTags", "lambda:DeleteFunction"],
  },
  aws_lambda_event_source_mapping: {
    arn: `arn:${P}:lambda:${R}:${A}:event-source-mapping:7e3b8c40-1111-2222-3333-444455556666`,
    calls: ["lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"],
  },
  aws_lambda_permission: { arn: `arn:${P}:lambda:${R}:${A}:function:temperature-dev-simulator`, calls: ["lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission"] },
  aws_cloudwatch_log_group: {
    arn: `arn:${P}:logs:${R}:${A}:log-group:/aws/lambda/temperature-dev-lake`,
    calls: ["logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy", "logs:AssociateKmsKey", "logs:ListTagsForResource", "logs:TagResource", "logs:DeleteLogGroup"],
  },
  aws_cloudwatch_metric_alarm: { arn: `arn:${P}:cloudwatch:${R}:${A}:alarm:temperature-dev-lake-errors`, calls: ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:DeleteAlarms"] },
  aws_cloudwatch_dashboard: { arn: `arn:${P}:cloudwatch::${A}:dashboard/temperature-dev`, calls: ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"] },
  aws_cloudwatch_event_rule: { arn: `arn:${P}:events:${R}:${A}:rule/temperature-dev-simulator`, calls: ["events:PutRule", "events:DescribeRule", "events:ListTagsForResource", "events:TagResource", "events:DeleteRule"] },
  aws_cloudwatch_event_target: { arn: `arn:${P}:events:${R}:${A}:rule/temperature-dev-simulator`, calls: ["events:PutTargets", "events:ListTargetsByRule", "events:RemoveTargets"] },
  aws_apigatewayv2_api: { arn: `arn:${P}:apigateway:${R}::/apis`, calls: ["apigateway:POST", "apigateway:GET"] },
  aws_apigatewayv2_stage: { arn: `arn:${P}:apigateway:${R}::/apis/a1b2c3/stages/$default`, calls: ["apigateway:POST", "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE", "logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies"] },
  aws_apigatewayv2_integration: { arn: `arn:${P}:apigateway:${R}::/apis/a1b2c3/integrations`, calls: ["apigateway:POST", "apigateway:GET", "apigateway:DELETE"] },
  aws_apigatewayv2_route: { arn: `arn:${P}:apigateway:${R}::/apis/a1b2c3/routes/r1`, calls: ["apigateway:GET", "apigateway:PATCH", "apigateway:DELETE"] },
};

const REFERENCE = readFileSync(join(repo, "pipelines/temperature.yaml"), "utf8");
const ORDERS_S3 = `pipeline: orders
record: { id: string, value: number, at: timestamp }
sources:
  events: { type: kinesis }
sinks:
  archive: { type: s3, inputs: [events], prefix: raw/, partition_by: [date], time_field: at }
`;
const ORDERS_S3_DYNAMODB = `${ORDERS_S3}  latest: { type: dynamodb, inputs: [events], key: { partition: id }, ttl_days: 7 }
`;

let reference: ManagedModule[];
let policy: PolicyDocument;

beforeAll(async () => {
  ({ modules: reference } = await buildSpec(REFERENCE));
  policy = deriveDeployPolicy(reference);
}, 120_000);

describe("deploy policy derived from the reference pipeline", () => {
  it("reads the module: pipeline, types, region, environments", () => {
    expect(reference.map((m) => [m.pipeline, m.regions, m.environments])).toEqual([["temperature", ["us-east-1"], ["dev", "prod"]]]);
    expect(reference[0]!.types).toContain("aws_kinesis_stream");
    expect(reference[0]!.types).toContain("data.aws_caller_identity");
  });

  it("every resource type of the module has an entry, and the test table knows each type", () => {
    for (const t of reference[0]!.types) {
      expect(RESOURCE_ACTIONS[t], t).toBeDefined();
      expect(PROVIDER_CALLS[t], `add ${t} to PROVIDER_CALLS in this test`).toBeDefined();
    }
  });

  it.each(Object.keys(PROVIDER_CALLS))("%s: the provider's create, read and delete calls are allowed on a resource the module creates", (type) => {
    if (!reference[0]!.types.includes(type)) return; // not in the reference module (covered where it is)
    const { arn, calls } = PROVIDER_CALLS[type]!;
    const missing = calls.filter((c) => !allows(policy, c, arn));
    expect(missing, `${type} on ${arn}`).toEqual([]);
  });

  it("scopes named resources to the pipeline prefix: another pipeline's resources are not covered", () => {
    const foreign: Array<[string, string]> = [
      ["s3:DeleteBucket", `arn:${P}:s3:::payments-dev-lake-123456789012`],
      ["s3:DeleteBucket", `arn:${P}:s3:::pipegen-tfstate-123456789012-us-east-1`],
      ["kinesis:DeleteStream", `arn:${P}:kinesis:${R}:${A}:stream/payments-dev-readings`],
      ["kinesis:DeleteStream", `arn:${P}:kinesis:eu-west-1:${A}:stream/temperature-dev-readings`],
      ["lambda:UpdateFunctionCode", `arn:${P}:lambda:${R}:${A}:function:payments-dev-lake`],
      ["iam:PutRolePolicy", `arn:${P}:iam::${A}:role/pipegen-apply`],
      ["iam:PassRole", `arn:${P}:iam::${A}:role/admin`],
      ["dynamodb:DeleteTable", `arn:${P}:dynamodb:${R}:${A}:table/payments-dev-averages`],
      ["logs:DeleteLogGroup", `arn:${P}:logs:${R}:${A}:log-group:/aws/lambda/payments-dev-lake`],
      ["kms:CreateAlias", `arn:${P}:kms:${R}:${A}:alias/pipegen-tfstate`],
    ];
    for (const [action, arn] of foreign) expect(allows(policy, action, arn), `${action} on ${arn}`).toBe(false);
  });

  it("grants no wildcard action, and Resource \"*\" only for reviewed actions without resource-level permissions", () => {
    for (const s of policy.Statement) {
      expect(s.Action.filter((a) => a.includes("*")), s.Sid).toEqual([]);
      expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
      if (s.Resource.includes("*")) expect(s.Action.filter((a) => !(a in UNSCOPED_ACTIONS)), s.Sid).toEqual([]);
    }
    // The conditional ones keep their condition: key creation needs the pipeline tag, mappings a pipeline function.
    const bySid = new Map(policy.Statement.map((s) => [s.Sid, s]));
    expect(bySid.get("KmsCreatePipelineKeys")!.Condition).toEqual({ StringEquals: { "aws:RequestTag/pipegen:pipeline": ["temperature"] } });
    expect(bySid.get("LambdaEventSourceMappingsOfPipelineFunctions")!.Condition).toEqual({ ArnLike: { "lambda:FunctionArn": [`arn:${P}:lambda:${R}:${A}:function:temperature-*`] } });
    expect(bySid.get("KmsPipelineKeys")!.Condition).toEqual({ StringEquals: { "aws:ResourceTag/pipegen:pipeline": ["temperature"] } });
  });

  it("allows iam:PassRole only on the pipeline's roles and only to Lambda", () => {
    const pass = policy.Statement.filter((s) => s.Action.includes("iam:PassRole"));
    expect(pass).toEqual([
      {
        Sid: "IamPassRoleToLambda",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: [`arn:${P}:iam::${A}:role/temperature-*`],
        Condition: { StringEquals: { "iam:PassedToService": ["lambda.amazonaws.com"] } },
      },
    ]);
  });

  it("splits into managed policies under IAM's 6,144-character limit, losing nothing", () => {
    const docs = splitPolicy(policy);
    for (const d of docs) expect(policySize(d)).toBeLessThanOrEqual(MANAGED_POLICY_LIMIT);
    expect(docs.flatMap((d) => d.Statement)).toEqual(policy.Statement);
    // A tight limit forces statements to be split by action, still losing nothing.
    const tight = splitPolicy(policy, 1200);
    expect(tight.length).toBeGreaterThan(docs.length);
    for (const d of tight) expect(policySize(d)).toBeLessThanOrEqual(1200);
    expect(policyActions({ Version: "2012-10-17", Statement: tight.flatMap((d) => d.Statement) })).toEqual(policyActions(policy));
  });

  it("the plan role's policy is the read-only subset", () => {
    const read = deriveReadPolicy(reference);
    const actions = policyActions(read);
    expect(actions.every(isReadAction)).toBe(true);
    expect(actions).toEqual(policyActions(policy).filter(isReadAction));
    for (const w of ["s3:CreateBucket", "s3:DeleteObject", "iam:PassRole", "kms:CreateKey", "kms:Decrypt", "lambda:UpdateFunctionCode", "apigateway:POST"]) expect(actions).not.toContain(w);
    for (const r of ["s3:GetBucketPolicy", "kinesis:DescribeStreamSummary", "lambda:GetFunction", "kms:GetKeyPolicy", "apigateway:GET", "iam:GetRole"]) expect(actions).toContain(r);
  });

  it("is deterministic: same modules, byte-identical JSON with sorted actions and statements", () => {
    expect(JSON.stringify(deriveDeployPolicy(reference))).toBe(JSON.stringify(policy));
    const sids = policy.Statement.map((s) => s.Sid);
    expect(sids).toEqual([...sids].sort());
    for (const s of policy.Statement) expect(s.Action).toEqual([...s.Action].sort());
  });
});

describe("deploy policy follows the pipelines", () => {
  it("adding a dynamodb sink adds the DynamoDB actions (and the key grant), and policyDiff reports them", async () => {
    const without = deriveDeployPolicy((await buildSpec(ORDERS_S3)).modules);
    const withTable = deriveDeployPolicy((await buildSpec(ORDERS_S3_DYNAMODB)).modules);
    const ddb = (d: PolicyDocument) => policyActions(d).filter((a) => a.startsWith("dynamodb:"));
    expect(ddb(without)).toEqual([]);
    expect(ddb(withTable)).toEqual(expect.arrayContaining(["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable"]));
    expect(policyActions(without)).not.toContain("kms:CreateGrant");
    expect(policyActions(withTable)).toContain("kms:CreateGrant");
    const diff = policyDiff(without, withTable);
    expect(diff).toContain("  + statement DynamoDBTables (added)\n");
    expect(diff).toContain("    + dynamodb:CreateTable\n");
    expect(diff).toContain(`    + resource arn:${P}:dynamodb:${R}:${A}:table/orders-*\n`);
    expect(diff).toMatch(/ {2}~ statement KmsPipelineKeys\n(?: {4}\+ .*\n)*? {4}\+ kms:CreateGrant\n/);
    expect(diff).not.toContain("    - ");
    // and back: removing the sink shows the removal
    expect(policyDiff(withTable, without)).toContain("  - statement DynamoDBTables (removed)\n");
    expect(policyDiff(withTable, withTable)).toBe("");
  }, 120_000);

  it("a resource type without an entry makes derivation throw, saying what to add where", async () => {
    const root = mkdtempSync(join(tmpdir(), "pipegen-unknown-type-"));
    temps.push(root);
    const dir = join(root, "generated", "orders");
    mkdirSync(dir, { recursive: true });
    cpSync(join(repo, "generated/temperature/main.tf"), join(dir, "main.tf"));
    writeFileSync(join(dir, "glue.tf"), 'resource "aws_glue_trigger" "etl" {\n  name = "${local.name_prefix}-etl"\n  type = "ON_DEMAND"\n\n  actions {\n    job_name = "x"\n  }\n}\n');
    writeFileSync(join(dir, "variables.tf"), 'variable "region" {\n  type    = string\n  default = "us-east-1"\n}\n');
    await expect(scanGenerated(join(root, "generated"))).rejects.toThrow(
      /generated\/orders manages aws_glue_trigger, which has no entry in RESOURCE_ACTIONS \(src\/delivery\/deploy-policy\/resource-actions\.ts\): add the IAM actions/,
    );
  });

  it("a module whose KMS key would not carry the pipegen:pipeline tag makes derivation throw (keys are scoped by it)", async () => {
    const root = mkdtempSync(join(tmpdir(), "pipegen-untagged-key-"));
    temps.push(root);
    const dir = join(root, "generated", "temperature");
    cpSync(join(repo, "generated/temperature"), dir, { recursive: true });
    await expect(scanGenerated(join(root, "generated"))).resolves.toHaveLength(1);
    const providers = join(dir, "providers.tf");
    writeFileSync(providers, readFileSync(providers, "utf8").replace("tags = local.tags", "tags = var.tags"));
    await expect(scanGenerated(join(root, "generated"))).rejects.toThrow(/default_tags must set "pipegen:pipeline" = "temperature".*scopes KMS keys by that tag/);
  });

  it("a resource named outside the pipeline prefix makes derivation throw (the policy would not cover it)", async () => {
    const root = mkdtempSync(join(tmpdir(), "pipegen-bad-name-"));
    temps.push(root);
    const dir = join(root, "generated", "orders");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "main.tf"), 'locals {\n  name_prefix = "orders-${var.environment}"\n}\n\nresource "aws_sqs_queue" "q" {\n  name = "shared-queue"\n}\n');
    writeFileSync(join(dir, "variables.tf"), 'variable "region" {\n  type    = string\n  default = "us-east-1"\n}\n');
    await expect(scanGenerated(join(root, "generated"))).rejects.toThrow(/aws_sqs_queue\.q\.name = "shared-queue" does not start with "\$\{local\.name_prefix\}"/);
  });
});
