/**
 * The generated module, pointed at an AWS emulator without changing a generated file: it is written
 * to a working folder and two Terraform override files are added beside it.
 *
 *  - `pipegen_local_override.tf`: the provider's endpoints all go to the emulator, with dummy
 *    credentials and path-style S3, and the S3 backend becomes a local one. Override files merge
 *    argument by argument, so the module's own `default_tags` stay.
 *  - `pipegen_local_quirks_override.tf`: moto evaluates bucket-policy Conditions without any
 *    request context, so every conditional statement denies (the TLS-only Deny blocks the TLS-less
 *    emulator, the conditional log-delivery Allow blocks log writes). In this copy only, each
 *    bucket policy is rewritten by Terraform itself from the generated expression: Deny statements
 *    with a Condition are dropped and Allow statements lose theirs. The deployed policy is the
 *    generated one; the difference is printed when the module is applied.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { RenderedFile } from "../emit/emit.ts";

/** Every AWS service a generated module talks to. */
export const EMULATED_SERVICES = ["apigatewayv2", "athena", "cloudwatch", "dynamodb", "events", "firehose", "glue", "iam", "kinesis", "kms", "lambda", "logs", "opensearch", "opensearchserverless", "s3", "scheduler", "sfn", "sns", "sqs", "sts", "xray"] as const;

/** The emulator quirk worked around, printed when it applies. */
export const BUCKET_POLICY_QUIRK =
  "emulator only: bucket-policy statements with a Condition are dropped (Deny) or lose it (Allow), because moto evaluates Conditions without request context and would deny every request";

function hclString(s: string): string {
  return JSON.stringify(s).replaceAll("${", "$${").replaceAll("%{", "%%{");
}

/** The provider/backend override pointing every service at `endpoint`. */
export function providerOverride(endpoint: string, region: string): string {
  const width = Math.max(...EMULATED_SERVICES.map((s) => s.length));
  return [
    "# Written by `pipegen run --local` into its working copy of the module: every AWS call goes to the emulator.",
    "terraform {",
    '  backend "local" {}',
    "}",
    "",
    'provider "aws" {',
    `  region                      = ${hclString(region)}`,
    '  access_key                  = "testing"',
    '  secret_key                  = "testing"',
    "  token                       = null",
    "  profile                     = null",
    "  allowed_account_ids         = null",
    "  s3_use_path_style           = true",
    "  skip_credentials_validation = true",
    "  skip_metadata_api_check     = true",
    "  skip_requesting_account_id  = false",
    "",
    "  endpoints {",
    ...EMULATED_SERVICES.map((s) => `    ${s.padEnd(width)} = ${hclString(endpoint)}`),
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Index just after the `)` closing the `(` at `open`, skipping string literals. */
function closeParen(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '"') {
      for (i++; i < src.length && src[i] !== '"'; i++) if (src[i] === "\\") i++;
      continue;
    }
    if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i + 1;
  }
  throw new Error("unbalanced parentheses in a bucket policy");
}

/** Override blocks relaxing every `aws_s3_bucket_policy` of the module; returns the text and the resources touched. */
export function bucketPolicyQuirk(files: readonly RenderedFile[]): { text: string; touched: string[] } {
  const blocks: string[] = [];
  const touched: string[] = [];
  for (const f of files.filter((x) => x.path.endsWith(".tf") && !x.path.includes("/"))) {
    const src = f.data.toString("utf8");
    for (const m of src.matchAll(/^resource "aws_s3_bucket_policy" "(\w+)" \{$/gm)) {
      const body = src.slice(m.index);
      const at = body.search(/^\s+policy\s*=\s*jsonencode\(/m);
      if (at < 0) throw new Error(`aws_s3_bucket_policy.${m[1]}: expected policy = jsonencode(...)`);
      const start = body.indexOf("jsonencode(", at);
      const expr = body.slice(start, closeParen(body, start + "jsonencode".length));
      const doc = `jsondecode(${expr})`;
      blocks.push(
        `resource "aws_s3_bucket_policy" "${m[1]}" {`,
        `  policy = jsonencode(merge(${doc}, {`,
        `    Statement = [for s in ${doc}.Statement : { for k, v in s : k => v if k != "Condition" } if !(s.Effect == "Deny" && can(s.Condition))]`,
        "  }))",
        "}",
        "",
      );
      touched.push(`aws_s3_bucket_policy.${m[1]}`);
    }
  }
  return { text: ["# Written by `pipegen run --local`: " + BUCKET_POLICY_QUIRK + ".", "", ...blocks].join("\n"), touched };
}

/** Writes the module and its override files into `dir`; returns the bucket policies the quirk touched. */
export function writeEmulatedModule(dir: string, files: readonly RenderedFile[], endpoint: string, region: string): string[] {
  for (const f of files) {
    const path = join(dir, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.data);
  }
  writeFileSync(join(dir, "pipegen_local_override.tf"), providerOverride(endpoint, region));
  const quirk = bucketPolicyQuirk(files);
  writeFileSync(join(dir, "pipegen_local_quirks_override.tf"), quirk.text);
  return quirk.touched;
}
