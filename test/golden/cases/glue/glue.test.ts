import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../../src/cli/main.ts";
import { checkModule, formatViolations } from "../../../security/check-module.ts";
import { loadModule, blockAt, resourcesOf } from "../../../security/load-module.ts";
import { policyOf } from "../../../security/policy.ts";
import type { Statement } from "../../../security/policy.ts";
import { parseHclExpression } from "../../../security/hcl-expr.ts";
import { parseModule } from "../../../support/hcl.ts";
import { glueJob } from "../../../../src/kinds/transforms/glue_job/kind.ts";
import { s3 } from "../../../../src/kinds/sinks/s3/kind.ts";
import { filter } from "../../../../src/kinds/transforms/filter/kind.ts";
import type { Model } from "../../../security/types.ts";

// What the glue golden module MEANS (golden.test.ts checks its bytes): the Glue job's security
// configuration, arguments and least-privilege role, the hardened artifacts bucket, the failure
// route to the alarm topic, the security rules on the whole module, and the kind's checks.
const dir = join(import.meta.dirname, "../../../../generated/sales-batch") /* the committed reference module */;
let resources: Map<string, Record<string, any>>;
let raw: Record<string, any>[];
let model: Model;
const temps: string[] = [];

beforeAll(async () => {
  ({ resources, raw } = await parseModule(dir));
  model = await loadModule(dir);
});
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

const get = (addr: string) => {
  const r = resources.get(addr);
  if (!r) throw new Error(`missing ${addr}`);
  return r;
};
/** `jsonencode({...})` attribute text as a JS value (references stay "${...}"). */
const json = (v: string): any => parseHclExpression(/^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(v)![1]!);
/** The statements of a policy attribute, by Sid. */
function statements(address: string, attribute: string): Map<string, Statement> {
  const doc = policyOf(model, blockAt(model, address)!, attribute)!;
  expect(doc.problems, address).toEqual([]);
  return new Map(doc.statements.map((s) => [s.sid!, s]));
}
const cond = (s: Statement) => s.conditions.map((c) => [c.test, c.variable, c.values]);
/** local.account_id as the checker's policy reader expands it. */
const ACCOUNT = "${data.aws_caller_identity.current.account_id}";

describe("glue golden module", () => {
  it("passes every required rule of SECURITY-RULES.md, PIPE-009 included", async () => {
    const r = await checkModule(dir);
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
    expect(r.applied).toEqual(expect.arrayContaining(["PIPE-009", "PIPE-001", "PIPE-002", "PIPE-011", "PIPE-012", "PIPE-014", "AVD-AWS-0057", "AVD-AWS-0345", "AVD-AWS-0346"]));
  });

  it("one security configuration encrypts S3 data and CloudWatch logs (SSE-KMS) and bookmarks (CSE-KMS) with the pipeline key", () => {
    const sc = get("aws_glue_security_configuration.this");
    expect(sc.name).toBe("${local.name_prefix}-glue");
    const enc = sc.encryption_configuration[0];
    expect(enc.s3_encryption[0]).toEqual({ s3_encryption_mode: "SSE-KMS", kms_key_arn: "${aws_kms_key.this.arn}" });
    expect(enc.cloudwatch_encryption[0]).toEqual({ cloudwatch_encryption_mode: "SSE-KMS", kms_key_arn: "${aws_kms_key.this.arn}" });
    expect(enc.job_bookmarks_encryption[0]).toEqual({ job_bookmarks_encryption_mode: "CSE-KMS", kms_key_arn: "${aws_kms_key.this.arn}" });
  });

  it("the job runs the uploaded script with the spec's capacity, no Glue-side retries, one run at a time", () => {
    const job = get("aws_glue_job.clean");
    expect(job.name).toBe("${local.name_prefix}-clean");
    expect(job.role_arn).toBe("${aws_iam_role.clean.arn}");
    expect([job.glue_version, job.worker_type, job.number_of_workers, job.timeout, job.max_retries, job.execution_class]).toEqual(["5.0", "G.1X", 2, 60, 0, "STANDARD"]);
    expect(job.security_configuration).toBe("${aws_glue_security_configuration.this.name}");
    expect(job.command).toEqual([{ name: "glueetl", python_version: "3", script_location: "s3://${aws_s3_bucket.artifacts.id}/${aws_s3_object.clean_script.key}" }]);
    expect(job.execution_property).toEqual([{ max_concurrent_runs: 1 }]);
    expect(job.tags).toEqual({ "pipegen:component": "clean" });
  });

  it("the job's arguments name the source, the sink, the contract module, partitions, dedupe fields and its own log groups", () => {
    expect(get("aws_glue_job.clean").default_arguments).toEqual({
      "--TempDir": "s3://${aws_s3_bucket.artifacts.id}/glue-temp/clean/",
      "--custom-logGroup-prefix": "/aws-glue/jobs/${local.name_prefix}-clean",
      "--dedupe_by": "order_id",
      "--enable-continuous-cloudwatch-log": "true",
      "--enable-metrics": "true",
      "--extra-py-files": "s3://${aws_s3_bucket.artifacts.id}/${aws_s3_object.clean_contract.key}",
      "--input_format": "csv",
      "--input_path": "s3://${aws_s3_bucket.drops.id}/incoming/sales/",
      "--job-bookmark-option": "job-bookmark-enable",
      "--job-language": "python",
      "--output_path": "s3://${aws_s3_bucket.sales.id}/sales/",
      "--partition_by": "dt",
      "--rejected_path": "s3://${aws_s3_bucket.artifacts.id}/rejected/clean/",
      "--time_field": "sold_at",
    });
    // Glue 5.0 writes to <prefix>/error and <prefix>/output: both exist with retention and the key.
    for (const g of ["error", "output"]) {
      const lg = get(`aws_cloudwatch_log_group.clean_${g}`);
      expect([lg.name, lg.retention_in_days, lg.kms_key_id]).toEqual([`/aws-glue/jobs/\${local.name_prefix}-clean/${g}`, "${var.log_retention_days}", "${aws_kms_key.this.arn}"]);
    }
    expect(get("aws_glue_job.clean").depends_on).toEqual(["${aws_cloudwatch_log_group.clean_error}", "${aws_cloudwatch_log_group.clean_output}"]);
  });

  it("the role is assumed by Glue only, for this account, and has no managed policies", () => {
    const trust = statements("aws_iam_role.clean", "assume_role_policy");
    expect([...trust.values()].map((s) => [s.effect, s.principals, s.actions, cond(s)])).toEqual([
      ["Allow", [{ type: "Service", ids: ["glue.amazonaws.com"] }], ["sts:AssumeRole"], [["StringEquals", "aws:SourceAccount", [ACCOUNT]]]],
    ]);
    expect(resourcesOf(model, "aws_iam_role_policy_attachment")).toEqual([]);
    expect(get("aws_iam_role.clean").managed_policy_arns).toBeUndefined();
  });

  it("the role's inline policy is scoped to the job's prefixes, objects, key, log groups and bookmark; no `*` actions", () => {
    const st = statements("aws_iam_role_policy.clean", "policy");
    const view = Object.fromEntries([...st].map(([sid, s]) => [sid, { actions: s.actions, resources: s.resources, conditions: cond(s) }]));
    expect(view).toEqual({
      ReadInputDrops: { actions: ["s3:GetObject"], resources: ["${aws_s3_bucket.drops.arn}/incoming/sales/*"], conditions: [] },
      ListInputDrops: { actions: ["s3:ListBucket"], resources: ["${aws_s3_bucket.drops.arn}"], conditions: [["StringLike", "s3:prefix", ["incoming/sales/", "incoming/sales/*"]]] },
      WriteOutputSales: { actions: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], resources: ["${aws_s3_bucket.sales.arn}/sales/*"], conditions: [] },
      ListOutputSales: { actions: ["s3:ListBucket"], resources: ["${aws_s3_bucket.sales.arn}"], conditions: [["StringLike", "s3:prefix", ["sales/", "sales/*"]]] },
      ReadScriptClean: { actions: ["s3:GetObject"], resources: ["${aws_s3_object.clean_script.arn}", "${aws_s3_object.clean_contract.arn}"], conditions: [] },
      TempAndRejectedClean: {
        actions: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
        resources: ["${aws_s3_bucket.artifacts.arn}/glue-temp/clean/*", "${aws_s3_bucket.artifacts.arn}/rejected/clean/*"],
        conditions: [],
      },
      ListTempAndRejectedClean: {
        actions: ["s3:ListBucket"],
        resources: ["${aws_s3_bucket.artifacts.arn}"],
        conditions: [["StringLike", "s3:prefix", ["glue-temp/clean/", "glue-temp/clean/*", "rejected/clean/", "rejected/clean/*"]]],
      },
      UsePipelineKey: { actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: ["${aws_kms_key.this.arn}"], conditions: [] },
      WriteOwnLogs: {
        actions: ["logs:AssociateKmsKey", "logs:CreateLogStream", "logs:PutLogEvents"],
        resources: ["${aws_cloudwatch_log_group.clean_error.arn}:*", "${aws_cloudwatch_log_group.clean_output.arn}:*"],
        conditions: [],
      },
      ReadOwnBookmark: { actions: ["glue:GetJobBookmark"], resources: ["${aws_glue_job.clean.arn}"], conditions: [] },
      PublishJobMetrics: { actions: ["cloudwatch:PutMetricData"], resources: ["*"], conditions: [["StringEquals", "cloudwatch:namespace", ["Glue"]]] },
    });
    for (const s of st.values()) {
      expect(s.effect).toBe("Allow");
      expect(s.actions.filter((a) => a.includes("*")), s.sid).toEqual([]);
      // Resource "*" only where IAM has no resource-level permissions, and then under a condition.
      if (s.resources.includes("*")) expect([s.actions, cond(s).length]).toEqual([["cloudwatch:PutMetricData"], 1]);
    }
  });

  it("the script and the contract module are uploaded from the module into the artifacts bucket, re-uploaded when they change", () => {
    for (const [name, file] of [["clean_script", "glue/clean.py"], ["clean_contract", "glue/clean_contract.py"]]) {
      const o = get(`aws_s3_object.${name}`);
      expect([o.bucket, o.key, o.source, o.source_hash]).toEqual(["${aws_s3_bucket.artifacts.id}", file, `\${path.module}/${file}`, `\${filemd5("\${path.module}/${file}")}`]);
      // etag would differ from the MD5 under SSE-KMS and show a change on every plan.
      expect(o.etag).toBeUndefined();
    }
  });

  it("the artifacts bucket is hardened like the data buckets and emptied on destroy only in ephemeral environments", () => {
    expect(get("aws_s3_bucket.artifacts")).toMatchObject({ bucket: "${local.name_prefix}-artifacts-${local.account_id}", force_destroy: "${var.ephemeral}" });
    expect(get("aws_s3_bucket_versioning.artifacts").versioning_configuration).toEqual([{ status: "Enabled" }]);
    expect(get("aws_s3_bucket_server_side_encryption_configuration.artifacts").rule[0].apply_server_side_encryption_by_default).toEqual([{ sse_algorithm: "aws:kms", kms_master_key_id: "${aws_kms_key.this.arn}" }]);
    expect(get("aws_s3_bucket_public_access_block.artifacts")).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(get("aws_s3_bucket_ownership_controls.artifacts").rule).toEqual([{ object_ownership: "BucketOwnerEnforced" }]);
    expect(get("aws_s3_bucket_logging.artifacts")).toMatchObject({ target_bucket: "${aws_s3_bucket.access_logs.id}", target_prefix: "artifacts/" });
    const tls = json(get("aws_s3_bucket_policy.artifacts").policy).Statement[0];
    expect([tls.Effect, tls.Action, tls.Condition]).toEqual(["Deny", "s3:*", { Bool: { "aws:SecureTransport": "false" } }]);
    const rules = get("aws_s3_bucket_lifecycle_configuration.artifacts").rule.map((r: any) => [r.filter[0].prefix, r.expiration?.[0].days]);
    expect(rules).toEqual([["glue-temp/", 7], ["rejected/", 90], ["glue/", undefined]]);
  });

  it("failed, timed-out and errored runs reach the alarm topic, which admits only the pipeline's rules; the key lets EventBridge publish", () => {
    const rule = get("aws_cloudwatch_event_rule.clean_failed");
    expect(rule.name).toBe("${local.name_prefix}-clean-failed");
    expect(json(rule.event_pattern)).toEqual({ source: ["aws.glue"], "detail-type": ["Glue Job State Change"], detail: { jobName: ["${aws_glue_job.clean.name}"], state: ["ERROR", "FAILED", "TIMEOUT"] } });
    expect(get("aws_cloudwatch_event_target.clean_failed")).toMatchObject({ rule: "${aws_cloudwatch_event_rule.clean_failed.name}", arn: "${aws_sns_topic.alarms.arn}" });
    const topic = statements("aws_sns_topic_policy.alarms", "policy");
    expect([...topic.keys()]).toEqual(["CloudWatchAlarms", "PipelineEventRules"]);
    const events = topic.get("PipelineEventRules")!;
    expect([events.principals, events.actions, cond(events)]).toEqual([
      [{ type: "Service", ids: ["events.amazonaws.com"] }],
      ["sns:Publish"],
      // The checker's policy reader expands locals: this is rule/${local.name_prefix}-* of the account.
      [["ArnLike", "aws:SourceArn", [`arn:\${data.aws_partition.current.partition}:events:\${var.region}:${ACCOUNT}:rule/sales-batch-\${var.environment}-*`]]],
    ]);
    const key = statements("aws_kms_key.this", "policy").get("EventBridgeRules")!;
    expect([key.principals, key.actions]).toEqual([[{ type: "Service", ids: ["events.amazonaws.com"] }], ["kms:Decrypt", "kms:GenerateDataKey*"]]);
  });

  it("outputs the job name and the script bucket", () => {
    const o = Object.assign({}, ...raw.map((j) => j.output ?? {})) as Record<string, Array<{ value: string }>>;
    expect(o.clean_job_name![0]!.value).toBe("${aws_glue_job.clean.name}");
    expect(o.clean_script_bucket![0]!.value).toBe("${aws_s3_bucket.artifacts.id}");
  });
});

/** Builds (or validates) one pipeline file in a fresh directory; returns the exit code, output and the directory. */
async function cli(args: string[], yaml: string, extra: Record<string, string> = {}): Promise<{ code: number; out: string; cwd: string }> {
  const cwd = mkdtempSync(join(tmpdir(), "pipegen-glue-"));
  temps.push(cwd);
  for (const [p, text] of Object.entries({ "pipelines/p.yaml": yaml, ...extra })) {
    mkdirSync(join(cwd, p, ".."), { recursive: true });
    writeFileSync(join(cwd, p), text);
  }
  let out = "";
  const code = await main(args, { cwd, out: (s) => (out += s), err: (s) => (out += s) });
  return { code, out, cwd };
}

const spec = (transform: string, sinks = "  lake: { type: s3, inputs: [tidy], format: parquet, time_field: at }\n", record = "{ id: string, at: timestamp, amount: number }") => `pipeline: shop
record: ${record}
sources:
  drops: { type: s3, mode: batch, format: csv, schedule: rate(1 day) }
transforms:
  tidy: ${transform}
sinks:
${sinks}`;

describe("glue job variants", () => {
  it("glue 4.0, auto scaling and bookmarks off change the arguments; 4.0 logs go to the continuous log group Glue names after the security configuration", async () => {
    const { code, out, cwd } = await cli(["build"], spec(`{ type: glue_job, inputs: [drops], glue_version: "4.0", autoscaling: { max_workers: 12 }, worker_type: G.2X, timeout_minutes: 30, bookmarks: false, script: jobs/tidy_job.py }`));
    expect(code, out).toBe(0);
    const r = (await parseModule(join(cwd, "generated/shop"))).resources;
    const job = r.get("aws_glue_job.tidy")!;
    expect([job.glue_version, job.worker_type, job.number_of_workers, job.timeout]).toEqual(["4.0", "G.2X", 12, 30]);
    expect(job.default_arguments).toMatchObject({
      "--enable-auto-scaling": "true",
      "--job-bookmark-option": "job-bookmark-disable",
      "--continuous-log-logGroup": "/aws-glue/jobs/${local.name_prefix}-tidy",
      "--partition_by": "dt",
      "--time_field": "at",
    });
    expect(job.default_arguments["--dedupe_by"]).toBeUndefined();
    expect(job.default_arguments["--custom-logGroup-prefix"]).toBeUndefined();
    expect(r.get("aws_cloudwatch_log_group.tidy_continuous")!.name).toBe("/aws-glue/jobs/${local.name_prefix}-tidy-${aws_glue_security_configuration.this.name}");
    // The script lives where `script` says, and the module uploads a copy of it.
    expect(readFileSync(join(cwd, "generated/shop/glue/tidy.py"), "utf8")).toBe(readFileSync(join(cwd, "pipelines/jobs/tidy_job.py"), "utf8"));
  });

  it("a later build keeps the user's script as edited and regenerates the contract module", async () => {
    const first = await cli(["build"], spec("{ type: glue_job, inputs: [drops] }"));
    expect(first.code, first.out).toBe(0);
    const script = join(first.cwd, "pipelines/shop/tidy.py");
    writeFileSync(script, `${readFileSync(script, "utf8")}\n# my change\n`);
    writeFileSync(join(first.cwd, "pipelines/p.yaml"), spec("{ type: glue_job, inputs: [drops] }", undefined, "{ id: string, at: timestamp, amount: number, paid: boolean }"));
    let out = "";
    expect(await main(["build"], { cwd: first.cwd, out: (s) => (out += s), err: (s) => (out += s) }), out).toBe(0);
    expect(readFileSync(script, "utf8")).toContain("# my change");
    expect(readFileSync(join(first.cwd, "generated/shop/glue/tidy.py"), "utf8")).toContain("# my change");
    expect(readFileSync(join(first.cwd, "generated/shop/glue/tidy_contract.py"), "utf8")).toContain('"paid": "boolean",');
  });
});

describe("glue-chain golden module (JSON lines, Glue 4.0, a job reading a job)", () => {
  const chain = join(import.meta.dirname, "expected/glue-chain");

  it("passes every required rule, PIPE-009 for both jobs", async () => {
    const r = await checkModule(chain);
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
    expect(r.applied).toContain("PIPE-009");
  });

  it("the second job reads the Parquet dataset the first one writes into its sink, and may read only that", async () => {
    const m = await loadModule(chain);
    const r = (await parseModule(chain)).resources;
    expect(r.get("aws_glue_job.enrich")!.default_arguments).toMatchObject({ "--input_format": "parquet", "--input_path": "s3://${aws_s3_bucket.clean_events.id}/clean_events/", "--dedupe_by": "payment_id,at" });
    const st = new Map(policyOf(m, blockAt(m, "aws_iam_role_policy.enrich")!, "policy")!.statements.map((s) => [s.sid!, s]));
    expect(st.get("ReadInputTidy")!.resources).toEqual(["${aws_s3_bucket.clean_events.arn}/clean_events/*"]);
    expect(cond(st.get("ListInputTidy")!)).toEqual([["StringLike", "s3:prefix", ["clean_events/", "clean_events/*"]]]);
    // Its script lives where `script` says; the module uploads it under the job's id.
    expect(r.get("aws_s3_object.enrich_script")!.source).toBe("${path.module}/glue/enrich.py");
    expect(r.get("aws_glue_job.tidy")!.default_arguments).toMatchObject({ "--input_format": "jsonl", "--partition_by": "dt,hr", "--job-bookmark-option": "job-bookmark-disable", "--enable-auto-scaling": "true" });
    // One security configuration and one artifacts bucket serve both jobs.
    expect([...r.keys()].filter((a) => a.startsWith("aws_glue_security_configuration.") || a.startsWith("aws_s3_bucket.artifacts")).sort()).toEqual(["aws_glue_security_configuration.this", "aws_s3_bucket.artifacts"]);
  });
});

describe("glue job checks", () => {
  async function diagnostics(yaml: string): Promise<Array<{ code: string; pointer: string; message: string; hint?: string }>> {
    const { code, out } = await cli(["validate", "--reporter", "json", "pipelines/p.yaml"], yaml);
    expect(code, out).toBe(1);
    return JSON.parse(out.slice(out.indexOf("["), out.lastIndexOf("]") + 1));
  }

  it("dedupe_by fields must be in the record contract (PG3005 at the field, did-you-mean)", async () => {
    const d = await diagnostics(spec("{ type: glue_job, inputs: [drops], dedupe_by: [id, amout] }"));
    expect(d.map((x) => [x.code, x.pointer])).toEqual([["PG3005", "/transforms/tidy/dedupe_by/1"]]);
    expect(d[0]!.hint).toMatch(/^did you mean `amount`\?/);
  });

  it("workers and autoscaling exclude each other (PG2008)", async () => {
    const d = await diagnostics(spec("{ type: glue_job, inputs: [drops], workers: 4, autoscaling: { max_workers: 8 } }"));
    expect(d.map((x) => [x.code, x.pointer])).toEqual([["PG2008", "/transforms/tidy/autoscaling"]]);
  });

  it("the job must feed an s3 sink storing Parquet, and only one", async () => {
    const jsonl = await diagnostics(spec("{ type: glue_job, inputs: [drops] }", "  lake: { type: s3, inputs: [tidy], time_field: at }\n"));
    expect(jsonl.filter((x) => x.pointer === "/transforms/tidy").map((x) => [x.code, x.message])).toEqual([["PG3003", expect.stringContaining("s3 sink `lake` stores jsonl")]]);
    const two = await diagnostics(
      spec("{ type: glue_job, inputs: [drops] }", "  lake: { type: s3, inputs: [tidy], format: parquet, time_field: at }\n  copy: { type: s3, inputs: [tidy], format: parquet, time_field: at }\n"),
    );
    expect(two.filter((x) => x.pointer === "/transforms/tidy").map((x) => x.code)).toEqual(["PG3003"]);
    expect(two.find((x) => x.pointer === "/transforms/tidy")!.message).toContain("feeds 2 s3 sinks");
  });

  it("a Lambda-based kind cannot read a glue job (PG3003 at its input), and a job with no s3 sink is reported", async () => {
    const d = await diagnostics(spec("{ type: glue_job, inputs: [drops] }", "  topic: { type: sns, inputs: [tidy] }\n"));
    // In file order: the job (its sinks) first, then the sns sink's input.
    expect(d.map((x) => [x.code, x.pointer])).toEqual([
      ["PG3003", "/transforms/tidy"],
      ["PG3003", "/sinks/topic/inputs/0"],
    ]);
    expect(d[0]!.message).toContain("feeds no s3 sink with `format: parquet`");
  });

  it("the kind's edge hint for Lambda consumers points at parquet sinks and event sources", () => {
    const c = { id: "tidy", category: "transforms", type: "glue_job", pointer: "", inputs: ["drops"], config: {}, lambda: {} as any } as const;
    expect(glueJob.edgeHint!(c as any, filter)).toContain("format: parquet");
    expect(glueJob.edgeHint!(c as any, s3)).toBeUndefined();
  });
});
