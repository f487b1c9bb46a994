/**
 * Shared types of pipegen's own Terraform security checker (test/security).
 *
 * The checker proves the rules marked "required" in SECURITY-RULES.md on every generated
 * module, because neither trivy nor tflint can run in this environment.
 */

/** Body of a Terraform block as returned by @cdktf/hcl2json (nested blocks are arrays). */
export type Body = Record<string, unknown>;

export interface SourceFile {
  /** File name relative to the module directory, e.g. "main.tf". */
  name: string;
  text: string;
}

export interface Block {
  kind: "resource" | "data";
  type: string;
  name: string;
  /** "aws_s3_bucket.lake" or "data.aws_iam_policy_document.kms". */
  address: string;
  body: Body;
  file: string;
}

/** One `#trivy:ignore:<ID>` (or `#tfsec:ignore:<ID>`) directive found in a comment. */
export interface IgnoreDirective {
  id: string;
  /** Address of the block the comment directly precedes, if any. */
  address?: string;
  reason: string;
  expires?: string;
  file: string;
  line: number;
  raw: string;
  /** Why the directive does not count ("no reason", "expired", "bad expiry date"); undefined if it counts. */
  problem?: string;
}

export interface Model {
  dir: string;
  files: SourceFile[];
  /** resources[type][name] */
  resources: Record<string, Record<string, Block>>;
  /** data[type][name] */
  data: Record<string, Record<string, Block>>;
  variables: Record<string, Body>;
  locals: Record<string, unknown>;
  outputs: Record<string, Body>;
  /** module calls: their contents are NOT analysed. */
  modules: Record<string, Body>;
  ignores: IgnoreDirective[];
}

export interface Violation {
  id: string;
  /** Terraform address ("aws_s3_bucket.lake"), or "file.tf:12" for file-level findings. */
  resource: string;
  message: string;
}

export interface Rule {
  /** "AVD-AWS-0086" or "PIPE-001". */
  id: string;
  title: string;
  /** tfsec/trivy long ids accepted in ignore comments besides `id`. */
  aliases?: string[];
  /**
   * The rule applies when any of these types is present ("data.<type>" for data sources).
   * An empty list means "always applies".
   */
  resourceTypes: string[];
  /** Overrides the resource-type test when applicability needs a closer look. */
  applies?(model: Model): boolean;
  check(model: Model): Violation[];
}

export interface IgnoredViolation {
  id: string;
  resource: string;
  reason: string;
}

export interface CheckResult {
  /** Ids of the rules that applied (their resource types were present), sorted. */
  applied: string[];
  violations: Violation[];
  ignored: IgnoredViolation[];
}
