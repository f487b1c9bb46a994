import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ofType, parseModule } from "../support/hcl.ts";

// What the committed reference module MEANS, independent of its exact bytes (the golden check).
const dir = join(import.meta.dirname, "../../generated/temperature");
let resources: Map<string, Record<string, any>>;

beforeAll(async () => {
  ({ resources } = await parseModule(dir));
});

const get = (addr: string) => {
  const r = resources.get(addr);
  if (!r) throw new Error(`missing ${addr}`);
  return r;
};

describe("reference pipeline module", () => {
  it("has one function per sink path, aggregate, generator and API", () => {
    expect(ofType(resources, "aws_lambda_function").map(([k]) => k).sort()).toEqual([
      "aws_lambda_function.lake",
      "aws_lambda_function.per_device",
      "aws_lambda_function.simulator",
      "aws_lambda_function.temperature_api",
    ]);
  });

  it("reads the stream with partial batch failures, bisect, bounded retries and an SQS on-failure destination", () => {
    for (const fn of ["lake", "per_device"]) {
      const esm = get(`aws_lambda_event_source_mapping.${fn}`);
      expect(esm.function_response_types).toEqual(["ReportBatchItemFailures"]);
      expect(esm.bisect_batch_on_function_error).toBe(true);
      expect(esm.maximum_retry_attempts).toBe(3);
      expect(esm.starting_position).toBe("TRIM_HORIZON");
      expect(esm.destination_config[0].on_failure[0].destination_arn).toBe(`\${aws_sqs_queue.${fn}_dlq.arn}`);
      expect(esm.event_source_arn).toBe("${aws_kinesis_stream.readings.arn}");
    }
  });

  it("aggregates with a 5 minute tumbling window and writes the averages table", () => {
    expect(get("aws_lambda_event_source_mapping.per_device").tumbling_window_in_seconds).toBe(300);
    expect(get("aws_lambda_event_source_mapping.lake").tumbling_window_in_seconds).toBeUndefined();
    const env = get("aws_lambda_function.per_device").environment[0].variables;
    expect(env.PIPEGEN_TABLE_AVERAGES).toBe("${aws_dynamodb_table.averages.name}");
    const handler = readFileSync(join(dir, "handlers/per_device.ts"), "utf8");
    expect(handler).toContain('"tableEnv":"PIPEGEN_TABLE_AVERAGES"');
    expect(handler).toContain('{"name":"average_temperature","fn":"avg","field":"temperature"}');
    expect(handler).toMatch(/\(r\["temperature"\] as number\) >= -50 && \(r\["temperature"\] as number\) <= 150/);
  });

  it("keys the table by the contract's device_id and the window start, with PITR, CMK encryption and TTL", () => {
    const t = get("aws_dynamodb_table.averages");
    expect(t.hash_key).toBe("device_id");
    expect(t.range_key).toBe("window_start");
    expect(t.attribute).toEqual([
      { name: "device_id", type: "S" },
      { name: "window_start", type: "S" },
    ]);
    expect(t.billing_mode).toBe("PAY_PER_REQUEST");
    expect(t.point_in_time_recovery[0].enabled).toBe(true);
    expect(t.server_side_encryption[0]).toEqual({ enabled: true, kms_key_arn: "${aws_kms_key.this.arn}" });
    expect(t.ttl[0].attribute_name).toBe("expires_at");
    expect(t.deletion_protection_enabled).toBe("${!var.ephemeral}");
  });

  it("writes raw readings under raw/dt=… in a versioned, KMS-encrypted, access-logged bucket", () => {
    const handler = readFileSync(join(dir, "handlers/lake.ts"), "utf8");
    expect(handler).toContain('"prefix":"raw/","partitionBy":["date"]');
    expect(get("aws_s3_bucket_versioning.lake").versioning_configuration[0].status).toBe("Enabled");
    const sse = get("aws_s3_bucket_server_side_encryption_configuration.lake").rule[0].apply_server_side_encryption_by_default[0];
    expect(sse).toEqual({ sse_algorithm: "aws:kms", kms_master_key_id: "${aws_kms_key.this.arn}" });
    expect(get("aws_s3_bucket_logging.lake").target_bucket).toBe("${aws_s3_bucket.access_logs.id}");
    const lc = get("aws_s3_bucket_lifecycle_configuration.lake").rule[0];
    expect(lc.transition).toEqual([{ days: 30, storage_class: "STANDARD_IA" }]);
    expect(lc.expiration).toEqual([{ days: 365 }]);
    expect(get("aws_s3_bucket.lake").force_destroy).toBe("${var.ephemeral}");
  });

  it("scopes each function's policy to the ARNs of its own edges", () => {
    const policy = (fn: string) => get(`aws_iam_role_policy.${fn}`).policy as string;
    expect(policy("lake")).toContain('"${aws_s3_bucket.lake.arn}/raw/*"');
    expect(policy("lake")).not.toContain("dynamodb");
    expect(policy("per_device")).toContain("aws_dynamodb_table.averages.arn");
    expect(policy("per_device")).not.toContain("s3:");
    expect(policy("simulator")).toContain("kinesis:PutRecords");
    expect(policy("simulator")).not.toContain("kinesis:GetRecords");
    expect(policy("temperature_api")).toMatch(/"dynamodb:Query", "dynamodb:Scan"/);
    expect(policy("temperature_api")).not.toContain("PutItem");
  });

  it("serves GET /api/v1/temperature with IAM authorization and access logs", () => {
    const route = get("aws_apigatewayv2_route.temperature_api_0");
    expect(route.route_key).toBe("GET /api/v1/temperature");
    expect(route.authorization_type).toBe("AWS_IAM");
    expect(get("aws_apigatewayv2_stage.temperature_api").access_log_settings[0].destination_arn).toBe("${aws_cloudwatch_log_group.temperature_api_access.arn}");
    expect(get("aws_lambda_permission.temperature_api_api").source_arn).toBe("${aws_apigatewayv2_api.temperature_api.execution_arn}/*/*");
  });

  it("fires the generator every 2 minutes into the stream", () => {
    expect(get("aws_cloudwatch_event_rule.simulator").schedule_expression).toBe("rate(2 minutes)");
    expect(get("aws_lambda_function.simulator").environment[0].variables.PIPEGEN_STREAM).toBe("${aws_kinesis_stream.readings.name}");
    expect(get("aws_lambda_function.simulator").dead_letter_config[0].target_arn).toBe("${aws_sqs_queue.simulator_dlq.arn}");
  });

  it("alarms on errors, throttles, dead letters and iterator age to the SNS topic", () => {
    const alarms = ofType(resources, "aws_cloudwatch_metric_alarm").map(([k]) => k.split(".")[1]);
    for (const fn of ["lake", "per_device", "simulator", "temperature_api"]) {
      expect(alarms).toContain(`${fn}_errors`);
      expect(alarms).toContain(`${fn}_throttles`);
      expect(alarms).toContain(`${fn}_dlq`);
    }
    expect(alarms).toContain("lake_iterator_age");
    expect(alarms).toContain("per_device_iterator_age");
    expect(alarms).not.toContain("simulator_iterator_age");
    for (const [, a] of ofType(resources, "aws_cloudwatch_metric_alarm")) expect(a.alarm_actions).toEqual(["${aws_sns_topic.alarms.arn}"]);
  });

  it("puts pipeline and environment into every physical name", () => {
    for (const [addr, r] of resources) {
      const name = r.name ?? r.bucket ?? r.function_name ?? r.alarm_name;
      // References to other resources carry the prefix already; role policies are named per role.
      const isReference = typeof name === "string" && /^\$\{aws_[a-z0-9_]+\.[a-z0-9_]+\.[a-z_]+\}$/.test(name);
      if (typeof name === "string" && !isReference && !addr.startsWith("aws_s3_bucket_") && !addr.startsWith("aws_iam_role_policy.") && !addr.startsWith("aws_apigatewayv2_stage.")) {
        expect(name, addr).toMatch(/\$\{local\.name_prefix\}/);
      }
    }
  });

  it("derives per-environment tfvars from the overlay", () => {
    const prod = readFileSync(join(dir, "environments/prod.tfvars"), "utf8");
    expect(prod).toMatch(/^readings_shard_count\s+= 4$/m);
    expect(prod).toMatch(/^ephemeral\s+= false$/m);
    expect(prod).toMatch(/^alarm_email\s+= "oncall@example.com"$/m);
    const dev = readFileSync(join(dir, "environments/dev.tfvars"), "utf8");
    expect(dev).toMatch(/^ephemeral\s+= true$/m);
  });

  it("documents every variable and output with a description and type", async () => {
    const { raw } = await parseModule(dir);
    const vars = raw.flatMap((j) => Object.entries(j.variable ?? {}));
    const outs = raw.flatMap((j) => Object.entries(j.output ?? {}));
    expect(vars.length).toBeGreaterThan(5);
    for (const [name, [v]] of vars as Array<[string, any[]]>) {
      expect(v.description, name).toBeTruthy();
      expect(v.type, name).toBeTruthy();
    }
    for (const [name, [o]] of outs as Array<[string, any[]]>) expect(o.description, name).toBeTruthy();
  });
});
