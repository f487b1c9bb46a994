import { beforeAll, describe, expect, it } from "vitest";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../../src/cli/main.ts";
import { checkModule, formatViolations } from "../../../security/check-module.ts";
import { parseHclExpression } from "../../../security/hcl-expr.ts";
import { ofType, parseModule } from "../../../support/hcl.ts";
import { deriveDeployPolicy, scanGenerated } from "../../../../src/delivery/deploy-policy/index.ts";

// What the ingest golden modules MEAN (golden.test.ts checks their bytes), read back through
// @cdktf/hcl2json: the http_ingest API, routes, authorizer and permission of `ingest`, and the MSK
// event source mappings and their least-privilege policies of `kafka`.
type Module = { resources: Map<string, Record<string, any>>; raw: Record<string, any>[] };
const dirOf = (name: string) => join(import.meta.dirname, "expected", name);
let ingest: Module;
let kafka: Module;

beforeAll(async () => {
  ingest = await parseModule(dirOf("ingest"));
  kafka = await parseModule(dirOf("kafka"));
});

const get = (m: Module, addr: string) => {
  const r = m.resources.get(addr);
  if (!r) throw new Error(`missing ${addr}`);
  return r;
};
/** The statements of a function's inline policy (parsed from its `jsonencode({...})`), by Sid. */
function statements(m: Module, fn: string): Map<string, { Action: string[]; Resource: string[] }> {
  const policy = String(get(m, `aws_iam_role_policy.${fn}`).policy);
  const inner = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(policy)![1]!;
  const doc = parseHclExpression(inner) as { Statement: Array<{ Sid: string; Action: string[]; Resource: string[] }> };
  return new Map(doc.Statement.map((s) => [s.Sid, { Action: s.Action, Resource: s.Resource }]));
}
const outputs = (m: Module) => Object.assign({}, ...m.raw.map((j) => j.output ?? {})) as Record<string, Array<{ value: string }>>;
const handler = (name: string, fn: string) => readFileSync(join(dirOf(name), "handlers", `${fn}.ts`), "utf8");

describe("ingest golden module (http_ingest)", () => {
  it("passes every required rule of SECURITY-RULES.md, including route authorization and access logs", async () => {
    const r = await checkModule(dirOf("ingest"));
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
    expect(r.applied).toEqual(expect.arrayContaining(["PIPE-006", "AVD-AWS-0001", "AVD-AWS-0067", "AVD-AWS-0057", "PIPE-012"]));
  });

  it("each endpoint is an HTTP API with one POST route: IAM by default, JWT with an authorizer for the issuer and audience", () => {
    const devices = get(ingest, "aws_apigatewayv2_route.devices");
    expect([devices.route_key, devices.authorization_type, devices.authorizer_id]).toEqual(["POST /ingest/v1/devices", "AWS_IAM", undefined]);
    expect(devices.target).toBe("integrations/${aws_apigatewayv2_integration.devices.id}");
    const app = get(ingest, "aws_apigatewayv2_route.app");
    expect([app.route_key, app.authorization_type, app.authorizer_id]).toEqual(["POST /api/v1/readings", "JWT", "${aws_apigatewayv2_authorizer.app.id}"]);
    const auth = get(ingest, "aws_apigatewayv2_authorizer.app");
    expect([auth.authorizer_type, auth.identity_sources, auth.api_id]).toEqual(["JWT", ["$request.header.Authorization"], "${aws_apigatewayv2_api.app.id}"]);
    expect(auth.jwt_configuration).toEqual([{ issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123", audience: ["sensor-app"] }]);
    expect(ofType(ingest.resources, "aws_apigatewayv2_authorizer").map(([k]) => k)).toEqual(["aws_apigatewayv2_authorizer.app"]);
    expect(ofType(ingest.resources, "aws_apigatewayv2_route").map(([k]) => k).sort()).toEqual(["aws_apigatewayv2_route.app", "aws_apigatewayv2_route.devices"]);
    for (const id of ["app", "devices"]) {
      expect(get(ingest, `aws_apigatewayv2_integration.${id}`)).toMatchObject({ integration_type: "AWS_PROXY", payload_format_version: "2.0", integration_uri: `\${aws_lambda_function.${id}.invoke_arn}` });
    }
  });

  it("API Gateway may invoke each function only through its ingest route", () => {
    for (const [id, path] of [["devices", "/ingest/v1/devices"], ["app", "/api/v1/readings"]] as const) {
      const p = get(ingest, `aws_lambda_permission.${id}_api`);
      expect([p.principal, p.action, p.function_name]).toEqual(["apigateway.amazonaws.com", "lambda:InvokeFunction", `\${aws_lambda_function.${id}.function_name}`]);
      expect(p.source_arn).toBe(`\${aws_apigatewayv2_api.${id}.execution_arn}/*/POST${path}`);
      expect(outputs(ingest)[`${id}_route_arn`]![0]!.value).toBe(p.source_arn);
    }
    expect(outputs(ingest).devices_endpoint![0]!.value).toBe("${aws_apigatewayv2_stage.devices.invoke_url}ingest/v1/devices");
  });

  it("stages log every request to a KMS-encrypted log group with retention and throttle the default route", () => {
    const stage = get(ingest, "aws_apigatewayv2_stage.devices");
    expect(stage.access_log_settings[0].destination_arn).toBe("${aws_cloudwatch_log_group.devices_access.arn}");
    expect(stage.default_route_settings[0]).toMatchObject({ throttling_burst_limit: 100, throttling_rate_limit: 50 });
    const logs = get(ingest, "aws_cloudwatch_log_group.devices_access");
    expect([logs.kms_key_id, logs.retention_in_days]).toEqual(["${aws_kms_key.this.arn}", "${var.log_retention_days}"]);
  });

  it("the ingest functions may put records into the kinesis source only, get its name, and compile the contract and limits", () => {
    for (const id of ["devices", "app"]) {
      const st = statements(ingest, id);
      expect(st.get("WriteStreamReadings")).toEqual({ Action: ["kinesis:PutRecord", "kinesis:PutRecords"], Resource: ["${aws_kinesis_stream.readings.arn}"] });
      expect([...st.values()].flatMap((s) => s.Action).filter((a) => a.startsWith("kinesis:"))).toEqual(["kinesis:PutRecord", "kinesis:PutRecords"]);
      expect(get(ingest, `aws_lambda_function.${id}`).environment[0].variables.PIPEGEN_STREAM).toBe("${aws_kinesis_stream.readings.name}");
      expect(ofType(ingest.resources, "aws_lambda_event_source_mapping").map(([k]) => k)).not.toContain(`aws_lambda_event_source_mapping.${id}`);
    }
    expect(handler("ingest", "devices")).toContain('"maxRecords": 100');
    expect(handler("ingest", "app")).toContain('"maxRecords": 500');
    expect(handler("ingest", "devices")).toMatch(/httpIngestHandler\(\{\s+"contract": \{\s+"fields": \{\s+"device_id": "string",\s+"recorded_at": "timestamp",\s+"temperature": "number"/);
    expect(handler("ingest", "devices")).toContain('"partitionKeyField": "device_id"');
    // The stream is still read by the filter's sink: the sources feed it, they do not replace it.
    expect(get(ingest, "aws_lambda_event_source_mapping.lake").event_source_arn).toBe("${aws_kinesis_stream.readings.arn}");
  });

  it("the deploy policy lets the deploy role manage the JWT authorizer of this pipeline's APIs", async () => {
    const modules = await scanGenerated(join(import.meta.dirname, "expected"), "expected");
    expect(modules.find((m) => m.types.includes("aws_apigatewayv2_authorizer"))).toBeTruthy();
    const policy = deriveDeployPolicy(modules);
    /** IAM-style glob match, as in test/delivery/deploy-policy.test.ts. */
    const glob = (pattern: string, value: string): boolean => new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))).join("")}$`).test(value);
    const authorizers = "arn:${partition}:apigateway:us-east-1::/apis/a1b2c3/authorizers/x1";
    for (const verb of ["POST", "GET", "PATCH", "DELETE"]) expect(policy.Statement.some((s) => s.Action.includes(`apigateway:${verb}`) && s.Resource.some((r) => glob(r, authorizers))), verb).toBe(true);
  });

  it("http_api renders from the same shared API template byte for byte (generated/temperature)", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-ingest-shared-"));
    cpSync(join(import.meta.dirname, "../../../../pipelines/temperature.yaml"), join(cwd, "pipelines/temperature.yaml"));
    let err = "";
    expect(await main(["build"], { cwd, out: () => {}, err: (s) => (err += s) }), err).toBe(0);
    const committed = readFileSync(join(import.meta.dirname, "../../../../generated/temperature/temperature_api.tf"), "utf8");
    expect(readFileSync(join(cwd, "generated/temperature/temperature_api.tf"), "utf8")).toBe(committed);
    rmSync(cwd, { recursive: true, force: true });
  });
});

describe("kafka golden module (msk)", () => {
  const CLUSTER = "arn:aws:kafka:us-east-1:123456789012:cluster/shop/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";
  const UUID = "shop/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";

  it("passes every required rule of SECURITY-RULES.md (no unreviewed wildcard in the Kafka policies)", async () => {
    const r = await checkModule(dirOf("kafka"));
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
    expect(r.applied).toEqual(expect.arrayContaining(["AVD-AWS-0057", "PIPE-013"]));
  });

  it("each reading function has an event source mapping on the cluster: its topic, starting position, consumer group and batch", () => {
    const archive = get(kafka, "aws_lambda_event_source_mapping.archive");
    expect([archive.event_source_arn, archive.topics, archive.starting_position]).toEqual([CLUSTER, ["orders.v1"], "TRIM_HORIZON"]);
    expect(archive.amazon_managed_kafka_event_source_config).toEqual([{ consumer_group_id: "${local.name_prefix}-archive" }]);
    expect([archive.batch_size, archive.maximum_batching_window_in_seconds]).toEqual([100, 5]);
    const refunds = get(kafka, "aws_lambda_event_source_mapping.refund_log");
    expect([refunds.topics, refunds.starting_position, refunds.batch_size, refunds.maximum_batching_window_in_seconds]).toEqual([["refunds"], "LATEST", 500, 10]);
    expect(refunds.amazon_managed_kafka_event_source_config).toEqual([{ consumer_group_id: "refunds-audit" }]);
    for (const esm of [archive, refunds]) {
      expect(esm.function_name).toMatch(/^\$\{aws_lambda_function\.(archive|refund_log)\.arn\}$/);
      expect(esm.destination_config[0].on_failure[0].destination_arn).toMatch(/^\$\{aws_sqs_queue\.(archive|refund_log)_dlq\.arn\}$/);
      // On-demand Kafka mappings take no partial batch responses, retry limits or windows (see the kind).
      for (const k of ["function_response_types", "tumbling_window_in_seconds", "bisect_batch_on_function_error", "maximum_retry_attempts", "provisioned_poller_config"]) expect(esm[k], k).toBeUndefined();
      expect(esm.lifecycle[0].precondition[0].condition).toBe('${var.region == "us-east-1"}');
    }
    // Kafka mappings report no IteratorAge: the consumer-lag alarm of MSK watches the group instead.
    expect(kafka.resources.has("aws_cloudwatch_metric_alarm.archive_iterator_age")).toBe(false);
    const lag = get(kafka, "aws_cloudwatch_metric_alarm.archive_consumer_lag");
    expect([lag.namespace, lag.metric_name, lag.dimensions]).toEqual(["AWS/Kafka", "EstimatedMaxTimeLag", { "Cluster Name": "shop", "Consumer Group": "${local.name_prefix}-archive", Topic: "orders.v1" }]);
  });

  it("IAM is scoped to the cluster, the topic and the function's consumer group ARNs derived from cluster_arn", () => {
    const st = statements(kafka, "archive");
    expect(st.get("ConnectClusterOrders")).toEqual({ Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration", "kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"], Resource: [CLUSTER] });
    expect(st.get("ReadTopicOrders")).toEqual({ Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"], Resource: [`arn:aws:kafka:us-east-1:123456789012:topic/${UUID}/orders.v1`] });
    expect(st.get("ConsumerGroupOrders")).toEqual({ Action: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"], Resource: [`arn:aws:kafka:us-east-1:123456789012:group/${UUID}/\${local.name_prefix}-archive`] });
    expect(statements(kafka, "refund_log").get("ConsumerGroupRefunds")!.Resource).toEqual([`arn:aws:kafka:us-east-1:123456789012:group/${UUID}/refunds-audit`]);
    // Network interfaces in the cluster's VPC: create/delete scoped to the account and region, Describe* on "*" (no resource-level permissions).
    expect(st.get("ClusterNetworkInterfaces")).toEqual({
      Action: ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
      Resource: ["network-interface", "security-group", "subnet"].map((k) => `arn:aws:ec2:us-east-1:\${local.account_id}:${k}/*`),
    });
    expect(st.get("DescribeClusterNetwork")).toEqual({ Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"], Resource: ["*"] });
    const wildcards = [...st].filter(([, s]) => s.Resource.includes("*")).map(([sid]) => sid).sort();
    expect(wildcards).toEqual(["DescribeClusterNetwork", "XRayTracing"]);
    expect([...st.values()].flatMap((s) => s.Action).filter((a) => a.startsWith("kinesis:"))).toEqual([]);
  });

  it("the handler decodes MSK events and parks poison records in its dead-letter queue (URL from the environment)", () => {
    const src = handler("kafka", "archive");
    expect(src).toContain('kafkaHandler({');
    expect(src).toContain('options: {"dlqEnv":"PIPEGEN_DLQ_URL"}');
    expect(src).toContain('(r["amount"] as number) > 0');
    expect(get(kafka, "aws_lambda_function.archive").environment[0].variables.PIPEGEN_DLQ_URL).toBe("${aws_sqs_queue.archive_dlq.url}");
  });
});

describe("http_ingest and msk checks", () => {
  const temps: string[] = [];
  beforeAll(() => () => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

  async function validate(yaml: string): Promise<Array<{ code: string; pointer: string; message: string; hint?: string }>> {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-ingest-"));
    temps.push(cwd);
    mkdirSync(join(cwd, "pipelines"));
    writeFileSync(join(cwd, "pipelines/p.yaml"), yaml);
    let out = "";
    const code = await main(["validate", "--reporter", "json", "pipelines/p.yaml"], { cwd, out: (s) => (out += s), err: (s) => (out += s) });
    expect(code, out).toBe(1);
    return JSON.parse(out.slice(out.indexOf("["), out.lastIndexOf("]") + 1));
  }
  const head = `pipeline: shop
record: { order_id: string, amount: number }
sources:
  orders: { type: kinesis }
`;
  const msk = (extra = "") => `  topic_orders: { type: msk, cluster_arn: "arn:aws:kafka:us-east-1:123456789012:cluster/shop/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5", topic: orders${extra} }\n`;

  it("http_ingest must write into a kinesis source, and `authorization: jwt` needs `jwt` (and `jwt` needs it)", async () => {
    const d = await validate(`${head}${msk()}  a: { type: http_ingest, into: topic_orders }\n  b: { type: http_ingest, into: orders, authorization: jwt }\n  c: { type: http_ingest, into: orders, jwt: { issuer: "https://id.example.com", audience: [x] } }\nsinks:\n  lake: { type: s3, inputs: [orders] }\n  t: { type: s3, inputs: [topic_orders] }\n`);
    expect(d.map((x) => [x.code, x.pointer])).toEqual([
      ["PG3003", "/sources/a/into"],
      ["PG2002", "/sources/b/authorization"],
      ["PG2008", "/sources/c/jwt"],
    ]);
    expect(d[0]!.message).toContain("can only write into a kinesis source, not msk `topic_orders`");
  });

  it("an http_ingest endpoint is not an input: name the stream it writes into (PG3003)", async () => {
    const d = await validate(`${head}  intake: { type: http_ingest, into: orders }\nsinks:\n  lake: { type: s3, inputs: [intake] }\n  raw: { type: s3, inputs: [orders] }\n`);
    expect(d.map((x) => [x.code, x.pointer, x.hint])).toEqual([["PG3003", "/sinks/lake/inputs/0", "list the source it writes into instead: `orders`"]]);
    expect(d[0]!.message).toContain("an http_ingest endpoint writes what it receives into a kinesis source");
  });

  it("a named consumer group cannot be shared by two reading functions (PG3008); the default groups are per function", async () => {
    const d = await validate(`${head}${msk(", consumer_group_id: shared")}sinks:\n  lake: { type: s3, inputs: [orders] }\n  a: { type: s3, inputs: [topic_orders] }\n  b: { type: sns, inputs: [topic_orders] }\n`);
    expect(d.map((x) => [x.code, x.pointer])).toEqual([["PG3008", "/sources/topic_orders/consumer_group_id"]]);
    expect(d[0]!.message).toContain("(`a`, `b`)");
  });

  it("spec tests insert records at the stream an http_ingest writes into, not at the endpoint", async () => {
    const d = await validate(`${head}  intake: { type: http_ingest, into: orders }\nsinks:\n  lake: { type: s3, inputs: [orders] }\ntests:\n  t1: { at: intake, records: [{ order_id: o1, amount: 1 }], expect: { at: lake, count: 1 } }\n`);
    expect(d.map((x) => [x.code, x.pointer, x.hint])).toEqual([["PG3003", "/tests/t1/at", "insert the records at the kinesis source it writes into: `at: orders`"]]);
  });
});
