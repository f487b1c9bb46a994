/** S3 rules: SECURITY-RULES.md rows 1–11, PIPE-011 and PIPE-014. */
import { asString, attr, blocks, expand, get, isSet, isTrue, show } from "../expr.ts";
import { literalSkeleton } from "../hcl-expr.ts";
import { resourcesOf } from "../load-module.ts";
import { actionMatches, isPublic, readPolicy, docProblems, type PolicyDoc } from "../policy.ts";
import type { Block, Model, Rule, Violation } from "../types.ts";
import { bucketAttachments, violation } from "./util.ts";

const BUCKET = ["aws_s3_bucket"];

const buckets = (model: Model): Block[] => resourcesOf(model, "aws_s3_bucket");

const accessBlocks = (model: Model, bucket: Block): Block[] =>
  bucketAttachments(model, "aws_s3_bucket_public_access_block", bucket);

/** Bucket policies of a bucket: aws_s3_bucket_policy resources and the legacy inline `policy`. */
export function bucketPolicies(model: Model, bucket: Block): PolicyDoc[] {
  const docs: PolicyDoc[] = [];
  for (const p of bucketAttachments(model, "aws_s3_bucket_policy", bucket)) {
    const d = readPolicy(model, p.body.policy, p, "policy", "resource");
    if (d) docs.push(d);
  }
  const inline = readPolicy(model, bucket.body.policy, bucket, "policy", "resource");
  if (inline) docs.push(inline);
  return docs;
}

const LOG_DELIVERY_URI = "http://acs.amazonaws.com/groups/s3/LogDelivery";
const PUBLIC_URIS = ["http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"];
const PUBLIC_ACLS = ["public-read", "public-read-write", "website", "authenticated-read"];

/** Canned ACLs and grantee URIs applied to a bucket (legacy inline and aws_s3_bucket_acl). */
function aclsOf(model: Model, bucket: Block): { block: Block; acl?: string; uris: string[] }[] {
  const out: { block: Block; acl?: string; uris: string[] }[] = [];
  const inlineAcl = asString(attr(model, bucket, "acl"));
  const inlineUris = blocks(bucket.body, "grant").map((g) => asString(expand(model, g.uri)) ?? "");
  if (inlineAcl || inlineUris.length) out.push({ block: bucket, acl: inlineAcl, uris: inlineUris });
  for (const a of bucketAttachments(model, "aws_s3_bucket_acl", bucket)) {
    const uris = blocks(a.body, "access_control_policy")
      .flatMap((p) => blocks(p, "grant"))
      .flatMap((g) => blocks(g, "grantee"))
      .map((g) => asString(expand(model, g.uri)) ?? "");
    out.push({ block: a, acl: asString(attr(model, a, "acl")), uris });
  }
  return out;
}

/**
 * True when the bucket receives S3 server access logs: ACL log-delivery-write, a LogDelivery
 * grant, or a bucket policy allowing logging.s3.amazonaws.com to s3:PutObject.
 */
export function grantsLogDelivery(model: Model, bucket: Block): boolean {
  if (aclsOf(model, bucket).some((a) => a.acl === "log-delivery-write" || a.uris.includes(LOG_DELIVERY_URI))) return true;
  return bucketPolicies(model, bucket).some((d) =>
    d.statements.some(
      (s) =>
        s.effect === "Allow" &&
        s.principals.some((p) => p.type === "Service" && p.ids.includes("logging.s3.amazonaws.com")) &&
        s.actions.some((a) => actionMatches(a, "s3:PutObject")),
    ),
  );
}

function accessBlockFlag(id: string, flag: string, title: string, aliases: string[]): Rule {
  return {
    id,
    title,
    aliases,
    resourceTypes: BUCKET,
    check(model) {
      const out: Violation[] = [];
      for (const bucket of buckets(model)) {
        // A missing access block is reported once, by AVD-AWS-0094.
        for (const pab of accessBlocks(model, bucket)) {
          const v = attr(model, pab, flag);
          if (!isTrue(v)) out.push(violation(id, pab, `${flag} must be true for ${bucket.address} (is ${show(v)})`));
        }
      }
      return out;
    },
  };
}

const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

/** SSE default rules of a bucket: from aws_s3_bucket_server_side_encryption_configuration or the legacy inline block. */
function sseRules(model: Model, bucket: Block): { block: Block; algorithm: unknown; key: unknown }[] {
  const out: { block: Block; algorithm: unknown; key: unknown }[] = [];
  const holders: { block: Block; body: unknown }[] = [
    ...bucketAttachments(model, "aws_s3_bucket_server_side_encryption_configuration", bucket).map((b) => ({ block: b, body: b.body })),
    ...blocks(bucket.body, "server_side_encryption_configuration").map((body) => ({ block: bucket, body })),
  ];
  for (const h of holders) {
    for (const rule of blocks(h.body, "rule")) {
      for (const def of blocks(rule, "apply_server_side_encryption_by_default")) {
        out.push({ block: h.block, algorithm: expand(model, def.sse_algorithm), key: expand(model, def.kms_master_key_id) });
      }
    }
  }
  return out;
}

function versioningEnabled(model: Model, bucket: Block): boolean {
  if (isTrue(attr(model, bucket, "object_lock_enabled"))) return true;
  if (bucketAttachments(model, "aws_s3_bucket_object_lock_configuration", bucket).length > 0) return true;
  if (blocks(bucket.body, "versioning").some((v) => isTrue(get(model, v, "enabled")))) return true;
  return bucketAttachments(model, "aws_s3_bucket_versioning", bucket).some(
    (v) => get(model, v.body, "versioning_configuration", "status") === "Enabled",
  );
}

function loggingConfigured(model: Model, bucket: Block): boolean {
  if (blocks(bucket.body, "logging").some((l) => isSet(get(model, l, "target_bucket")))) return true;
  return bucketAttachments(model, "aws_s3_bucket_logging", bucket).some((l) => isSet(attr(model, l, "target_bucket")));
}

/** True when the statement is a TLS-only deny: Deny s3:* to * on aws:SecureTransport=false or s3:TlsVersion < 1.2. */
function isTlsDeny(st: PolicyDoc["statements"][number]): boolean {
  if (st.effect !== "Deny" || !isPublic(st)) return false;
  if (!st.actions.some((a) => a === "s3:*" || a === "*")) return false;
  const insecure = st.conditions.some(
    (c) => c.test === "Bool" && c.variable === "aws:SecureTransport" && c.values.map((x) => x.toLowerCase()).includes("false"),
  );
  const oldTls = st.conditions.some(
    (c) => c.test === "NumericLessThan" && c.variable === "s3:TlsVersion" && c.values.some((x) => Number(x) >= 1.2),
  );
  if (!insecure && !oldTls) return false;
  // The deny must cover the bucket itself and its objects.
  const objects = st.resources.some((r) => r === "*" || /\/\*$/.test(r));
  const bucketLevel = st.resources.some((r) => r === "*" || !/\/\*$/.test(r));
  return objects && bucketLevel;
}

export const s3Rules: Rule[] = [
  accessBlockFlag("AVD-AWS-0086", "block_public_acls", "S3 access block blocks public ACLs", ["aws-s3-block-public-acls"]),
  accessBlockFlag("AVD-AWS-0087", "block_public_policy", "S3 access block blocks public policies", ["aws-s3-block-public-policy"]),
  accessBlockFlag("AVD-AWS-0091", "ignore_public_acls", "S3 access block ignores public ACLs", ["aws-s3-ignore-public-acls"]),
  accessBlockFlag("AVD-AWS-0093", "restrict_public_buckets", "S3 access block restricts public buckets", ["aws-s3-no-public-buckets"]),
  {
    id: "AVD-AWS-0094",
    title: "Every S3 bucket has a public access block",
    aliases: ["aws-s3-specify-public-access-block"],
    resourceTypes: BUCKET,
    check: (model) =>
      buckets(model)
        .filter((b) => accessBlocks(model, b).length === 0)
        .map((b) => violation("AVD-AWS-0094", b, "no aws_s3_bucket_public_access_block refers to this bucket")),
  },
  {
    id: "AVD-AWS-0092",
    title: "No public canned ACL unless public ACLs are blocked or ignored",
    aliases: ["aws-s3-no-public-access-with-acl"],
    resourceTypes: ["aws_s3_bucket", "aws_s3_bucket_acl"],
    check(model) {
      const out: Violation[] = [];
      for (const bucket of buckets(model)) {
        const neutralised = accessBlocks(model, bucket).some(
          (p) => isTrue(attr(model, p, "block_public_acls")) || isTrue(attr(model, p, "ignore_public_acls")),
        );
        if (neutralised) continue;
        for (const a of aclsOf(model, bucket)) {
          if (a.acl && PUBLIC_ACLS.includes(a.acl)) {
            out.push(violation("AVD-AWS-0092", a.block, `public canned ACL "${a.acl}" on ${bucket.address} and public ACLs are neither blocked nor ignored`));
          }
          for (const uri of a.uris.filter((u) => PUBLIC_URIS.includes(u))) {
            out.push(violation("AVD-AWS-0092", a.block, `ACL grant to ${uri} on ${bucket.address} and public ACLs are neither blocked nor ignored`));
          }
        }
      }
      return out;
    },
  },
  {
    id: "AVD-AWS-0088",
    title: "S3 bucket has an explicit server-side encryption configuration",
    aliases: ["aws-s3-enable-bucket-encryption"],
    resourceTypes: BUCKET,
    check(model) {
      const out: Violation[] = [];
      for (const bucket of buckets(model)) {
        const rules = sseRules(model, bucket);
        if (rules.length === 0) {
          out.push(violation("AVD-AWS-0088", bucket, "no server-side encryption configuration refers to this bucket"));
        }
        for (const r of rules) {
          if (!SSE_ALGORITHMS.includes(String(r.algorithm))) {
            out.push(violation("AVD-AWS-0088", r.block, `sse_algorithm ${show(r.algorithm)} for ${bucket.address} is not one of ${SSE_ALGORITHMS.join(", ")}`));
          }
        }
      }
      return out;
    },
  },
  {
    id: "AVD-AWS-0132",
    title: "S3 bucket encrypted with a customer managed key (log buckets exempt)",
    aliases: ["aws-s3-encryption-customer-key"],
    resourceTypes: BUCKET,
    check(model) {
      const out: Violation[] = [];
      for (const bucket of buckets(model)) {
        if (grantsLogDelivery(model, bucket)) continue;
        // A missing configuration is reported once, by AVD-AWS-0088.
        for (const r of sseRules(model, bucket)) {
          if (!isSet(r.key)) {
            out.push(violation("AVD-AWS-0132", r.block, `kms_master_key_id is not set for ${bucket.address} (sse_algorithm ${show(r.algorithm)}); use a customer managed key`));
          }
        }
      }
      return out;
    },
  },
  {
    id: "AVD-AWS-0090",
    title: "S3 bucket versioning enabled",
    aliases: ["aws-s3-enable-versioning"],
    resourceTypes: BUCKET,
    check: (model) =>
      buckets(model)
        .filter((b) => !versioningEnabled(model, b))
        .map((b) => violation("AVD-AWS-0090", b, 'no aws_s3_bucket_versioning with status "Enabled" (or object lock) for this bucket')),
  },
  {
    id: "AVD-AWS-0089",
    title: "S3 server access logging enabled (log-target buckets exempt)",
    aliases: ["aws-s3-enable-bucket-logging", "aws-s3-enable-logging"],
    resourceTypes: BUCKET,
    check: (model) =>
      buckets(model)
        .filter((b) => !loggingConfigured(model, b) && !grantsLogDelivery(model, b))
        .map((b) => violation("AVD-AWS-0089", b, "no aws_s3_bucket_logging with a target_bucket refers to this bucket, and it is not a log-delivery bucket")),
  },
  {
    id: "AVD-AWS-0320",
    title: "S3 bucket name is DNS compliant (no dots)",
    aliases: ["aws-s3-dns-compliant-name"],
    resourceTypes: BUCKET,
    check(model) {
      const out: Violation[] = [];
      for (const bucket of buckets(model)) {
        for (const k of ["bucket", "bucket_prefix"]) {
          const v = attr(model, bucket, k);
          if (typeof v === "string" && literalSkeleton(v, "x").includes(".")) {
            out.push(violation("AVD-AWS-0320", bucket, `${k} ${show(v)} contains "."`));
          }
        }
      }
      return out;
    },
  },
  {
    id: "PIPE-011",
    title: "Bucket policy denies requests without TLS",
    resourceTypes: BUCKET,
    check(model) {
      const out: Violation[] = [];
      for (const bucket of buckets(model)) {
        const docs = bucketPolicies(model, bucket);
        const ok = docs.some((d) => d.statements.some(isTlsDeny));
        if (ok) continue;
        const problems = docs.flatMap(docProblems);
        out.push(
          violation(
            "PIPE-011",
            bucket,
            docs.length === 0
              ? "no bucket policy; it needs a Deny of s3:* to \"*\" on the bucket and its objects when aws:SecureTransport is \"false\""
              : `the bucket policy has no Deny of s3:* to "*" on the bucket and its objects when aws:SecureTransport is "false"${problems.length ? ` (unreadable: ${problems.join("; ")})` : ""}`,
          ),
        );
      }
      return out;
    },
  },
  {
    id: "PIPE-014",
    title: "S3 object ownership BucketOwnerEnforced (ACLs disabled)",
    resourceTypes: BUCKET,
    check(model) {
      const out: Violation[] = [];
      for (const bucket of buckets(model)) {
        const controls = bucketAttachments(model, "aws_s3_bucket_ownership_controls", bucket);
        const values = controls.map((c) => get(model, c.body, "rule", "object_ownership"));
        if (!values.includes("BucketOwnerEnforced")) {
          out.push(
            violation(
              "PIPE-014",
              controls[0] ?? bucket,
              controls.length === 0
                ? "no aws_s3_bucket_ownership_controls refers to this bucket"
                : `object_ownership is ${values.map((v) => show(v)).join(", ")} for ${bucket.address}, not "BucketOwnerEnforced"`,
            ),
          );
        }
      }
      return out;
    },
  },
];
