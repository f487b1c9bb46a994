/**
 * The IAM actions Terraform's AWS provider (5.100 … 6.x) calls to create, read (refresh), update
 * and delete each resource type pipegen emits, and the ARNs those calls are authorised against.
 * The deploy role's policy is derived from this table and the types `generated/*` actually
 * manages (derive.ts), instead of the hand-written "custom policies" of the original brief.
 *
 * Every entry lists the read calls too (Get/List/Describe and the tag reads), because
 * `terraform plan` refreshes every resource before anything changes, and the plan role's
 * read-only policy is the read subset of the same table.
 *
 * ARNs are patterns over the pipeline name prefix: every physical name pipegen generates starts
 * with `<pipeline>-<environment>` (derive.ts checks that on the parsed modules), so
 * `<pipeline>-*` covers all environments of a pipeline and nothing that pipegen did not name.
 * `${partition}` and `${account}` are placeholders, filled in by Terraform (data sources) in
 * bootstrap/aws and kept as-is in the review copy bootstrap/aws/deploy-policy.json.
 */

/** Placeholders that stay symbolic in the policy data; bootstrap renders them as Terraform references. */
export const PLACEHOLDERS = { partition: "${partition}", account: "${account}" } as const;

/** What an ARN pattern is built from: one pipeline in one region. */
export interface ArnContext {
  partition: string;
  account: string;
  region: string;
  pipeline: string;
}

/** IAM condition block: operator → condition key → values. */
export type Conditions = Record<string, Record<string, string[]>>;

/** Actions granted on some ARNs (optionally under a condition), merged into the statement `sid`. */
export interface Grant {
  /** Statement id (alphanumeric: tflint aws_iam_policy_sid_invalid_characters). */
  sid: string;
  actions: string[];
  arn: (ctx: ArnContext) => string[];
  condition?: (ctx: ArnContext) => Conditions;
}

/** How a generated resource is named, so derive.ts can prove the ARN patterns cover it. */
export interface NameRule {
  attribute: string;
  /** Allowed starts of the name; `{prefix}` stands for `${local.name_prefix}`. */
  startsWith: string[];
}

/** One row of RESOURCE_ACTIONS: the grants a resource type needs, and where the provider's calls are documented. */
export interface ResourceActions {
  /** Statement the main grant goes into. */
  sid: string;
  actions: string[];
  arn: (ctx: ArnContext) => string[];
  condition?: (ctx: ArnContext) => Conditions;
  /** Further grants the type needs on other resources (e.g. an alias also acts on its key). */
  also?: Grant[];
  name?: NameRule;
  /** Terraform registry page of the resource (the provider's CRUD calls are in its source). */
  doc: string;
}

/**
 * Actions that have no resource-level permissions (or, for the conditional ones, none that can
 * name a resource before it exists), so IAM only accepts them on Resource "*". Reviewed one by one;
 * a test fails when a Resource "*" statement holds anything else.
 */
export const UNSCOPED_ACTIONS: Readonly<Record<string, string>> = {
  "sts:GetCallerIdentity": "data.aws_caller_identity; needs no permission at all, listed for completeness",
  "kms:ListAliases": "aws_kms_alias refresh lists aliases (no resource-level permissions)",
  "kms:CreateKey": "a new key has no ARN yet; the statement requires the pipegen:pipeline request tag",
  "kms:TagResource": "tagging a key while CreateKey runs; only with the pipegen:pipeline request tag",
  "logs:DescribeLogGroups": "aws_cloudwatch_log_group refresh lists groups by name prefix (no resource-level permissions)",
  "logs:CreateLogDelivery": "HTTP API access logging sets up a vended log delivery with the caller's permissions",
  "logs:GetLogDelivery": "HTTP API access logging (vended log delivery)",
  "logs:UpdateLogDelivery": "HTTP API access logging (vended log delivery)",
  "logs:DeleteLogDelivery": "HTTP API access logging (vended log delivery)",
  "logs:ListLogDeliveries": "HTTP API access logging (vended log delivery)",
  "logs:PutResourcePolicy": "HTTP API access logging lets API Gateway write to the log group through a resource policy",
  "logs:DescribeResourcePolicies": "HTTP API access logging (log resource policy)",
  "lambda:CreateEventSourceMapping": "a mapping has no ARN before it exists; the statement requires lambda:FunctionArn to be a pipeline function",
  "lambda:UpdateEventSourceMapping": "authorised with the lambda:FunctionArn condition like CreateEventSourceMapping",
  "lambda:DeleteEventSourceMapping": "authorised with the lambda:FunctionArn condition like CreateEventSourceMapping",
  "sns:GetSubscriptionAttributes": "SNS subscription actions have no resource-level permissions",
  "sns:SetSubscriptionAttributes": "SNS subscription actions have no resource-level permissions",
  "sns:Unsubscribe": "SNS subscription actions have no resource-level permissions",
};

const ALL = (): string[] => ["*"];
/** `arn:<partition>:<service>:<region>:<account>:<rest>` */
const arnIn = (service: string, c: ArnContext, rest: string): string => `arn:${c.partition}:${service}:${c.region}:${c.account}:${rest}`;

const s3Bucket = (c: ArnContext): string[] => [`arn:${c.partition}:s3:::${c.pipeline}-*`];
const s3Objects = (c: ArnContext): string[] => [`arn:${c.partition}:s3:::${c.pipeline}-*/*`];
const kmsKeys = (c: ArnContext): string[] => [arnIn("kms", c, "key/*")];
const kmsAlias = (c: ArnContext): string[] => [arnIn("kms", c, `alias/${c.pipeline}-*`)];
const iamRoles = (c: ArnContext): string[] => [`arn:${c.partition}:iam::${c.account}:role/${c.pipeline}-*`];
const lambdaFunctions = (c: ArnContext): string[] => [arnIn("lambda", c, `function:${c.pipeline}-*`)];
const logGroups = (c: ArnContext): string[] => [
  arnIn("logs", c, `log-group:/aws/apigateway/${c.pipeline}-*`),
  arnIn("logs", c, `log-group:/aws/lambda/${c.pipeline}-*`),
];
const apis = (c: ArnContext): string[] => [
  `arn:${c.partition}:apigateway:${c.region}::/apis`,
  `arn:${c.partition}:apigateway:${c.region}::/apis/*`,
  `arn:${c.partition}:apigateway:${c.region}::/tags/*`,
];

/** Keys are tagged `pipegen:pipeline` by the generated provider's default_tags; keys have no names to scope by. */
const keyTag = (c: ArnContext): Conditions => ({ StringEquals: { "aws:ResourceTag/pipegen:pipeline": [c.pipeline] } });
const KEY_GRANT = (actions: string[]): Grant => ({ sid: "KmsPipelineKeys", actions, arn: kmsKeys, condition: keyTag });
const UNSCOPED = (actions: string[]): Grant => ({ sid: "NoResourceLevelPermissions", actions, arn: ALL });

const tf = (doc: string): string => `https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/${doc}`;
const S3 = (actions: string[], doc: string): ResourceActions => ({ sid: "S3Buckets", actions, arn: s3Bucket, doc: tf(doc) });
const APIGW = (doc: string): ResourceActions => ({
  sid: "ApiGatewayHttpApis",
  // API Gateway authorises its REST-style management API by HTTP verb on the resource path.
  actions: ["apigateway:DELETE", "apigateway:GET", "apigateway:PATCH", "apigateway:POST"],
  arn: apis,
  doc: tf(doc),
});

/**
 * Resource type (data sources as `data.<type>`) → what Terraform needs to manage it. A type that
 * `generated/` uses but this table lacks makes derivation throw: add it here, by review.
 */
export const RESOURCE_ACTIONS: Readonly<Record<string, ResourceActions>> = {
  "data.aws_caller_identity": {
    sid: "NoResourceLevelPermissions",
    actions: ["sts:GetCallerIdentity"],
    arn: ALL,
    doc: "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/caller_identity",
  },
  "data.aws_partition": {
    // Computed from the provider's region; no API call.
    sid: "NoResourceLevelPermissions",
    actions: [],
    arn: ALL,
    doc: "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/partition",
  },
  aws_kms_key: {
    sid: "KmsPipelineKeys",
    actions: [
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:DisableKeyRotation",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateKeyDescription",
    ],
    arn: kmsKeys,
    condition: keyTag,
    also: [
      {
        // CreateKey with Tags also needs kms:TagResource; both only with this pipeline's tag.
        sid: "KmsCreatePipelineKeys",
        actions: ["kms:CreateKey", "kms:TagResource"],
        arn: ALL,
        condition: (c) => ({ StringEquals: { "aws:RequestTag/pipegen:pipeline": [c.pipeline] } }),
      },
    ],
    doc: tf("kms_key"),
  },
  aws_kms_alias: {
    sid: "KmsAliases",
    actions: ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
    arn: kmsAlias,
    name: { attribute: "name", startsWith: ["alias/{prefix}"] },
    // Alias calls are authorised on the alias AND on the key it points to.
    also: [KEY_GRANT(["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]), UNSCOPED(["kms:ListAliases"])],
    doc: tf("kms_alias"),
  },
  aws_kinesis_stream: {
    sid: "KinesisStreams",
    actions: [
      "kinesis:AddTagsToStream",
      "kinesis:CreateStream",
      "kinesis:DecreaseStreamRetentionPeriod",
      "kinesis:DeleteStream",
      "kinesis:DescribeStream",
      "kinesis:DescribeStreamSummary",
      "kinesis:DisableEnhancedMonitoring",
      "kinesis:EnableEnhancedMonitoring",
      "kinesis:IncreaseStreamRetentionPeriod",
      "kinesis:ListShards",
      "kinesis:ListTagsForResource",
      "kinesis:ListTagsForStream",
      "kinesis:RemoveTagsFromStream",
      "kinesis:StartStreamEncryption",
      "kinesis:StopStreamEncryption",
      "kinesis:TagResource",
      "kinesis:UntagResource",
      "kinesis:UpdateShardCount",
      "kinesis:UpdateStreamMode",
    ],
    arn: (c) => [arnIn("kinesis", c, `stream/${c.pipeline}-*`)],
    name: { attribute: "name", startsWith: ["{prefix}"] },
    // StartStreamEncryption checks that the caller may use the customer-managed key.
    also: [KEY_GRANT(["kms:DescribeKey", "kms:GenerateDataKey"])],
    doc: tf("kinesis_stream"),
  },
  aws_s3_bucket: {
    sid: "S3Buckets",
    actions: [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:GetAccelerateConfiguration",
      "s3:GetBucketAcl",
      "s3:GetBucketCORS",
      "s3:GetBucketLocation",
      "s3:GetBucketLogging",
      "s3:GetBucketObjectLockConfiguration",
      "s3:GetBucketPolicy",
      "s3:GetBucketRequestPayment",
      "s3:GetBucketTagging",
      "s3:GetBucketVersioning",
      "s3:GetBucketWebsite",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:ListBucket",
      "s3:ListBucketVersions",
      "s3:PutBucketTagging",
    ],
    arn: s3Bucket,
    name: { attribute: "bucket", startsWith: ["{prefix}"] },
    // force_destroy (ephemeral environments) empties the bucket, every version, before DeleteBucket.
    also: [{ sid: "S3EmptyBucketsOnDestroy", actions: ["s3:DeleteObject", "s3:DeleteObjectVersion"], arn: s3Objects }],
    doc: tf("s3_bucket"),
  },
  aws_s3_bucket_versioning: S3(["s3:GetBucketVersioning", "s3:PutBucketVersioning"], "s3_bucket_versioning"),
  aws_s3_bucket_server_side_encryption_configuration: S3(["s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"], "s3_bucket_server_side_encryption_configuration"),
  // Deleting a public access block / ownership controls / lifecycle is authorised as the Put action.
  aws_s3_bucket_public_access_block: S3(["s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"], "s3_bucket_public_access_block"),
  aws_s3_bucket_ownership_controls: S3(["s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls"], "s3_bucket_ownership_controls"),
  aws_s3_bucket_policy: S3(["s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy"], "s3_bucket_policy"),
  aws_s3_bucket_logging: S3(["s3:GetBucketLogging", "s3:PutBucketLogging"], "s3_bucket_logging"),
  aws_s3_bucket_lifecycle_configuration: S3(["s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"], "s3_bucket_lifecycle_configuration"),
  aws_dynamodb_table: {
    sid: "DynamoDBTables",
    actions: [
      "dynamodb:CreateTable",
      "dynamodb:DeleteTable",
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:DescribeTable",
      "dynamodb:DescribeTimeToLive",
      "dynamodb:ListTagsOfResource",
      "dynamodb:TagResource",
      "dynamodb:UntagResource",
      "dynamodb:UpdateContinuousBackups",
      "dynamodb:UpdateTable",
      "dynamodb:UpdateTimeToLive",
    ],
    arn: (c) => [arnIn("dynamodb", c, `table/${c.pipeline}-*`)],
    name: { attribute: "name", startsWith: ["{prefix}"] },
    // A table encrypted with a customer-managed key: DynamoDB creates a grant with the caller's rights.
    also: [KEY_GRANT(["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"])],
    doc: tf("dynamodb_table"),
  },
  aws_sqs_queue: {
    sid: "SqsQueues",
    actions: [
      "sqs:CreateQueue",
      "sqs:DeleteQueue",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ListQueueTags",
      "sqs:SetQueueAttributes",
      "sqs:TagQueue",
      "sqs:UntagQueue",
    ],
    arn: (c) => [arnIn("sqs", c, `${c.pipeline}-*`)],
    name: { attribute: "name", startsWith: ["{prefix}"] },
    doc: tf("sqs_queue"),
  },
  aws_sns_topic: {
    sid: "SnsTopics",
    actions: [
      "sns:CreateTopic",
      "sns:DeleteTopic",
      "sns:GetTopicAttributes",
      "sns:ListTagsForResource",
      "sns:SetTopicAttributes",
      "sns:TagResource",
      "sns:UntagResource",
    ],
    arn: (c) => [arnIn("sns", c, `${c.pipeline}-*`)],
    name: { attribute: "name", startsWith: ["{prefix}"] },
    doc: tf("sns_topic"),
  },
  aws_sns_topic_subscription: {
    sid: "SnsTopics",
    actions: ["sns:ListSubscriptionsByTopic", "sns:Subscribe"],
    arn: (c) => [arnIn("sns", c, `${c.pipeline}-*`)],
    also: [UNSCOPED(["sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"])],
    doc: tf("sns_topic_subscription"),
  },
  aws_iam_role: {
    sid: "IamRoles",
    actions: [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:GetRole",
      // Refresh reads inline and attached policies (inline_policy, managed_policy_arns).
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      // Delete detaches the role from instance profiles first.
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:ListRoleTags",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ],
    arn: iamRoles,
    name: { attribute: "name", startsWith: ["{prefix}"] },
    doc: tf("iam_role"),
  },
  aws_iam_role_policy: {
    sid: "IamRoles",
    actions: ["iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:PutRolePolicy"],
    arn: iamRoles,
    doc: tf("iam_role_policy"),
  },
  aws_lambda_function: {
    sid: "LambdaFunctions",
    actions: [
      "lambda:CreateFunction",
      "lambda:DeleteFunction",
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:GetFunctionConfiguration",
      "lambda:ListTags",
      "lambda:ListVersionsByFunction",
      "lambda:TagResource",
      "lambda:UntagResource",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
    ],
    arn: lambdaFunctions,
    name: { attribute: "function_name", startsWith: ["{prefix}"] },
    also: [
      {
        // Creating a function hands it its execution role: only the pipeline's own roles, only to Lambda.
        sid: "IamPassRoleToLambda",
        actions: ["iam:PassRole"],
        arn: iamRoles,
        condition: () => ({ StringEquals: { "iam:PassedToService": ["lambda.amazonaws.com"] } }),
      },
    ],
    doc: tf("lambda_function"),
  },
  aws_lambda_event_source_mapping: {
    sid: "LambdaEventSourceMappings",
    // Mappings are named by UUID, so reads are scoped to mappings of the account and region.
    actions: ["lambda:GetEventSourceMapping", "lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"],
    arn: (c) => [arnIn("lambda", c, "event-source-mapping:*")],
    also: [
      {
        sid: "LambdaEventSourceMappingsOfPipelineFunctions",
        actions: ["lambda:CreateEventSourceMapping", "lambda:DeleteEventSourceMapping", "lambda:UpdateEventSourceMapping"],
        arn: ALL,
        condition: (c) => ({ ArnLike: { "lambda:FunctionArn": lambdaFunctions(c) } }),
      },
    ],
    doc: tf("lambda_event_source_mapping"),
  },
  aws_lambda_permission: {
    sid: "LambdaFunctions",
    actions: ["lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission"],
    arn: lambdaFunctions,
    doc: tf("lambda_permission"),
  },
  aws_cloudwatch_log_group: {
    sid: "CloudWatchLogGroups",
    actions: [
      "logs:AssociateKmsKey",
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:DeleteRetentionPolicy",
      "logs:DisassociateKmsKey",
      "logs:ListTagsForResource",
      "logs:ListTagsLogGroup",
      "logs:PutRetentionPolicy",
      "logs:TagLogGroup",
      "logs:TagResource",
      "logs:UntagLogGroup",
      "logs:UntagResource",
    ],
    arn: logGroups,
    name: { attribute: "name", startsWith: ["/aws/lambda/{prefix}", "/aws/apigateway/{prefix}"] },
    also: [UNSCOPED(["logs:DescribeLogGroups"])],
    doc: tf("cloudwatch_log_group"),
  },
  aws_cloudwatch_metric_alarm: {
    sid: "CloudWatchAlarms",
    actions: [
      "cloudwatch:DeleteAlarms",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:ListTagsForResource",
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
    ],
    arn: (c) => [arnIn("cloudwatch", c, `alarm:${c.pipeline}-*`)],
    name: { attribute: "alarm_name", startsWith: ["{prefix}"] },
    doc: tf("cloudwatch_metric_alarm"),
  },
  aws_cloudwatch_dashboard: {
    sid: "CloudWatchDashboards",
    // Dashboards are global to the account (no region in the ARN); the provider reads with GetDashboard.
    actions: ["cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard"],
    arn: (c) => [`arn:${c.partition}:cloudwatch::${c.account}:dashboard/${c.pipeline}-*`],
    name: { attribute: "dashboard_name", startsWith: ["{prefix}"] },
    doc: tf("cloudwatch_dashboard"),
  },
  aws_cloudwatch_event_bus: {
    sid: "EventBridgeBuses",
    actions: [
      "events:CreateEventBus",
      "events:DeleteEventBus",
      "events:DescribeEventBus",
      "events:ListTagsForResource",
      "events:TagResource",
      "events:UntagResource",
      "events:UpdateEventBus",
    ],
    arn: (c) => [arnIn("events", c, `event-bus/${c.pipeline}-*`)],
    name: { attribute: "name", startsWith: ["{prefix}"] },
    doc: tf("cloudwatch_event_bus"),
  },
  aws_cloudwatch_event_rule: {
    sid: "EventBridgeRules",
    actions: [
      "events:DeleteRule",
      "events:DescribeRule",
      "events:DisableRule",
      "events:EnableRule",
      "events:ListTagsForResource",
      "events:PutRule",
      "events:TagResource",
      "events:UntagResource",
    ],
    arn: (c) => [arnIn("events", c, `rule/${c.pipeline}-*`)],
    name: { attribute: "name", startsWith: ["{prefix}"] },
    doc: tf("cloudwatch_event_rule"),
  },
  aws_cloudwatch_event_target: {
    sid: "EventBridgeRules",
    actions: ["events:ListTargetsByRule", "events:PutTargets", "events:RemoveTargets"],
    arn: (c) => [arnIn("events", c, `rule/${c.pipeline}-*`)],
    doc: tf("cloudwatch_event_target"),
  },
  aws_apigatewayv2_api: APIGW("apigatewayv2_api"),
  aws_apigatewayv2_stage: {
    ...APIGW("apigatewayv2_stage"),
    also: [
      UNSCOPED([
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
      ]),
    ],
  },
  aws_apigatewayv2_integration: APIGW("apigatewayv2_integration"),
  aws_apigatewayv2_route: APIGW("apigatewayv2_route"),
};

/** True for the calls `terraform plan` makes (refresh): reads only, no writes, no key use. */
export function isReadAction(action: string): boolean {
  const [service, name = ""] = action.split(":");
  if (service === "apigateway") return name === "GET";
  return /^(Get|List|Describe)/.test(name);
}
