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
  "logs:CreateLogDelivery": "HTTP API access logging and Step Functions execution logging set up a vended log delivery with the caller's permissions",
  "logs:GetLogDelivery": "vended log delivery (HTTP API access logs, Step Functions execution logs)",
  "logs:UpdateLogDelivery": "vended log delivery (HTTP API access logs, Step Functions execution logs)",
  "logs:DeleteLogDelivery": "vended log delivery (HTTP API access logs, Step Functions execution logs)",
  "logs:ListLogDeliveries": "vended log delivery (HTTP API access logs, Step Functions execution logs)",
  "logs:PutResourcePolicy": "vended log delivery (HTTP API access logs, Step Functions execution logs) writes to the log group through an account-level resource policy",
  "logs:DescribeResourcePolicies": "account-level log resource policies of vended log delivery",
  "lambda:CreateEventSourceMapping": "a mapping has no ARN before it exists; the statement requires lambda:FunctionArn to be a pipeline function",
  "lambda:UpdateEventSourceMapping": "authorised with the lambda:FunctionArn condition like CreateEventSourceMapping",
  "lambda:DeleteEventSourceMapping": "authorised with the lambda:FunctionArn condition like CreateEventSourceMapping",
  "sns:GetSubscriptionAttributes": "SNS subscription actions have no resource-level permissions",
  "sns:SetSubscriptionAttributes": "SNS subscription actions have no resource-level permissions",
  "sns:Unsubscribe": "SNS subscription actions have no resource-level permissions",
  "logs:DeleteResourcePolicy": "CloudWatch Logs resource policies (OpenSearch log delivery) belong to the account and region, not to a log group",
  "aoss:BatchGetCollection": "OpenSearch Serverless collection reads have no resource-level permissions (collection ARNs carry generated ids)",
  "aoss:CreateCollection": "a new collection has no ARN yet; the statement requires the pipegen:pipeline request tag",
  "aoss:TagResource": "tagging a collection while CreateCollection runs; only with the pipegen:pipeline request tag (or on a collection carrying it)",
  "aoss:UntagResource": "OpenSearch Serverless collections: only where the collection carries the pipeline's pipegen:pipeline tag",
  "aoss:ListTagsForResource": "OpenSearch Serverless collections: only where the collection carries the pipeline's pipegen:pipeline tag",
  "aoss:UpdateCollection": "OpenSearch Serverless collections: only where the collection carries the pipeline's pipegen:pipeline tag",
  "aoss:DeleteCollection": "OpenSearch Serverless collections: only where the collection carries the pipeline's pipegen:pipeline tag",
  "aoss:CreateSecurityPolicy": "OpenSearch Serverless security policies have no ARNs; scoped by the aoss:collection key where the request carries it",
  "aoss:GetSecurityPolicy": "OpenSearch Serverless security policies have no ARNs",
  "aoss:UpdateSecurityPolicy": "OpenSearch Serverless security policies have no ARNs; scoped by the aoss:collection key where the request carries it",
  "aoss:DeleteSecurityPolicy": "OpenSearch Serverless security policies have no ARNs; scoped by the aoss:collection key where the request carries it",
  "aoss:CreateAccessPolicy": "OpenSearch Serverless data access policies have no ARNs; scoped by the aoss:collection key where the request carries it",
  "aoss:GetAccessPolicy": "OpenSearch Serverless data access policies have no ARNs",
  "aoss:UpdateAccessPolicy": "OpenSearch Serverless data access policies have no ARNs; scoped by the aoss:collection key where the request carries it",
  "aoss:DeleteAccessPolicy": "OpenSearch Serverless data access policies have no ARNs; scoped by the aoss:collection key where the request carries it",
  "states:ValidateStateMachineDefinition": "aws_sfn_state_machine checks a changed definition at plan time (CustomizeDiff); the call takes no resource",
  "glue:CreateSecurityConfiguration": "Glue security configurations have no resource-level permissions",
  "glue:GetSecurityConfiguration": "Glue security configurations have no resource-level permissions",
  "glue:DeleteSecurityConfiguration": "Glue security configurations have no resource-level permissions",
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
  arnIn("logs", c, `log-group:/aws-glue/jobs/${c.pipeline}-*`),
  arnIn("logs", c, `log-group:/aws/apigateway/${c.pipeline}-*`),
  arnIn("logs", c, `log-group:/aws/kinesisfirehose/${c.pipeline}-*`),
  arnIn("logs", c, `log-group:/aws/lambda/${c.pipeline}-*`),
  arnIn("logs", c, `log-group:/aws/opensearch/${c.pipeline}-*`),
  arnIn("logs", c, `log-group:/aws/vendedlogs/states/${c.pipeline}-*`),
];
/**
 * The Glue Data Catalog, the pipeline's databases (named `<pipeline>_<environment>`: Athena allows no
 * `-`) and everything in them; DeleteDatabase is authorised on the tables and functions it drops too.
 */
const glueCatalog = (c: ArnContext): string[] => {
  const db = `${c.pipeline.replace(/-/g, "_")}_*`;
  return [arnIn("glue", c, "catalog"), arnIn("glue", c, `database/${db}`), arnIn("glue", c, `table/${db}/*`), arnIn("glue", c, `userDefinedFunction/${db}/*`)];
};
const athenaWorkgroups = (c: ArnContext): string[] => [arnIn("athena", c, `workgroup/${c.pipeline}-*`)];
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
  // Deleting the notification configuration is a PutBucketNotificationConfiguration with none left.
  aws_s3_bucket_notification: S3(["s3:GetBucketNotification", "s3:PutBucketNotification"], "s3_bucket_notification"),
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
  aws_sns_topic_policy: {
    sid: "SnsTopics",
    // Deleting the resource sets the topic's default policy back (SetTopicAttributes).
    actions: ["sns:GetTopicAttributes", "sns:SetTopicAttributes"],
    arn: (c) => [arnIn("sns", c, `${c.pipeline}-*`)],
    doc: tf("sns_topic_policy"),
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
    name: { attribute: "name", startsWith: ["/aws/lambda/{prefix}", "/aws/apigateway/{prefix}", "/aws/kinesisfirehose/{prefix}", "/aws-glue/jobs/{prefix}", "/aws/vendedlogs/states/{prefix}", "/aws/opensearch/{prefix}"] },
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
  aws_apigatewayv2_authorizer: APIGW("apigatewayv2_authorizer"),
  aws_apigatewayv2_integration: APIGW("apigatewayv2_integration"),
  aws_apigatewayv2_route: APIGW("apigatewayv2_route"),
  aws_sfn_state_machine: {
    sid: "StepFunctionsStateMachines",
    actions: [
      "states:CreateStateMachine",
      "states:DeleteStateMachine",
      "states:DescribeStateMachine",
      "states:ListStateMachineVersions",
      "states:ListTagsForResource",
      "states:TagResource",
      "states:UntagResource",
      "states:UpdateStateMachine",
    ],
    arn: (c) => [arnIn("states", c, `stateMachine:${c.pipeline}-*`)],
    name: { attribute: "name", startsWith: ["{prefix}"] },
    also: [
      {
        // Creating a state machine hands it its role: only the pipeline's roles, only to Step Functions.
        sid: "IamPassRoleToStepFunctions",
        actions: ["iam:PassRole"],
        arn: iamRoles,
        condition: () => ({ StringEquals: { "iam:PassedToService": ["states.amazonaws.com"] } }),
      },
      // Execution logging sets up a vended log delivery with the caller's permissions; plan validates a changed definition.
      UNSCOPED([
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
        "states:ValidateStateMachineDefinition",
      ]),
    ],
    doc: tf("sfn_state_machine"),
  },
  aws_scheduler_schedule: {
    sid: "SchedulerSchedules",
    // Schedules take no tags; they live in the default group.
    actions: ["scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule"],
    arn: (c) => [arnIn("scheduler", c, `schedule/default/${c.pipeline}-*`)],
    name: { attribute: "name", startsWith: ["{prefix}"] },
    also: [
      {
        // A schedule hands its target role to Scheduler: only the pipeline's roles, only to Scheduler.
        sid: "IamPassRoleToScheduler",
        actions: ["iam:PassRole"],
        arn: iamRoles,
        condition: () => ({ StringEquals: { "iam:PassedToService": ["scheduler.amazonaws.com"] } }),
      },
      // The schedule is encrypted with the pipeline key (kms_key_arn) using the caller's permissions.
      KEY_GRANT(["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]),
    ],
    doc: tf("scheduler_schedule"),
  },
  aws_cloudwatch_log_stream: {
    sid: "CloudWatchLogGroups",
    // Stream ARNs are `<log group arn>:log-stream:<name>`, which the log-group patterns cover.
    actions: ["logs:CreateLogStream", "logs:DeleteLogStream", "logs:DescribeLogStreams"],
    arn: logGroups,
    doc: tf("cloudwatch_log_stream"),
  },
  aws_glue_catalog_database: {
    sid: "GlueCatalog",
    actions: ["glue:CreateDatabase", "glue:DeleteDatabase", "glue:GetDatabase", "glue:GetTags", "glue:TagResource", "glue:UntagResource", "glue:UpdateDatabase"],
    arn: glueCatalog,
    name: { attribute: "name", startsWith: ['${replace(local.name_prefix, "-", "_")}'] },
    doc: tf("glue_catalog_database"),
  },
  aws_glue_catalog_table: {
    sid: "GlueCatalog",
    // Refresh also reads the table's partition indexes.
    actions: ["glue:CreateTable", "glue:DeleteTable", "glue:GetPartitionIndexes", "glue:GetTable", "glue:UpdateTable"],
    arn: glueCatalog,
    doc: tf("glue_catalog_table"),
  },
  aws_athena_workgroup: {
    sid: "AthenaWorkgroups",
    actions: [
      "athena:CreateWorkGroup",
      "athena:DeleteWorkGroup",
      "athena:GetWorkGroup",
      "athena:ListTagsForResource",
      "athena:TagResource",
      "athena:UntagResource",
      "athena:UpdateWorkGroup",
    ],
    arn: athenaWorkgroups,
    name: { attribute: "name", startsWith: ["{prefix}"] },
    doc: tf("athena_workgroup"),
  },
  aws_athena_named_query: {
    sid: "AthenaWorkgroups",
    // Named queries have no ARN of their own: they are authorised on their workgroup.
    actions: ["athena:CreateNamedQuery", "athena:DeleteNamedQuery", "athena:GetNamedQuery"],
    arn: athenaWorkgroups,
    doc: tf("athena_named_query"),
  },
  aws_kinesis_firehose_delivery_stream: {
    sid: "FirehoseDeliveryStreams",
    actions: [
      "firehose:CreateDeliveryStream",
      "firehose:DeleteDeliveryStream",
      "firehose:DescribeDeliveryStream",
      "firehose:ListTagsForDeliveryStream",
      "firehose:StartDeliveryStreamEncryption",
      "firehose:StopDeliveryStreamEncryption",
      "firehose:TagDeliveryStream",
      "firehose:UntagDeliveryStream",
      "firehose:UpdateDestination",
    ],
    arn: (c) => [arnIn("firehose", c, `deliverystream/${c.pipeline}-*`)],
    name: { attribute: "name", startsWith: ["{prefix}"] },
    also: [
      {
        // The stream assumes its own role: only the pipeline's roles, only to Firehose.
        sid: "IamPassRoleToFirehose",
        actions: ["iam:PassRole"],
        arn: iamRoles,
        condition: () => ({ StringEquals: { "iam:PassedToService": ["firehose.amazonaws.com"] } }),
      },
      // Server-side encryption with a customer-managed key: Firehose creates a grant with the caller's rights.
      KEY_GRANT(["kms:CreateGrant", "kms:DescribeKey"]),
    ],
    doc: tf("kinesis_firehose_delivery_stream"),
  },
  aws_glue_job: {
    sid: "GlueJobs",
    actions: ["glue:CreateJob", "glue:DeleteJob", "glue:GetJob", "glue:GetTags", "glue:TagResource", "glue:UntagResource", "glue:UpdateJob"],
    arn: (c) => [arnIn("glue", c, `job/${c.pipeline}-*`)],
    name: { attribute: "name", startsWith: ["{prefix}"] },
    also: [
      {
        // Creating a job hands it its role: only the pipeline's roles, only to Glue.
        sid: "IamPassRoleToGlue",
        actions: ["iam:PassRole"],
        arn: iamRoles,
        condition: () => ({ StringEquals: { "iam:PassedToService": ["glue.amazonaws.com"] } }),
      },
    ],
    doc: tf("glue_job"),
  },
  aws_glue_security_configuration: {
    sid: "NoResourceLevelPermissions",
    actions: ["glue:CreateSecurityConfiguration", "glue:DeleteSecurityConfiguration", "glue:GetSecurityConfiguration"],
    arn: ALL,
    name: { attribute: "name", startsWith: ["{prefix}"] },
    doc: tf("glue_security_configuration"),
  },
  aws_s3_object: {
    sid: "S3Objects",
    // Refresh reads the object's metadata and tags; in a versioned bucket destroy deletes every version.
    actions: ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:GetObjectTagging", "s3:PutObject", "s3:PutObjectTagging"],
    arn: s3Objects,
    also: [
      { sid: "S3Buckets", actions: ["s3:ListBucket", "s3:ListBucketVersions"], arn: s3Bucket },
      // Objects land SSE-KMS encrypted with the pipeline key (bucket default encryption).
      KEY_GRANT(["kms:Decrypt", "kms:GenerateDataKey"]),
    ],
    doc: tf("s3_object"),
  },
  aws_opensearch_domain: {
    sid: "OpenSearchDomains",
    actions: [
      "es:AddTags",
      "es:CreateDomain",
      "es:DeleteDomain",
      "es:DescribeDomain",
      "es:DescribeDomainChangeProgress",
      "es:DescribeDomainConfig",
      "es:GetUpgradeStatus",
      "es:ListTags",
      "es:RemoveTags",
      "es:UpdateDomainConfig",
      "es:UpgradeDomain",
    ],
    arn: (c) => [arnIn("es", c, `domain/${c.pipeline}-*`)],
    name: { attribute: "domain_name", startsWith: ["{prefix}"] },
    also: [
      // Encryption at rest with a customer-managed key: OpenSearch creates a grant with the caller's rights.
      KEY_GRANT(["kms:CreateGrant", "kms:DescribeKey"]),
      {
        // The first domain of an account creates OpenSearch Service's service-linked role, and nothing else may be created.
        sid: "IamOpenSearchServiceLinkedRoles",
        actions: ["iam:CreateServiceLinkedRole"],
        arn: (c) => [`arn:${c.partition}:iam::${c.account}:role/aws-service-role/opensearchservice.amazonaws.com/AWSServiceRoleForAmazonOpenSearchService`],
        condition: () => ({ StringEquals: { "iam:AWSServiceName": ["opensearchservice.amazonaws.com"] } }),
      },
    ],
    doc: tf("opensearch_domain"),
  },
  aws_cloudwatch_log_resource_policy: {
    // Lets OpenSearch deliver a domain's logs; resource policies are per account and region, without ARNs.
    sid: "NoResourceLevelPermissions",
    actions: ["logs:DeleteResourcePolicy", "logs:DescribeResourcePolicies", "logs:PutResourcePolicy"],
    arn: ALL,
    name: { attribute: "policy_name", startsWith: ["{prefix}"] },
    doc: tf("cloudwatch_log_resource_policy"),
  },
  aws_opensearchserverless_collection: {
    // Collection ARNs carry generated ids, so the pipeline's collections are told apart by its tag
    // (IfExists: calls without a resource context are not refused for lack of one).
    sid: "OpenSearchServerlessCollections",
    actions: ["aoss:DeleteCollection", "aoss:ListTagsForResource", "aoss:TagResource", "aoss:UntagResource", "aoss:UpdateCollection"],
    arn: ALL,
    condition: (c) => ({ StringEqualsIfExists: { "aws:ResourceTag/pipegen:pipeline": [c.pipeline] } }),
    also: [
      {
        // CreateCollection with tags also needs aoss:TagResource; both only with this pipeline's tag.
        sid: "OpenSearchServerlessCreateCollections",
        actions: ["aoss:CreateCollection", "aoss:TagResource"],
        arn: ALL,
        condition: (c) => ({ StringEquals: { "aws:RequestTag/pipegen:pipeline": [c.pipeline] } }),
      },
      UNSCOPED(["aoss:BatchGetCollection"]),
      // The collection is encrypted with the pipeline key: OpenSearch Serverless creates a grant with the caller's rights.
      KEY_GRANT(["kms:CreateGrant", "kms:DescribeKey"]),
      {
        sid: "IamOpenSearchServiceLinkedRoles",
        actions: ["iam:CreateServiceLinkedRole"],
        arn: (c) => [`arn:${c.partition}:iam::${c.account}:role/aws-service-role/observability.aoss.amazonaws.com/AWSServiceRoleForAmazonOpenSearchServerless`],
        condition: () => ({ StringEquals: { "iam:AWSServiceName": ["observability.aoss.amazonaws.com"] } }),
      },
    ],
    doc: tf("opensearchserverless_collection"),
  },
  aws_opensearchserverless_security_policy: {
    // Security policies have no ARNs; where a request names collections, they must be the pipeline's.
    sid: "OpenSearchServerlessPolicies",
    actions: ["aoss:CreateSecurityPolicy", "aoss:DeleteSecurityPolicy", "aoss:GetSecurityPolicy", "aoss:UpdateSecurityPolicy"],
    arn: ALL,
    condition: (c) => ({ StringLikeIfExists: { "aoss:collection": [`${c.pipeline}-*`] } }),
    name: { attribute: "name", startsWith: ["{prefix}"] },
    also: [KEY_GRANT(["kms:CreateGrant", "kms:DescribeKey"])],
    doc: tf("opensearchserverless_security_policy"),
  },
  aws_opensearchserverless_access_policy: {
    sid: "OpenSearchServerlessPolicies",
    actions: ["aoss:CreateAccessPolicy", "aoss:DeleteAccessPolicy", "aoss:GetAccessPolicy", "aoss:UpdateAccessPolicy"],
    arn: ALL,
    condition: (c) => ({ StringLikeIfExists: { "aoss:collection": [`${c.pipeline}-*`] } }),
    name: { attribute: "name", startsWith: ["{prefix}"] },
    doc: tf("opensearchserverless_access_policy"),
  },
};

/** True for the calls `terraform plan` makes (refresh): reads only, no writes, no key use. */
export function isReadAction(action: string): boolean {
  const [service, name = ""] = action.split(":");
  if (service === "apigateway") return name === "GET";
  // Plan validates a changed state machine definition (the provider's CustomizeDiff) before anything changes.
  if (action === "states:ValidateStateMachineDefinition") return true;
  return /^(Get|List|Describe|BatchGet)/.test(name);
}
