/** DynamoDB: rows 22–23 (AVD-AWS-0024, AVD-AWS-0025). */
import { get, isSet, isTrue, show } from "../expr.ts";
import { resourcesOf } from "../load-module.ts";
import type { Rule, Violation } from "../types.ts";
import { isAwsManagedAlias } from "./kms.ts";
import { violation } from "./util.ts";

const TABLE = ["aws_dynamodb_table"];

export const dynamodbRules: Rule[] = [
  {
    id: "AVD-AWS-0024",
    title: "DynamoDB tables have point-in-time recovery",
    aliases: ["aws-dynamodb-enable-recovery"],
    resourceTypes: TABLE,
    check: (model) =>
      resourcesOf(model, "aws_dynamodb_table")
        .filter((t) => !isTrue(get(model, t.body, "point_in_time_recovery", "enabled")))
        .map((t) => violation("AVD-AWS-0024", t, "point_in_time_recovery { enabled = true } is missing")),
  },
  {
    id: "AVD-AWS-0025",
    title: "DynamoDB tables are encrypted with a customer managed key",
    aliases: ["aws-dynamodb-table-customer-key"],
    resourceTypes: TABLE,
    check(model) {
      const out: Violation[] = [];
      for (const t of resourcesOf(model, "aws_dynamodb_table")) {
        const enabled = get(model, t.body, "server_side_encryption", "enabled");
        const key = get(model, t.body, "server_side_encryption", "kms_key_arn");
        if (!isTrue(enabled)) out.push(violation("AVD-AWS-0025", t, `server_side_encryption.enabled must be true (is ${show(enabled)})`));
        else if (!isSet(key)) out.push(violation("AVD-AWS-0025", t, "server_side_encryption.kms_key_arn is not set (AWS owned key)"));
        else if (isAwsManagedAlias(key)) out.push(violation("AVD-AWS-0025", t, `server_side_encryption.kms_key_arn ${show(key)} is the AWS managed key`));
      }
      return out;
    },
  },
];
