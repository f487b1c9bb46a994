/** Every rule of pipegen's security checker, and the ids SECURITY-RULES.md marks required. */
import type { Rule } from "../types.ts";
import { apiGatewayRules } from "./apigateway.ts";
import { dynamodbRules } from "./dynamodb.ts";
import { iamRules } from "./iam.ts";
import { ignoreRules } from "./ignores.ts";
import { kinesisRules } from "./kinesis.ts";
import { kmsRules } from "./kms.ts";
import { lambdaRules } from "./lambda.ts";
import { logsRules } from "./logs.ts";
import { resourcePolicyRules } from "./resource-policies.ts";
import { s3Rules } from "./s3.ts";
import { otherServiceRules } from "./sfn-glue-athena-firehose-opensearch.ts";
import { snsSqsRules } from "./sns-sqs.ts";

export const ALL_RULES: readonly Rule[] = [
  ...s3Rules,
  ...kmsRules,
  ...logsRules,
  ...kinesisRules,
  ...lambdaRules,
  ...apiGatewayRules,
  ...dynamodbRules,
  ...snsSqsRules,
  ...iamRules,
  ...resourcePolicyRules,
  ...otherServiceRules,
  ...ignoreRules,
];

/** SECURITY-RULES.md section 1: the 35 required trivy rows (all but rows 12, 13, 14 and 21). */
export const REQUIRED_TRIVY_IDS = [
  "AVD-AWS-0086", "AVD-AWS-0087", "AVD-AWS-0091", "AVD-AWS-0093", "AVD-AWS-0094", "AVD-AWS-0092",
  "AVD-AWS-0088", "AVD-AWS-0132", "AVD-AWS-0090", "AVD-AWS-0089", "AVD-AWS-0320",
  "AVD-AWS-0065", "AVD-AWS-0017", "AVD-AWS-0064", "AVD-AWS-0066", "AVD-AWS-0067", "AVD-AWS-0001",
  "AVD-AWS-0024", "AVD-AWS-0025", "AVD-AWS-0095", "AVD-AWS-0136", "AVD-AWS-0096", "AVD-AWS-0135",
  "AVD-AWS-0097", "AVD-AWS-0006", "AVD-AWS-0007", "AVD-AWS-0042", "AVD-AWS-0043", "AVD-AWS-0046",
  "AVD-AWS-0048", "AVD-AWS-0126", "AVD-AWS-0057", "AVD-AWS-0342", "AVD-AWS-0345", "AVD-AWS-0346",
] as const;

/** SECURITY-RULES.md section 2: the 14 required generator rules. */
export const REQUIRED_PIPE_IDS = [
  "PIPE-001", "PIPE-002", "PIPE-003", "PIPE-004", "PIPE-005", "PIPE-006", "PIPE-007",
  "PIPE-008", "PIPE-009", "PIPE-010", "PIPE-011", "PIPE-012", "PIPE-013", "PIPE-014",
] as const;

/** Checker-only rule: ignore comments must carry a reason (SECURITY-RULES.md section 4). */
export const IGNORE_RULE_ID = "PIPE-000";

export const REQUIRED_RULE_IDS: readonly string[] = [...REQUIRED_TRIVY_IDS, ...REQUIRED_PIPE_IDS];
