/** API Gateway v2 (HTTP API): row 20 (AVD-AWS-0001) and PIPE-006. */
import { asString, attr, get, isSet, referencedBlocks, refs, show } from "../expr.ts";
import { literalSkeleton } from "../hcl-expr.ts";
import { resourcesOf } from "../load-module.ts";
import type { Model, Rule, Violation } from "../types.ts";
import { violation } from "./util.ts";

const AUTHORIZED = ["AWS_IAM", "JWT", "CUSTOM"];

/** Why an access-log destination is not a CloudWatch log group, or undefined. */
function destinationProblem(model: Model, v: unknown): string | undefined {
  if (!isSet(v)) return "access_log_settings.destination_arn is not set";
  const rs = refs(model, v).filter((r) => r.kind !== "local");
  if (rs.some((r) => r.type === "aws_cloudwatch_log_group" || r.kind === "var")) return undefined;
  if (typeof v === "string" && /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:.+/.test(literalSkeleton(v, "X"))) return undefined;
  return `access_log_settings.destination_arn ${show(v)} is not a CloudWatch log group`;
}

export const apiGatewayRules: Rule[] = [
  {
    id: "AVD-AWS-0001",
    title: "API stages write access logs to a log group",
    aliases: ["aws-api-gateway-enable-access-logging"],
    resourceTypes: ["aws_apigatewayv2_stage", "aws_api_gateway_stage"],
    check(model) {
      const out: Violation[] = [];
      for (const type of ["aws_apigatewayv2_stage", "aws_api_gateway_stage"]) {
        for (const stage of resourcesOf(model, type)) {
          const problem = destinationProblem(model, get(model, stage.body, "access_log_settings", "destination_arn"));
          if (problem) out.push(violation("AVD-AWS-0001", stage, problem));
        }
      }
      return out;
    },
  },
  {
    id: "PIPE-006",
    title: "HTTP API routes require authorization",
    resourceTypes: ["aws_apigatewayv2_route"],
    check(model) {
      const out: Violation[] = [];
      for (const route of resourcesOf(model, "aws_apigatewayv2_route")) {
        const key = asString(attr(model, route, "route_key")) ?? "";
        const api = referencedBlocks(model, route.body.api_id, "aws_apigatewayv2_api")[0];
        const websocket = api !== undefined && attr(model, api, "protocol_type") === "WEBSOCKET";
        if (websocket ? key !== "$connect" : /^OPTIONS\s/.test(key)) continue;
        const type = attr(model, route, "authorization_type");
        if (!AUTHORIZED.includes(String(type))) {
          out.push(violation("PIPE-006", route, `route ${show(key)} has authorization_type ${show(type)}; use AWS_IAM, JWT or CUSTOM`));
        } else if (type !== "AWS_IAM" && !isSet(attr(model, route, "authorizer_id"))) {
          out.push(violation("PIPE-006", route, `route ${show(key)} uses ${String(type)} without authorizer_id`));
        }
      }
      return out;
    },
  },
];
