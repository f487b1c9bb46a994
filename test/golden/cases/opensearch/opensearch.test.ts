import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../../src/cli/main.ts";
import { checkModule, formatViolations } from "../../../security/check-module.ts";
import { parseHclExpression, unwrapInterpolation } from "../../../security/hcl-expr.ts";
import { ofType, parseModule } from "../../../support/hcl.ts";
import { loadBundledHandler } from "../../../support/bundles.ts";
import { deriveDeployPolicy, deriveReadPolicy, policyActions, scanGenerated } from "../../../../src/delivery/deploy-policy/index.ts";
import type { PolicyDocument } from "../../../../src/delivery/deploy-policy/index.ts";
import { MAX_ENV_LENGTH } from "../../../../src/naming/names.ts";
import { OPENSEARCH_LIMITS } from "../../../../src/kinds/sinks/opensearch/kind.ts";

// What the opensearch golden modules MEAN (golden.test.ts checks their bytes): `shop` writes paid
// orders to a managed domain, `clicks` writes page views and per-page window counts to serverless
// collections. Parsed back with @cdktf/hcl2json; policy documents are read from their jsonencode().
const expected = join(import.meta.dirname, "expected");
type Module = { resources: Map<string, Record<string, any>>; raw: Record<string, any>[] };
const mods: Record<"shop" | "clicks", Module> = {} as never;

beforeAll(async () => {
  mods.shop = await parseModule(join(expected, "shop"));
  mods.clicks = await parseModule(join(expected, "clicks"));
});

const get = (m: keyof typeof mods, addr: string) => {
  const r = mods[m].resources.get(addr);
  if (!r) throw new Error(`missing ${addr}`);
  return r;
};
/** The value of a `jsonencode(...)` attribute, references kept as `${...}` strings. */
const jsonencoded = (v: string): any => {
  const inner = unwrapInterpolation(v);
  if (!inner?.startsWith("jsonencode(")) throw new Error(`not a jsonencode(): ${v}`);
  return parseHclExpression(inner.slice("jsonencode(".length, -1));
};
/** The statements of a function's inline policy, by Sid. */
const statements = (m: keyof typeof mods, fn: string): Map<string, { Action: string[]; Resource: string[] }> => {
  const doc = jsonencoded(get(m, `aws_iam_role_policy.${fn}`).policy);
  return new Map(doc.Statement.map((s: any) => [s.Sid, { Action: s.Action, Resource: s.Resource }]));
};
const outputs = (m: keyof typeof mods) => Object.assign({}, ...mods[m].raw.map((j) => j.output ?? {})) as Record<string, Array<{ value: string }>>;

describe("opensearch golden modules: security rules", () => {
  it.each(["shop", "clicks"])("%s passes every required rule of SECURITY-RULES.md", async (name) => {
    const r = await checkModule(join(expected, name));
    expect(r.violations, formatViolations(r.violations)).toEqual([]);
    if (name === "shop") expect(r.applied).toEqual(expect.arrayContaining(["AVD-AWS-0042", "AVD-AWS-0043", "AVD-AWS-0046", "AVD-AWS-0048", "AVD-AWS-0126", "PIPE-001", "PIPE-002", "PIPE-012"]));
  });
});

describe("shop: the managed domain", () => {
  const domain = () => get("shop", "aws_opensearch_domain.search");

  it("is encrypted at rest with the pipeline key and between nodes, and answers HTTPS only with a TLS 1.2 PFS policy", () => {
    const d = domain();
    expect(d.encrypt_at_rest).toEqual([{ enabled: true, kms_key_id: "${aws_kms_key.this.arn}" }]);
    expect(d.node_to_node_encryption).toEqual([{ enabled: true }]);
    expect(d.domain_endpoint_options).toEqual([{ enforce_https: true, tls_security_policy: "Policy-Min-TLS-1-2-PFS-2023-10" }]);
    expect(d.software_update_options).toEqual([{ auto_software_update_enabled: true }]);
    expect(d.engine_version).toBe("OpenSearch_2.19");
  });

  it("uses fine-grained access control with the writer function's role as master user (no internal users)", () => {
    expect(domain().advanced_security_options).toEqual([
      { enabled: true, anonymous_auth_enabled: false, internal_user_database_enabled: false, master_user_options: [{ master_user_arn: "${aws_iam_role.search.arn}" }] },
    ]);
    // The role is the unit that writes the sink (plan/functions.ts names it after the sink), and roles never depend on the domain.
    expect(get("shop", "aws_lambda_function.search").role).toBe("${aws_iam_role.search.arn}");
    expect(JSON.stringify(get("shop", "aws_iam_role.search"))).not.toContain("aws_opensearch_domain");
  });

  it("lets only the writer role POST to the one index's bulk endpoint; explicit indexes in bulk bodies are refused", () => {
    const policy = jsonencoded(domain().access_policies);
    expect(policy.Statement).toEqual([
      {
        Sid: "WriterBulkIndexOnly",
        Effect: "Allow",
        Principal: { AWS: "${aws_iam_role.search.arn}" },
        Action: "es:ESHttpPost",
        Resource: "arn:${local.partition}:es:${var.region}:${local.account_id}:domain/${local.name_prefix}-search/paid-orders/_bulk",
      },
    ]);
    expect(JSON.stringify(policy)).not.toMatch(/"\*"/);
    expect(domain().advanced_options).toEqual({ "rest.action.multi.allow_explicit_index": "false" });
  });

  it("publishes audit, error and index-slow logs to its own KMS-encrypted log groups, and OpenSearch may write only those", () => {
    const d = domain();
    const published = Object.fromEntries((d.log_publishing_options as any[]).map((o) => [o.log_type, o]));
    expect(Object.keys(published).sort()).toEqual(["AUDIT_LOGS", "ES_APPLICATION_LOGS", "INDEX_SLOW_LOGS"]);
    const groups: string[] = [];
    for (const [type, suffix] of [["AUDIT_LOGS", "audit"], ["ES_APPLICATION_LOGS", "application"], ["INDEX_SLOW_LOGS", "index_slow"]] as const) {
      expect(published[type]).toEqual({ log_type: type, enabled: true, cloudwatch_log_group_arn: `\${aws_cloudwatch_log_group.search_${suffix}.arn}` });
      const g = get("shop", `aws_cloudwatch_log_group.search_${suffix}`);
      expect([g.retention_in_days, g.kms_key_id]).toEqual(["${var.log_retention_days}", "${aws_kms_key.this.arn}"]);
      expect(g.name).toMatch(/^\/aws\/opensearch\/\$\{local\.name_prefix\}-search\//);
      groups.push(`\${aws_cloudwatch_log_group.search_${suffix}.arn}:*`);
    }
    const lrp = get("shop", "aws_cloudwatch_log_resource_policy.search");
    expect(lrp.policy_name).toBe("${local.name_prefix}-search-opensearch-logs");
    const [st, ...rest] = jsonencoded(lrp.policy_document).Statement;
    expect(rest).toEqual([]);
    expect(st.Principal).toEqual({ Service: "es.amazonaws.com" });
    expect(st.Action).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    expect([...st.Resource].sort()).toEqual(groups.sort());
    // PIPE-012: the service principal is bound to this account and this domain.
    expect(st.Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "${local.account_id}" },
      ArnLike: { "aws:SourceArn": "arn:${local.partition}:es:${var.region}:${local.account_id}:domain/${local.name_prefix}-search" },
    });
    expect(d.depends_on).toEqual(["${aws_cloudwatch_log_resource_policy.search}"]);
  });

  it("sizes the cluster from the spec: 2 zone-aware t3.medium nodes, gp3 volumes", () => {
    expect(domain().cluster_config).toEqual([{ instance_type: "t3.medium.search", instance_count: 2, zone_awareness_enabled: true, zone_awareness_config: [{ availability_zone_count: 2 }] }]);
    expect(domain().ebs_options).toEqual([{ ebs_enabled: true, volume_type: "gp3", volume_size: 20 }]);
  });

  it("is named under the prefix, within OpenSearch's 28 characters for every environment name the module accepts", () => {
    expect(domain().domain_name).toBe("${local.name_prefix}-search");
    const longest = `shop-${"e".repeat(MAX_ENV_LENGTH)}-search`;
    expect(longest.length).toBeLessThanOrEqual(OPENSEARCH_LIMITS.domainName);
    expect(longest).toMatch(/^[a-z][a-z0-9-]{2,27}$/);
  });

  it("alarms on a red cluster, low free storage (a quarter of 20 GiB) and blocked writes, to the alarm topic", () => {
    const alarms: Record<string, Record<string, any>> = Object.fromEntries(ofType(mods.shop.resources, "aws_cloudwatch_metric_alarm").filter(([, a]) => a.namespace === "AWS/ES").map(([, a]) => [a.metric_name, a]));
    expect(Object.keys(alarms).sort()).toEqual(["ClusterIndexWritesBlocked", "ClusterStatus.red", "FreeStorageSpace"]);
    for (const a of Object.values(alarms)) {
      expect(a.dimensions).toEqual({ DomainName: "${aws_opensearch_domain.search.domain_name}", ClientId: "${local.account_id}" });
      expect(a.alarm_actions).toEqual(["${aws_sns_topic.alarms.arn}"]);
    }
    expect([alarms.FreeStorageSpace!.threshold, alarms.FreeStorageSpace!.comparison_operator]).toEqual([5120, "LessThanOrEqualToThreshold"]);
    expect([alarms["ClusterStatus.red"]!.threshold, alarms["ClusterStatus.red"]!.comparison_operator]).toEqual([1, "GreaterThanOrEqualToThreshold"]);
  });

  it("the writer may POST to that bulk endpoint only, gets the endpoint, and indexes by order id", () => {
    const st = statements("shop", "search");
    expect(st.get("WriteIndexSearch")).toEqual({ Action: ["es:ESHttpPost"], Resource: ["${aws_opensearch_domain.search.arn}/paid-orders/_bulk"] });
    expect([...st.values()].flatMap((s) => s.Action).filter((a) => a.startsWith("es:"))).toEqual(["es:ESHttpPost"]);
    expect(get("shop", "aws_lambda_function.search").environment[0].variables.PIPEGEN_OPENSEARCH_SEARCH).toBe("${aws_opensearch_domain.search.endpoint}");
    expect(readFileSync(join(expected, "shop/handlers/search.ts"), "utf8")).toContain('opensearchSink({"name":"search","endpointEnv":"PIPEGEN_OPENSEARCH_SEARCH","service":"es","index":"paid-orders","idField":"order_id"})');
    expect(outputs("shop").search_endpoint![0]!.value).toBe("https://${aws_opensearch_domain.search.endpoint}");
  });
});

describe("clicks: serverless collections", () => {
  for (const [id, writer, type, index] of [
    ["view_search", "view_search", "SEARCH", "views"],
    ["page_counts", "per_page", "TIMESERIES", "page-counts"],
  ] as const) {
    it(`${id}: encrypted with the pipeline key, public endpoints with IAM auth, only the writer (${writer}) may write its index`, () => {
      const name = `\${local.name_prefix}-${id.replace("_", "-")}`;
      const enc = get("clicks", `aws_opensearchserverless_security_policy.${id}_encryption`);
      expect([enc.name, enc.type]).toEqual([name, "encryption"]);
      expect(jsonencoded(enc.policy)).toEqual({ Rules: [{ ResourceType: "collection", Resource: [`collection/${name}`] }], AWSOwnedKey: false, KmsARN: "${aws_kms_key.this.arn}" });
      const net = get("clicks", `aws_opensearchserverless_security_policy.${id}_network`);
      expect(jsonencoded(net.policy)).toEqual([
        expect.objectContaining({ AllowFromPublic: true, Rules: [{ ResourceType: "collection", Resource: [`collection/${name}`] }, { ResourceType: "dashboard", Resource: [`collection/${name}`] }] }),
      ]);
      const access = get("clicks", `aws_opensearchserverless_access_policy.${id}`);
      expect(access.type).toBe("data");
      expect(jsonencoded(access.policy)).toEqual([
        {
          Description: "Writer",
          Rules: [{ ResourceType: "index", Resource: [`index/${name}/${index}`], Permission: ["aoss:CreateIndex", "aoss:DescribeIndex", "aoss:UpdateIndex", "aoss:WriteDocument"] }],
          Principal: [`\${aws_iam_role.${writer}.arn}`],
        },
      ]);
      const coll = get("clicks", `aws_opensearchserverless_collection.${id}`);
      expect([coll.name, coll.type]).toEqual([name, type]);
      expect(coll.depends_on).toEqual([`\${aws_opensearchserverless_security_policy.${id}_encryption}`, `\${aws_opensearchserverless_security_policy.${id}_network}`]);
      const longest = `clicks-${"e".repeat(MAX_ENV_LENGTH)}-${id.replace("_", "-")}`;
      expect(longest.length).toBeLessThanOrEqual(OPENSEARCH_LIMITS.collectionName);
      const pascal = id === "view_search" ? "ViewSearch" : "PageCounts";
      expect(statements("clicks", writer).get(`WriteCollection${pascal}`)).toEqual({ Action: ["aoss:APIAccessAll"], Resource: [`\${aws_opensearchserverless_collection.${id}.arn}`] });
      expect(get("clicks", `aws_lambda_function.${writer}`).environment[0].variables[`PIPEGEN_OPENSEARCH_${id.toUpperCase()}`]).toBe(`\${aws_opensearchserverless_collection.${id}.collection_endpoint}`);
    });
  }

  it("the time-series collection is written without caller-chosen ids (OpenSearch Serverless rejects them there)", () => {
    expect(readFileSync(join(expected, "clicks/handlers/per_page.ts"), "utf8")).toContain('opensearchSink({"name":"page_counts","endpointEnv":"PIPEGEN_OPENSEARCH_PAGE_COUNTS","service":"aoss","index":"page-counts","documentIds":false})');
    expect(readFileSync(join(expected, "clicks/handlers/view_search.ts"), "utf8")).toContain('opensearchSink({"name":"view_search","endpointEnv":"PIPEGEN_OPENSEARCH_VIEW_SEARCH","service":"aoss","index":"views"})');
  });
});

describe("deploy policy of the opensearch modules", () => {
  const glob = (pattern: string, value: string): boolean =>
    new RegExp(`^${pattern.split("").map((c) => (c === "*" ? ".*" : c.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))).join("")}$`).test(value);
  const allows = (doc: PolicyDocument, action: string, arn: string): boolean => doc.Statement.some((s) => s.Action.includes(action) && s.Resource.some((r) => glob(r, arn)));
  const P = "${partition}";
  const A = "${account}";
  let policy: PolicyDocument;
  beforeAll(async () => {
    policy = deriveDeployPolicy(await scanGenerated(expected, "expected"));
  });

  it("covers the provider's domain calls on this pipeline's domains only, and its log groups", () => {
    const domain = `arn:${P}:es:us-east-1:${A}:domain/shop-dev-search`;
    for (const c of ["es:CreateDomain", "es:DescribeDomain", "es:DescribeDomainConfig", "es:ListTags", "es:AddTags", "es:UpdateDomainConfig", "es:DeleteDomain"]) expect(allows(policy, c, domain), c).toBe(true);
    expect(allows(policy, "es:DeleteDomain", `arn:${P}:es:us-east-1:${A}:domain/payments-dev-search`)).toBe(false);
    const group = `arn:${P}:logs:us-east-1:${A}:log-group:/aws/opensearch/shop-dev-search/audit`;
    for (const c of ["logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:AssociateKmsKey", "logs:DeleteLogGroup"]) expect(allows(policy, c, group), c).toBe(true);
    for (const c of ["logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DeleteResourcePolicy"]) expect(allows(policy, c, "*"), c).toBe(true);
    const keyGrant = policy.Statement.find((s) => s.Sid === "KmsPipelineKeys")!;
    expect(keyGrant.Action).toEqual(expect.arrayContaining(["kms:CreateGrant", "kms:DescribeKey"]));
  });

  it("covers the collection and policy calls, creating collections only with the pipeline tag", () => {
    const bySid = new Map(policy.Statement.map((s) => [s.Sid, s]));
    expect(bySid.get("OpenSearchServerlessCreateCollections")).toEqual({
      Sid: "OpenSearchServerlessCreateCollections",
      Effect: "Allow",
      Action: ["aoss:CreateCollection", "aoss:TagResource"],
      Resource: ["*"],
      Condition: { StringEquals: { "aws:RequestTag/pipegen:pipeline": ["clicks"] } },
    });
    expect(bySid.get("OpenSearchServerlessPolicies")!.Action).toEqual([
      "aoss:CreateAccessPolicy", "aoss:CreateSecurityPolicy", "aoss:DeleteAccessPolicy", "aoss:DeleteSecurityPolicy",
      "aoss:GetAccessPolicy", "aoss:GetSecurityPolicy", "aoss:UpdateAccessPolicy", "aoss:UpdateSecurityPolicy",
    ]);
    expect(bySid.get("OpenSearchServerlessPolicies")!.Condition).toEqual({ StringLikeIfExists: { "aoss:collection": ["clicks-*"] } });
    expect(bySid.get("OpenSearchServerlessCollections")!.Condition).toEqual({ StringEqualsIfExists: { "aws:ResourceTag/pipegen:pipeline": ["clicks"] } });
  });

  it("the plan role can refresh domains and collections but change nothing", async () => {
    const read = policyActions(deriveReadPolicy(await scanGenerated(expected, "expected")));
    expect(read).toEqual(expect.arrayContaining(["aoss:BatchGetCollection", "aoss:GetAccessPolicy", "aoss:GetSecurityPolicy", "aoss:ListTagsForResource", "es:DescribeDomain", "es:DescribeDomainConfig", "es:ListTags", "logs:DescribeResourcePolicies"]));
    for (const w of ["es:CreateDomain", "es:DeleteDomain", "aoss:CreateCollection", "aoss:DeleteCollection", "logs:PutResourcePolicy"]) expect(read).not.toContain(w);
  });
});

describe("opensearch checks", () => {
  const temps: string[] = [];
  afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

  async function validate(yaml: string): Promise<Array<{ code: string; pointer: string; message: string; hint?: string }>> {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-opensearch-"));
    temps.push(cwd);
    mkdirSync(join(cwd, "pipelines"));
    writeFileSync(join(cwd, "pipelines/p.yaml"), yaml);
    let out = "";
    const code = await main(["validate", "--reporter", "json", "pipelines/p.yaml"], { cwd, out: (s) => (out += s), err: (s) => (out += s) });
    expect(code).toBe(1);
    return JSON.parse(out.slice(out.indexOf("["), out.lastIndexOf("]") + 1));
  }
  const head = "pipeline: shop\nrecord: { order_id: string, store: string, paid: boolean }\nsources:\n  orders: { type: kinesis }\nsinks:\n";

  it("keys of the other mode are reported where they stand (PG2008), with the mode to switch to", async () => {
    const d = await validate(`${head}  a: { type: opensearch, inputs: [orders], index: a, mode: serverless, instance_count: 2, volume_gb: 20 }\n  b: { type: opensearch, inputs: [orders], index: b, collection_type: search }\n`);
    expect(d.map((x) => [x.code, x.pointer])).toEqual([
      ["PG2008", "/sinks/a/instance_count"],
      ["PG2008", "/sinks/a/volume_gb"],
      ["PG2008", "/sinks/b/collection_type"],
    ]);
    expect(d[0]!.hint).toBe("remove `instance_count`, or set `mode: domain`");
  });

  it("zone awareness needs an even node count or a multiple of 3 (PG2006)", async () => {
    const d = await validate(`${head}  a: { type: opensearch, inputs: [orders], index: a, instance_count: 5 }\n  b: { type: opensearch, inputs: [orders], index: b, instance_count: 9 }\n`);
    expect(d.map((x) => [x.code, x.pointer])).toEqual([["PG2006", "/sinks/a/instance_count"]]);
    expect(d[0]!.hint).toBe("use 4 or 6");
  });

  it("id_field: a boolean is refused (PG3007), and so is any id on a time-series collection (PG2008)", async () => {
    const d = await validate(`${head}  a: { type: opensearch, inputs: [orders], index: a, id_field: paid }\n  b: { type: opensearch, inputs: [orders], mode: serverless, collection_type: timeseries, index: b, id_field: order_id }\n`);
    expect(d.map((x) => [x.code, x.pointer])).toEqual([
      ["PG3007", "/sinks/a/id_field"],
      ["PG2008", "/sinks/b/id_field"],
    ]);
  });

  it("a domain name that can pass 28 characters suggests serverless when a collection name would fit (PG3009)", async () => {
    const d = await validate(`${head}  orders_search: { type: opensearch, inputs: [orders], index: orders }\n`);
    expect(d.map((x) => [x.code, x.pointer])).toEqual([["PG3009", "/sinks/orders_search"]]);
    expect(d[0]!.message).toContain("can reach 29 characters (`shop-<environment>-orders-search`");
    expect(d[0]!.hint).toBe("shorten the sink id or the pipeline name by at least 1 characters, or use `mode: serverless` (collection names allow 32)");
  });
});

describe("the bundled shop handler against a local bulk endpoint", () => {
  // The generated, bundled function (dist/search.zip) runs as Lambda would load it; its endpoint
  // variable points at a real HTTP server on 127.0.0.1 playing the domain's _bulk API.
  let server: Server;
  const requests: Array<{ url: string; auth: string; body: string }> = [];
  const saved = { ...process.env };
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        requests.push({ url: req.url!, auth: String(req.headers.authorization), body });
        const actions = body.split("\n").filter((_, i) => i % 2 === 0 && _ !== "");
        // The domain's mapping refuses the second document of the batch.
        const items = actions.map((a, i) => ({ index: { _id: JSON.parse(a).index._id, status: i === 1 ? 400 : 201, ...(i === 1 ? { error: { type: "mapper_parsing_exception", reason: "bad" } } : {}) } }));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ took: 1, errors: true, items }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    Object.assign(process.env, {
      PIPEGEN_OPENSEARCH_SEARCH: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AWS_ACCESS_KEY_ID: "AKIDTEST",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_SESSION_TOKEN: "token",
      AWS_REGION: "us-east-1",
    });
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("indexes paid orders by order id in one signed bulk request; the refused one is the batch item failure", async () => {
    const handler = await loadBundledHandler<(e: unknown) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>>(join(expected, "shop/dist/search.zip"));
    const orders = [
      { order_id: "o1", store: "berlin", amount: 12.5, paid: true, created_at: "2026-11-25T10:00:00Z" },
      { order_id: "o2", store: "paris", amount: 3, paid: false, created_at: "2026-11-25T10:00:01Z" },
      { order_id: "o3", store: "paris", amount: 7, paid: true, created_at: "2026-11-25T10:00:02Z" },
      { order_id: "o4", store: "rome", amount: 9, paid: true, created_at: "2026-11-25T10:00:03Z" },
    ];
    const seqOf = (i: number) => `4959033827149025660855969253836157109592157598913658${String(i).padStart(4, "0")}`;
    const event = {
      Records: orders.map((o, i) => ({
        kinesis: { kinesisSchemaVersion: "1.0", partitionKey: o.store, sequenceNumber: seqOf(i), data: Buffer.from(JSON.stringify(o)).toString("base64"), approximateArrivalTimestamp: 1_764_064_800 },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `shardId-000000000000:${seqOf(i)}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: "arn:aws:iam::123456789012:role/test",
        awsRegion: "us-east-1",
        eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/shop-dev-orders",
      })),
    };
    const res = await handler(event);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe("/paid-orders/_bulk");
    expect(requests[0]!.auth).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/es\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
    const lines = requests[0]!.body.trimEnd().split("\n");
    expect(lines.filter((_, i) => i % 2 === 0).map((l) => JSON.parse(l))).toEqual([{ index: { _id: "o1" } }, { index: { _id: "o3" } }, { index: { _id: "o4" } }]);
    // o2 is filtered (unpaid); o3 is the document the endpoint refused.
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: seqOf(2) }]);
  });
});
