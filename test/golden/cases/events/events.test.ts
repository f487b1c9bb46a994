import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../../src/cli/main.ts";
import { checkModule, formatViolations } from "../../../security/check-module.ts";
import { ofType, parseModule } from "../../../support/hcl.ts";
import { deriveDeployPolicy, deriveReadPolicy, policyActions, scanGenerated } from "../../../../src/delivery/deploy-policy/index.ts";
import type { PolicyDocument } from "../../../../src/delivery/deploy-policy/index.ts";

// What the events golden module MEANS (golden.test.ts checks its bytes): the sns and eventbridge
// sinks, their least-privilege policies and outputs, and the security rules on the whole module.
const dir = join(import.meta.dirname, "expected/events");
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

describe("events golden module", () => {
  it("passes every required rule of SECURITY-RULES.md (AVD-AWS-0095/0136 and PIPE-002 on the topic)", async () => {
    const r = await checkModule(dir);
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
    expect(r.applied).toEqual(expect.arrayContaining(["AVD-AWS-0095", "AVD-AWS-0136", "PIPE-002", "PIPE-012"]));
  });

  it("the sns sink is a topic encrypted with the pipeline key, named under the prefix, with a failed-delivery alarm", () => {
    const t = get("aws_sns_topic.order_topic");
    expect(t.name).toBe("${local.name_prefix}-order-topic");
    expect(t.kms_master_key_id).toBe("${aws_kms_key.this.arn}");
    expect(t.tags).toEqual({ "pipegen:component": "order_topic" });
    expect(t.fifo_topic).toBeUndefined();
    const alarm = get("aws_cloudwatch_metric_alarm.order_topic_failed_notifications");
    expect([alarm.namespace, alarm.metric_name, alarm.dimensions]).toEqual(["AWS/SNS", "NumberOfNotificationsFailed", { TopicName: "${aws_sns_topic.order_topic.name}" }]);
    expect(alarm.alarm_actions).toEqual(["${aws_sns_topic.alarms.arn}"]);
  });

  it("the topic's function may publish to that topic only, and gets its ARN and the attribute fields", () => {
    const st = statements("order_topic");
    expect(st.get("PublishTopicOrderTopic")).toEqual({ Action: ["sns:Publish"], Resource: ["aws_sns_topic.order_topic.arn"] });
    expect(st.get("UsePipelineKey")).toEqual({ Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: ["aws_kms_key.this.arn"] });
    expect([...st.keys()].filter((s) => /Publish|PutEvents/.test(s))).toEqual(["PublishTopicOrderTopic"]);
    expect(get("aws_lambda_function.order_topic").environment[0].variables.PIPEGEN_TOPIC_ORDER_TOPIC).toBe("${aws_sns_topic.order_topic.arn}");
    const handler = readFileSync(join(dir, "handlers/order_topic.ts"), "utf8");
    expect(handler).toContain('snsSink({"name":"order_topic","topicEnv":"PIPEGEN_TOPIC_ORDER_TOPIC","attributes":["store","amount","created_at"]})');
    expect(handler).toContain('(r["paid"] as boolean) && (r["amount"] as number) > 0');
  });

  it("each eventbridge sink gets a bus of its own; its function may put events on that bus only", () => {
    for (const [id, source, detailType, owner] of [
      ["order_bus", "com.example.orders", "order_paid", "order_bus"],
      ["totals_bus", "pipegen.events", "totals_bus", "per_store"],
    ] as const) {
      const bus = get(`aws_cloudwatch_event_bus.${id}`);
      expect(bus.name).toBe(`\${local.name_prefix}-${id.replace("_", "-")}`);
      const st = statements(owner);
      expect(st.get(`PutEvents${id === "order_bus" ? "OrderBus" : "TotalsBus"}`)).toEqual({ Action: ["events:PutEvents"], Resource: [`aws_cloudwatch_event_bus.${id}.arn`] });
      expect(get(`aws_lambda_function.${owner}`).environment[0].variables[`PIPEGEN_BUS_${id.toUpperCase()}`]).toBe(`\${aws_cloudwatch_event_bus.${id}.name}`);
      const handler = readFileSync(join(dir, `handlers/${owner}.ts`), "utf8");
      expect(handler).toContain(`eventbridgeSink({"name":"${id}","busEnv":"PIPEGEN_BUS_${id.toUpperCase()}","source":"${source}","detailType":"${detailType}"})`);
      expect(outputs()[`${id}_event_pattern`]![0]!.value).toBe(`\${jsonencode({ source = ["${source}"], "detail-type" = ["${detailType}"] })}`);
    }
    // The window's totals go out from the aggregate's own function, after the window closes.
    expect(readFileSync(join(dir, "handlers/per_store.ts"), "utf8")).toContain("windowedAggregateHandler(");
    expect(ofType(resources, "aws_lambda_function").map(([k]) => k).sort()).toEqual(["aws_lambda_function.order_bus", "aws_lambda_function.order_topic", "aws_lambda_function.per_store"]);
  });

  it("outputs what subscribers need: topic ARN, bus names and ARNs", () => {
    const o = outputs();
    expect(o.order_topic_topic_arn![0]!.value).toBe("${aws_sns_topic.order_topic.arn}");
    expect(o.order_bus_event_bus_name![0]!.value).toBe("${aws_cloudwatch_event_bus.order_bus.name}");
    expect(o.totals_bus_event_bus_arn![0]!.value).toBe("${aws_cloudwatch_event_bus.totals_bus.arn}");
  });
});

describe("deploy policy of the events module", () => {
  /** IAM-style glob match, as in test/delivery/deploy-policy.test.ts. */
  const glob = (pattern: string, value: string): boolean =>
    new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))).join("")}$`).test(value);
  const allows = (doc: PolicyDocument, action: string, arn: string): boolean => doc.Statement.some((s) => s.Action.includes(action) && s.Resource.some((r) => glob(r, arn)));
  const P = "${partition}";
  const A = "${account}";

  it("covers the provider's calls on the topic, the buses and the dashboard, scoped to the pipeline", async () => {
    const modules = await scanGenerated(join(import.meta.dirname, "expected"), "expected");
    expect(modules[0]!.types).toEqual(expect.arrayContaining(["aws_cloudwatch_dashboard", "aws_cloudwatch_event_bus", "aws_sns_topic"]));
    const policy = deriveDeployPolicy(modules);
    const bus = `arn:${P}:events:us-east-1:${A}:event-bus/events-dev-order-bus`;
    for (const c of ["events:CreateEventBus", "events:DescribeEventBus", "events:ListTagsForResource", "events:TagResource", "events:DeleteEventBus"]) expect(allows(policy, c, bus), c).toBe(true);
    const topic = `arn:${P}:sns:us-east-1:${A}:events-dev-order-topic`;
    for (const c of ["sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic"]) expect(allows(policy, c, topic), c).toBe(true);
    const dashboard = `arn:${P}:cloudwatch::${A}:dashboard/events-dev`;
    for (const c of ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"]) expect(allows(policy, c, dashboard), c).toBe(true);
    expect(allows(policy, "events:DeleteEventBus", `arn:${P}:events:us-east-1:${A}:event-bus/default`)).toBe(false);
    expect(allows(policy, "events:DeleteEventBus", `arn:${P}:events:us-east-1:${A}:event-bus/payments-dev-bus`)).toBe(false);
    expect(allows(policy, "cloudwatch:DeleteDashboards", `arn:${P}:cloudwatch::${A}:dashboard/payments-dev`)).toBe(false);
    const read = policyActions(deriveReadPolicy(modules));
    expect(read).toEqual(expect.arrayContaining(["cloudwatch:GetDashboard", "events:DescribeEventBus"]));
    expect(read).not.toContain("events:CreateEventBus");
  });
});

describe("sns and eventbridge checks", () => {
  const temps: string[] = [];
  beforeAll(() => () => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

  async function validate(yaml: string): Promise<Array<{ code: string; pointer: string; span?: { line: number; col: number }; message: string; hint?: string }>> {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-events-"));
    temps.push(cwd);
    mkdirSync(join(cwd, "pipelines"));
    writeFileSync(join(cwd, "pipelines/p.yaml"), yaml);
    let out = "";
    const code = await main(["validate", "--reporter", "json", "pipelines/p.yaml"], { cwd, out: (s) => (out += s), err: (s) => (out += s) });
    expect(code).toBe(1);
    return JSON.parse(out.slice(out.indexOf("["), out.lastIndexOf("]") + 1));
  }

  const head = `pipeline: shop
record: { order_id: string, store: string, amount: number }
sources:
  orders: { type: kinesis }
transforms:
  slim: { type: map, inputs: [orders], drop: [amount] }
sinks:
`;

  it("message attributes must be fields of the arriving records (PG3005, did-you-mean, or which map dropped it)", async () => {
    const d = await validate(`${head}  topic: { type: sns, inputs: [orders], message_attributes: [store, stroe] }\n  slim_topic: { type: sns, inputs: [slim], message_attributes: [amount] }\n`);
    expect(d.map((x) => [x.code, x.pointer, `${x.span?.line}:${x.span?.col}`])).toEqual([
      ["PG3005", "/sinks/topic/message_attributes/1", "8:69"],
      ["PG3005", "/sinks/slim_topic/message_attributes/0", "9:65"],
    ]);
    expect(d[0]!.hint).toMatch(/^did you mean `store`\?/);
    expect(d[1]!.message).toContain("map `slim` drops it");
  });

  it("rejects more than 9 message attributes (SNS allows 10 with pipegen-record-id)", async () => {
    const many = Array.from({ length: 10 }, (_, i) => `f${i}`);
    const d = await validate(`pipeline: shop\nrecord: { ${many.map((f) => `${f}: string`).join(", ")} }\nsources:\n  orders: { type: kinesis }\nsinks:\n  topic: { type: sns, inputs: [orders], message_attributes: [${many.join(", ")}] }\n`);
    expect(d.map((x) => [x.code, x.pointer])).toEqual([["PG2006", "/sinks/topic/message_attributes"]]);
  });

  it("an eventbridge source may not start with aws. (PG3008); over-long source and detail_type are PG3009", async () => {
    const d = await validate(`${head}  bus: { type: eventbridge, inputs: [orders], source: aws.shop, detail_type: ${"t".repeat(129)} }\n  bus2: { type: eventbridge, inputs: [slim], source: ${"s".repeat(257)} }\n`);
    expect(d.map((x) => [x.code, x.pointer])).toEqual([
      ["PG3008", "/sinks/bus/source"],
      ["PG3009", "/sinks/bus/detail_type"],
      ["PG3009", "/sinks/bus2/source"],
    ]);
    expect(d[0]!.hint).toContain("`pipegen.shop`");
  });

  it("an eventbridge source is letters, digits and . _ / - (PG2005)", async () => {
    const d = await validate(`${head}  bus: { type: eventbridge, inputs: [orders], source: "shop orders" }\n  bus2: { type: eventbridge, inputs: [slim] }\n`);
    expect(d.map((x) => [x.code, x.pointer])).toEqual([["PG2005", "/sinks/bus/source"]]);
  });
});
