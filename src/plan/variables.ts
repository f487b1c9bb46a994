import type { PipelineModel } from "../model/types.ts";
import type { Variable } from "../kinds/kind.ts";
import { hclString, hclValue } from "../emit/hcl-literal.ts";
import { MAX_ENV_LENGTH } from "../naming/names.ts";

const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Inputs every generated module has, whatever its components. */
export function moduleVariables(model: PipelineModel): Variable[] {
  return [
    {
      name: "environment",
      description: hclString("Environment name (dev, prod, ...); part of every physical name so environments can share an account."),
      type: "string",
      validations: [
        {
          condition: `can(regex("^[a-z][a-z0-9]{0,${MAX_ENV_LENGTH - 1}}$", var.environment))`,
          message: hclString(`Environment must be 1-${MAX_ENV_LENGTH} lower-case letters or digits, starting with a letter.`),
        },
      ],
    },
    { name: "region", description: hclString("AWS region to deploy to."), type: "string", default: hclString(model.region) },
    {
      name: "expected_account_id",
      description: hclString("If set, Terraform refuses to run against any other AWS account."),
      type: "string",
      default: "null",
      nullable: true,
      validations: [{ condition: `var.expected_account_id == null ? true : can(regex("^[0-9]{12}$", var.expected_account_id))`, message: hclString("Account id must be 12 digits.") }],
    },
    {
      name: "ephemeral",
      description: hclString("true for environments destroyed on a schedule: buckets are emptied on destroy and tables lose deletion protection. false keeps data protected."),
      type: "bool",
      default: "false",
    },
    { name: "alarm_email", description: hclString("Email address subscribed to the alarm topic; null for none."), type: "string", default: "null", nullable: true },
    {
      name: "log_retention_days",
      description: hclString("Retention of every log group, in days."),
      type: "number",
      default: String(model.logRetentionDays),
      validations: [{ condition: `contains(${hclValue(RETENTION_DAYS)}, var.log_retention_days)`, message: hclString("Use a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...).") }],
    },
    { name: "tags", description: hclString("Extra tags added to every resource."), type: "map(string)", default: "{}" },
  ];
}
