/**
 * Self-tests of the security checker: the good fixture satisfies every rule, and for every
 * required rule at least one bad fixture makes exactly that rule fire, so every check is
 * proven able to fail.
 *
 * A bad fixture `fixtures/bad/<rule id>[--<variant>]/` is an overlay on `fixtures/good/`:
 * its files are added to the good module (a file with the same name replaces the good one),
 * and `override.tf` is merged the way Terraform merges override files.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkFiles, checkModule, formatViolations } from "./check-module.ts";
import { parseHclExpression, templateParts, unwrapInterpolation } from "./hcl-expr.ts";
import { loadModuleFromFiles, parseIgnores, readModuleFiles } from "./load-module.ts";
import { readPolicy } from "./policy.ts";
import { ALL_RULES, REQUIRED_RULE_IDS } from "./rules/index.ts";
import { isNamedSubResource } from "./rules/iam.ts";
import type { SourceFile } from "./types.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const GOOD = path.join(here, "fixtures", "good");
const BAD = path.join(here, "fixtures", "bad");
const VARIANTS = path.join(here, "fixtures", "good-variants");

const badDirs = readdirSync(BAD, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

const variantDirs = readdirSync(VARIANTS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

/** The good module with an overlay (a bad fixture, or an acceptable variant) applied. */
async function overlay(dir: string, root = BAD): Promise<SourceFile[]> {
  const good = await readModuleFiles(GOOD);
  const bad = await readModuleFiles(path.join(root, dir));
  const names = new Set(bad.map((f) => f.name));
  return [...good.filter((f) => !names.has(f.name)), ...bad];
}

/** Fixtures that silence a rule on purpose with a reasoned ignore, to isolate the rule under test. */
const EXPECTED_IGNORED: Record<string, string[]> = {
  "AVD-AWS-0092": ["AVD-AWS-0086", "AVD-AWS-0091"],
  "AVD-AWS-0345--s3-star": ["AVD-AWS-0057"],
  "AVD-AWS-0346": ["AVD-AWS-0057"],
};

describe("rule catalogue", () => {
  it("implements every required rule of SECURITY-RULES.md exactly once", () => {
    const ids = ALL_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of REQUIRED_RULE_IDS) expect(ids, `rule ${id} is not implemented`).toContain(id);
    expect(REQUIRED_RULE_IDS).toHaveLength(35 + 14);
  });

  it("has at least one bad fixture for every implemented rule", () => {
    const covered = new Set(badDirs.map((d) => d.split("--")[0]));
    for (const rule of ALL_RULES) expect(covered, `no fixtures/bad/${rule.id}`).toContain(rule.id);
    for (const d of badDirs) expect(ALL_RULES.map((r) => r.id), `fixtures/bad/${d} names no rule`).toContain(d.split("--")[0]);
  });
});

describe("good fixture", () => {
  it("has zero violations and every rule applies", async () => {
    const result = await checkModule(GOOD);
    expect(result.violations, formatViolations(result.violations)).toEqual([]);
    expect(result.ignored).toEqual([]);
    expect(result.applied).toEqual(ALL_RULES.map((r) => r.id).sort());
  });
});

describe("acceptable variants of the good fixture", () => {
  it.each(variantDirs)("%s has zero violations", async (dir) => {
    const result = await checkFiles(await overlay(dir, VARIANTS));
    expect(result.violations, formatViolations(result.violations)).toEqual([]);
  });
});

describe("bad fixtures", () => {
  it.each(badDirs)("%s fires exactly its rule", async (dir) => {
    const id = dir.split("--")[0]!;
    const result = await checkFiles(await overlay(dir));
    const fired = [...new Set(result.violations.map((v) => v.id))];
    expect(fired, formatViolations(result.violations)).toEqual([id]);
    expect(result.applied).toContain(id);
    expect(result.ignored.map((i) => i.id).sort()).toEqual((EXPECTED_IGNORED[dir] ?? []).sort());
  });
});

describe("ignore directives", () => {
  const withLoggingRemoved = async (comment: string): Promise<SourceFile[]> => {
    const files = await overlay("AVD-AWS-0089");
    return [
      ...files,
      { name: "ignore_override.tf", text: `${comment}\nresource "aws_s3_bucket" "lake" {\n  force_destroy = false\n}\n` },
    ];
  };

  it("a reasoned, unexpired ignore suppresses the violation and is reported", async () => {
    const result = await checkFiles(await withLoggingRemoved("#trivy:ignore:AVD-AWS-0089:exp:2999-12-31 access logs come from the org trail"));
    expect(result.violations).toEqual([]);
    expect(result.ignored).toEqual([{ id: "AVD-AWS-0089", resource: "aws_s3_bucket.lake", reason: "access logs come from the org trail" }]);
  });

  it("accepts the legacy tfsec id", async () => {
    const result = await checkFiles(await withLoggingRemoved("#tfsec:ignore:aws-s3-enable-bucket-logging access logs come from the org trail"));
    expect(result.violations).toEqual([]);
    expect(result.ignored.map((i) => i.id)).toEqual(["AVD-AWS-0089"]);
  });

  it("a reason-less ignore does not count and is itself a violation", async () => {
    const result = await checkFiles(await withLoggingRemoved("#trivy:ignore:AVD-AWS-0089"));
    expect(result.violations.map((v) => v.id).sort()).toEqual(["AVD-AWS-0089", "PIPE-000"]);
  });

  it("an ignore for another resource does not apply", async () => {
    const files = [
      ...(await overlay("AVD-AWS-0089")),
      { name: "ignore_override.tf", text: '#trivy:ignore:AVD-AWS-0089 wrong block\nresource "aws_s3_bucket" "logs" {\n  force_destroy = false\n}\n' },
    ];
    const result = await checkFiles(files);
    expect(result.violations.map((v) => v.id)).toEqual(["AVD-AWS-0089"]);
  });

  it("parses stacked directives, expiry and reasons", () => {
    const text = [
      "# trivy:ignore:AVD-AWS-0001 trivy:ignore:PIPE-006 public health check",
      "#trivy:ignore:AVD-AWS-0017:exp:2020-01-01 old",
      "resource \"aws_apigatewayv2_route\" \"health\" {",
      "}",
      "",
      "#trivy:ignore:AVD-AWS-0066 reason",
      "",
      "resource \"aws_lambda_function\" \"f\" {}",
    ].join("\n");
    const ds = parseIgnores([{ name: "a.tf", text }], new Date("2026-01-01"));
    expect(ds.map((d) => [d.id, d.address, d.reason, d.problem])).toEqual([
      ["AVD-AWS-0001", "aws_apigatewayv2_route.health", "public health check", undefined],
      ["PIPE-006", "aws_apigatewayv2_route.health", "public health check", undefined],
      ["AVD-AWS-0017", "aws_apigatewayv2_route.health", "old", "expired on 2020-01-01"],
      ["AVD-AWS-0066", undefined, "reason", undefined],
    ]);
  });
});

describe("HCL expression reader", () => {
  it("reads jsonencode object text into values, keeping references opaque", () => {
    const v = parseHclExpression(`{
      # comment
      Version = "2012-10-17"
      Statement = [
        { Effect = "Allow", "Action": ["s3:GetObject"], Resource = ["\${aws_s3_bucket.b.arn}/*", aws_s3_bucket.b.arn] },
        {
          Effect    = "Deny" // trailing comment
          Principal = { AWS = "*" }
          Condition = { Bool = { "aws:SecureTransport" = false }, NumericLessThan = { "s3:TlsVersion" = 1.2 } }
          Cond2     = var.x ? "a" : "b"
          List      = concat(["a"], ["b"])
          Esc       = "q\\"uote \$\${aws:username}"
        },
      ]
    }`);
    expect(v).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["s3:GetObject"], Resource: ["${aws_s3_bucket.b.arn}/*", "${aws_s3_bucket.b.arn}"] },
        {
          Effect: "Deny",
          Principal: { AWS: "*" },
          Condition: { Bool: { "aws:SecureTransport": false }, NumericLessThan: { "s3:TlsVersion": 1.2 } },
          Cond2: '${var.x ? "a" : "b"}',
          List: ["a", "b"],
          Esc: 'q"uote $${aws:username}',
        },
      ],
    });
  });

  it("keeps for-expressions and function calls opaque", () => {
    expect(parseHclExpression("[for s in var.x : s]")).toBe("${[for s in var.x : s]}");
    expect(parseHclExpression('merge(local.a, { b = "c" })')).toBe('${merge(local.a, { b = "c" })}');
  });

  it("splits templates and unwraps single interpolations", () => {
    expect(unwrapInterpolation('${jsonencode({ a = "${x}" })}')).toBe('jsonencode({ a = "${x}" })');
    expect(unwrapInterpolation("${a}-${b}")).toBeUndefined();
    expect(templateParts("arn:${p}:s3:::$${lit}/*").map((p) => p.kind)).toEqual(["literal", "interp", "literal"]);
  });
});

describe("policy reading", () => {
  it("reads JSON heredocs and data documents, and flags unreadable policies", async () => {
    const model = await loadModuleFromFiles([
      {
        name: "main.tf",
        text: `
resource "aws_iam_role_policy" "heredoc" {
  role   = "r"
  policy = <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"\${aws_s3_bucket.b.arn}/*"}]}
EOF
}
resource "aws_iam_role_policy" "templated" {
  role   = "r"
  policy = templatefile("\${path.module}/p.json", {})
}
resource "aws_s3_bucket" "b" {
  bucket = "b"
}
`,
      },
    ]);
    const heredoc = readPolicy(model, model.resources.aws_iam_role_policy!.heredoc!.body.policy, model.resources.aws_iam_role_policy!.heredoc!, "policy", "identity")!;
    expect(heredoc.problems).toEqual([]);
    expect(heredoc.statements[0]!.resources).toEqual(["${aws_s3_bucket.b.arn}/*"]);
    const templated = readPolicy(model, model.resources.aws_iam_role_policy!.templated!.body.policy, model.resources.aws_iam_role_policy!.templated!, "policy", "identity")!;
    expect(templated.problems[0]).toMatch(/not statically readable/);
  });

  it("accepts only named sub-resources as wildcard resources", async () => {
    const model = await loadModuleFromFiles([
      {
        name: "main.tf",
        text: `
resource "aws_s3_bucket" "b" {}
resource "aws_cloudwatch_log_group" "g" {}
resource "aws_dynamodb_table" "t" {}
resource "aws_kinesis_stream" "s" {}
resource "aws_sfn_state_machine" "m" {}
`,
      },
    ]);
    const ok = [
      "${aws_s3_bucket.b.arn}/*",
      "${aws_s3_bucket.b.arn}/raw/*",
      "arn:aws:s3:::my-bucket/*",
      "arn:${data.aws_partition.current.partition}:s3:::${var.bucket}/prefix/*",
      "${aws_cloudwatch_log_group.g.arn}:*",
      "${aws_cloudwatch_log_group.g.arn}:log-stream:*",
      "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fn:*",
      "${aws_dynamodb_table.t.arn}/index/*",
      "${aws_kinesis_stream.s.arn}/consumer/*",
      "arn:aws:states:eu-west-1:123456789012:execution:${aws_sfn_state_machine.m.name}:*",
      '${replace(aws_sfn_state_machine.m.arn, ":stateMachine:", ":execution:")}:*',
    ];
    const bad = [
      "*",
      "${aws_s3_bucket.b.arn}*",
      "arn:aws:s3:::*/*",
      "arn:aws:s3:::*",
      "${aws_s3_bucket.missing.arn}/*",
      "${aws_dynamodb_table.t.arn}/*",
      "arn:aws:logs:eu-west-1:123456789012:log-group:*",
      "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/*:*",
      "arn:aws:dynamodb:eu-west-1:123456789012:table/*",
      "${aws_kinesis_stream.s.arn}/*",
      "arn:aws:states:eu-west-1:123456789012:execution:*",
    ];
    for (const r of ok) expect(isNamedSubResource(model, r), r).toBe(true);
    for (const r of bad) expect(isNamedSubResource(model, r), r).toBe(false);
  });
});
