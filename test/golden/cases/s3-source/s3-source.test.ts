import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../../src/cli/main.ts";
import { checkModule, formatViolations } from "../../../security/check-module.ts";
import { ofType, parseModule } from "../../../support/hcl.ts";
import { deriveDeployPolicy, scanGenerated } from "../../../../src/delivery/deploy-policy/index.ts";
import type { PolicyDocument } from "../../../../src/delivery/deploy-policy/index.ts";
import { KINDS } from "../../../../src/kinds/index.ts";

// What the s3-source golden modules MEAN (golden.test.ts checks their bytes). landing (events mode):
// a landing bucket hardened like the data lake, the notification and permission that make S3 invoke
// the consuming function for that prefix and suffix only, the function's least privilege on the
// landing prefix, its asynchronous dead-letter queue. sales-batch (batch mode, the issue-5 reference
// pipeline): the same bucket, its files and schedule handed to the Glue job and the orchestration.
// Both pass the security rules.
const dir = join(import.meta.dirname, "expected/landing");
let resources: Map<string, Record<string, any>>;
let raw: Record<string, any>[];

beforeAll(async () => {
  ({ resources, raw } = await parseModule(dir));
});

const get = (addr: string) => {
  const r = resources.get(addr);
  if (!r) throw new Error(`missing ${addr}`);
  return r;
};
/** The statements of a function's inline policy, by Sid. */
const statements = (fn: string): Map<string, { Action: string[]; Resource: string[] }> => {
  const text = readFileSync(join(dir, `${fn}.tf`), "utf8");
  const out = new Map<string, { Action: string[]; Resource: string[] }>();
  for (const m of text.matchAll(/Sid\s+= "(\w+)"\s+Effect\s+= "Allow"\s+Action\s+= \[([^\]]*)\]\s+Resource = \[([^\]]*)\]/g)) {
    out.set(m[1]!, { Action: m[2]!.split(", ").map((a) => a.replace(/"/g, "")), Resource: m[3]!.split(", ") });
  }
  return out;
};
const outputs = () => Object.assign({}, ...raw.map((j) => j.output ?? {})) as Record<string, Array<{ value: string }>>;

describe("s3 source golden module (events mode)", () => {
  it("passes every required rule of SECURITY-RULES.md, including the permission rules on aws_lambda_permission", async () => {
    const r = await checkModule(dir);
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
    expect(r.applied).toEqual(expect.arrayContaining(["AVD-AWS-0067", "PIPE-012", "PIPE-011", "PIPE-014", "AVD-AWS-0132", "AVD-AWS-0089", "AVD-AWS-0090"]));
  });

  it("the landing bucket is hardened like the data lake: versioned, SSE-KMS, private, TLS only, logged, expiring landed files", () => {
    const b = get("aws_s3_bucket.drops");
    expect(b.bucket).toBe("${local.name_prefix}-drops-${local.account_id}");
    expect(b.force_destroy).toBe("${var.ephemeral}");
    expect(b.tags).toEqual({ "pipegen:component": "drops" });
    expect(get("aws_s3_bucket_versioning.drops").versioning_configuration[0].status).toBe("Enabled");
    const sse = get("aws_s3_bucket_server_side_encryption_configuration.drops").rule[0].apply_server_side_encryption_by_default[0];
    expect([sse.sse_algorithm, sse.kms_master_key_id]).toEqual(["aws:kms", "${aws_kms_key.this.arn}"]);
    const pab = get("aws_s3_bucket_public_access_block.drops");
    expect([pab.block_public_acls, pab.block_public_policy, pab.ignore_public_acls, pab.restrict_public_buckets]).toEqual([true, true, true, true]);
    expect(get("aws_s3_bucket_ownership_controls.drops").rule[0].object_ownership).toBe("BucketOwnerEnforced");
    expect(get("aws_s3_bucket_policy.drops").policy).toContain('"aws:SecureTransport" = "false"');
    const logging = get("aws_s3_bucket_logging.drops");
    expect([logging.target_bucket, logging.target_prefix]).toEqual(["${aws_s3_bucket.access_logs.id}", "drops/"]);
    const rule = get("aws_s3_bucket_lifecycle_configuration.drops").rule[0];
    expect(rule.expiration).toEqual([{ days: 14 }]);
    expect(rule.noncurrent_version_expiration).toEqual([{ noncurrent_days: 14 }]);
    expect(rule.transition).toBeUndefined();
  });

  it("one notification on the bucket invokes the consuming function for objects created under the prefix with the suffix", () => {
    expect(ofType(resources, "aws_s3_bucket_notification").map(([k]) => k)).toEqual(["aws_s3_bucket_notification.drops"]);
    const n = get("aws_s3_bucket_notification.drops");
    expect(n.bucket).toBe("${aws_s3_bucket.drops.id}");
    expect(n.lambda_function).toEqual([
      { id: "lake", lambda_function_arn: "${aws_lambda_function.lake.arn}", events: ["s3:ObjectCreated:*"], filter_prefix: "incoming/orders/", filter_suffix: ".csv" },
    ]);
    // S3 validates the destination when the configuration is saved, so the permission must exist first.
    expect(n.depends_on).toEqual(["${aws_lambda_permission.lake_s3}"]);
  });

  it("S3 may invoke the function only for this bucket in this account", () => {
    expect(ofType(resources, "aws_lambda_permission").map(([k]) => k)).toEqual(["aws_lambda_permission.lake_s3"]);
    const p = get("aws_lambda_permission.lake_s3");
    expect(p).toMatchObject({
      action: "lambda:InvokeFunction",
      function_name: "${aws_lambda_function.lake.function_name}",
      principal: "s3.amazonaws.com",
      source_arn: "${aws_s3_bucket.drops.arn}",
      source_account: "${local.account_id}",
    });
  });

  it("the function may read objects under the landing prefix only (at the event's version), and gets the bucket and its DLQ", () => {
    const st = statements("lake");
    expect(st.get("ReadObjectsDrops")).toEqual({ Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: ['"${aws_s3_bucket.drops.arn}/incoming/orders/*"'] });
    const onDrops = [...st.entries()].filter(([, s]) => s.Resource.some((r) => r.includes("aws_s3_bucket.drops"))).map(([sid]) => sid);
    expect(onDrops).toEqual(["ReadObjectsDrops"]);
    expect(st.get("ParkFailures")).toEqual({ Action: ["sqs:SendMessage"], Resource: ["aws_sqs_queue.lake_dlq.arn"] });
    expect([...st.keys()].some((s) => s.startsWith("ReadStream"))).toBe(false);
    const vars = get("aws_lambda_function.lake").environment[0].variables;
    expect(vars.PIPEGEN_SOURCE_BUCKET_DROPS).toBe("${aws_s3_bucket.drops.id}");
    expect(vars.PIPEGEN_DLQ_URL).toBe("${aws_sqs_queue.lake_dlq.url}");
  });

  it("S3 invokes asynchronously: failed events are parked in the DLQ; no event source mapping, no iterator-age alarm", () => {
    const fn = get("aws_lambda_function.lake");
    expect(fn.dead_letter_config).toEqual([{ target_arn: "${aws_sqs_queue.lake_dlq.arn}" }]);
    expect([fn.timeout, fn.memory_size]).toEqual([300, 512]);
    expect(ofType(resources, "aws_lambda_event_source_mapping")).toEqual([]);
    expect(resources.has("aws_cloudwatch_metric_alarm.lake_iterator_age")).toBe(false);
    expect(get("aws_cloudwatch_metric_alarm.lake_dlq").dimensions).toEqual({ QueueName: "${aws_sqs_queue.lake_dlq.name}" });
  });

  it("the handler reads CSV objects of the prefix through the filter into the lake", () => {
    const handler = readFileSync(join(dir, "handlers/lake.ts"), "utf8");
    expect(handler).toContain("// Function lake: reads csv objects landing in drops → paid and writes s3 sink lake.");
    expect(handler).toContain('options: {"name":"drops","bucketEnv":"PIPEGEN_SOURCE_BUCKET_DROPS","dlqEnv":"PIPEGEN_DLQ_URL","prefix":"incoming/orders/","format":"csv"}');
    expect(handler).toMatch(/export const handler = s3ObjectHandler\(\{\n  contract: \{"fields":\{"amount":"number","created_at":"timestamp","order_id":"string","paid":"boolean","store":"string"\}\}/);
    expect(handler).toContain('(r["paid"] as boolean) && (r["amount"] as number) > 0');
  });

  it("outputs where to upload: the bucket name and the landing prefix", () => {
    const o = outputs();
    expect(o.drops_bucket_name![0]!.value).toBe("${aws_s3_bucket.drops.id}");
    expect(o.drops_landing_prefix![0]!.value).toBe("incoming/orders/");
  });
});

describe("s3 source golden module (batch mode: the issue-5 reference pipeline)", () => {
  const batchDir = join(import.meta.dirname, "../../../../generated/sales-batch") /* the committed reference module */;
  let batch: Map<string, Record<string, any>>;
  let batchRaw: Record<string, any>[];
  beforeAll(async () => {
    ({ resources: batch, raw: batchRaw } = await parseModule(batchDir));
  });

  it("passes every required rule of SECURITY-RULES.md", async () => {
    const r = await checkModule(batchDir);
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
  });

  it("the landing bucket is the same hardened bucket, expiring drops after 30 days, with no notification or function of its own", () => {
    expect(batch.get("aws_s3_bucket.drops")!.bucket).toBe("${local.name_prefix}-drops-${local.account_id}");
    expect(batch.get("aws_s3_bucket_versioning.drops")!.versioning_configuration[0].status).toBe("Enabled");
    expect(batch.get("aws_s3_bucket_server_side_encryption_configuration.drops")!.rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id).toBe("${aws_kms_key.this.arn}");
    expect(batch.get("aws_s3_bucket_lifecycle_configuration.drops")!.rule[0].expiration).toEqual([{ days: 30 }]);
    for (const t of ["aws_s3_bucket_notification", "aws_lambda_permission", "aws_lambda_function"]) expect(ofType(batch, t), t).toEqual([]);
    const out = Object.assign({}, ...batchRaw.map((j) => j.output ?? {})) as Record<string, Array<{ value: string }>>;
    expect(out.drops_bucket_name![0]!.value).toBe("${aws_s3_bucket.drops.id}");
    expect(out.drops_landing_prefix![0]!.value).toBe("incoming/sales/");
  });

  it("hands its files (bucket, prefix, csv) to the glue job and its schedule to the orchestration", () => {
    const text = readFileSync(join(batchDir, "clean.tf"), "utf8");
    // The batch job reads sourceFiles(): only the landing prefix, in the source's format.
    expect(text).toContain('"${aws_s3_bucket.drops.arn}/incoming/sales/*"');
    expect(text).toContain('"s3://${aws_s3_bucket.drops.id}/incoming/sales/"');
    expect(text).toMatch(/reads csv files of s3 source drops/);
    const schedules = ofType(batch, "aws_scheduler_schedule").map(([, r]) => r.schedule_expression);
    expect(schedules).toEqual(["cron(0 3 * * ? *)"]);
  });
});

describe("deploy policy of the s3-source module", () => {
  const glob = (pattern: string, value: string): boolean =>
    new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))).join("")}$`).test(value);
  const allows = (doc: PolicyDocument, action: string, arn: string): boolean => doc.Statement.some((s) => s.Action.includes(action) && s.Resource.some((r) => glob(r, arn)));

  it("may manage the bucket notification and the function permission, scoped to the pipeline", async () => {
    const modules = await scanGenerated(join(import.meta.dirname, "expected"), "expected");
    expect(modules[0]!.types).toEqual(expect.arrayContaining(["aws_s3_bucket_notification", "aws_lambda_permission"]));
    const policy = deriveDeployPolicy(modules);
    const bucket = "arn:${partition}:s3:::landing-dev-drops-${account}";
    for (const a of ["s3:PutBucketNotification", "s3:GetBucketNotification"]) expect(allows(policy, a, bucket), a).toBe(true);
    expect(allows(policy, "s3:PutBucketNotification", "arn:${partition}:s3:::payments-dev-drops-${account}")).toBe(false);
    for (const a of ["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"]) expect(allows(policy, a, "arn:${partition}:lambda:us-east-1:${account}:function:landing-dev-lake"), a).toBe(true);
  });
});

describe("s3 source checks", () => {
  const temps: string[] = [];
  afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

  async function validate(yaml: string): Promise<Array<{ code: string; pointer: string; message: string; hint?: string }>> {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-s3-source-"));
    temps.push(cwd);
    mkdirSync(join(cwd, "pipelines"));
    writeFileSync(join(cwd, "pipelines/p.yaml"), yaml);
    let out = "";
    const code = await main(["validate", "--reporter", "json", "pipelines/p.yaml"], { cwd, out: (s) => (out += s), err: (s) => (out += s) });
    if (code === 0) return [];
    return JSON.parse(out.slice(out.indexOf("["), out.lastIndexOf("]") + 1));
  }

  const head = (source: string) => `pipeline: shop
record: { order_id: string, amount: number }
sources:
  drops: ${source}
sinks:
  lake: { type: s3, inputs: [drops] }
`;

  const batch = (source: string) => `pipeline: shop
record: { order_id: string, amount: number }
sources:
  drops: ${source}
transforms:
  clean: { type: glue_job, inputs: [drops] }
sinks:
  lake: { type: s3, inputs: [clean], format: parquet }
`;

  it("batch mode needs a schedule (PG2002 on the source) and takes no suffix (PG2008)", async () => {
    const d = await validate(batch("{ type: s3, mode: batch, suffix: .csv }"));
    expect(d.map((x) => [x.code, x.pointer])).toEqual([
      ["PG2002", "/sources/drops"],
      ["PG2008", "/sources/drops/suffix"],
    ]);
    expect(d[0]!.message).toContain("missing required key `schedule`");
    expect(await validate(batch("{ type: s3, mode: batch, schedule: rate(1 day) }"))).toEqual([]);
  });

  it("an invalid schedule expression is reported like the generator's (PG2005)", async () => {
    const d = await validate(batch("{ type: s3, mode: batch, schedule: every day }"));
    expect(d.map((x) => [x.code, x.pointer])).toEqual([["PG2005", "/sources/drops/schedule"]]);
  });

  it("events mode takes no schedule (PG2008 at the schedule)", async () => {
    const d = await validate(head("{ type: s3, mode: events, schedule: rate(1 hour) }"));
    expect(d.map((x) => [x.code, x.pointer])).toEqual([["PG2008", "/sources/drops/schedule"]]);
    expect(d[0]!.hint).toContain("`mode: batch`");
  });

  it("mode is required and one of batch, events", async () => {
    expect((await validate(head("{ type: s3 }"))).map((x) => [x.code, x.pointer])).toEqual([["PG2002", "/sources/drops"]]);
    expect((await validate(head("{ type: s3, mode: stream }"))).map((x) => [x.code, x.pointer])).toEqual([["PG2004", "/sources/drops/mode"]]);
  });

  it("a prefix must be key segments ending with / and a suffix a plain file ending", async () => {
    const d = await validate(head('{ type: s3, mode: events, prefix: "../x", suffix: "*.csv" }'));
    expect(d.map((x) => [x.code, x.pointer])).toEqual([
      ["PG2005", "/sources/drops/prefix"],
      ["PG2005", "/sources/drops/suffix"],
    ]);
  });

  it("an events source feeding two functions is rejected: S3 cannot send the same objects to two functions", async () => {
    const d = await validate(`pipeline: shop
record: { order_id: string, amount: number }
sources:
  drops: { type: s3, mode: events }
transforms:
  big: { type: filter, inputs: [drops], where: amount > 100 }
sinks:
  lake: { type: s3, inputs: [drops] }
  big_lake: { type: s3, inputs: [big] }
`);
    expect(d.map((x) => [x.code, x.pointer])).toEqual([["PG3003", "/sources/drops"]]);
    expect(d[0]!.message).toContain("feeds 2 functions (`big_lake`, `lake`)");
  });

  it("builds the smallest events pipeline cleanly", async () => {
    expect(await validate(head("{ type: s3, mode: events, format: csv, suffix: .csv }"))).toEqual([]);
  });

  it("edge hints say which mode the consumer needs", () => {
    const kind = KINDS.find((k) => k.category === "sources" && k.name === "s3")!;
    const filter = KINDS.find((k) => k.name === "filter")!;
    const batchJob = { ...filter, name: "glue_job", accepts: ["files"] } as typeof filter;
    const c = (mode: string) => ({ id: "drops", category: "sources", type: "s3", pointer: "/sources/drops", inputs: [], config: { type: "s3", mode }, lambda: {} }) as any;
    expect(kind.edgeHint!(c("batch"), filter)).toMatch(/^`drops` is a batch s3 source: its files are read by a glue_job on its schedule\. To process each file with Lambda as it lands, set `mode: events`/);
    expect(kind.edgeHint!(c("events"), batchJob)).toMatch(/set `mode: batch` and a `schedule` on `drops`$/);
    expect(kind.edgeHint!(c("events"), filter)).toBeUndefined();
    expect(kind.produces).toBeTypeOf("function");
    expect((kind.produces as (x: unknown) => string)(c("batch"))).toBe("files");
    expect((kind.produces as (x: unknown) => string)(c("events"))).toBe("stream");
  });
});
