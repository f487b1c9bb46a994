# tflint configuration for the generated pipeline modules (generated/<pipeline>/).
# CI (.github/workflows/pipelines-pr.yml) runs, per pipeline and environment:
#   tflint --init --config "$GITHUB_WORKSPACE/.tflint.hcl"
#   tflint --chdir generated/<p> --config "$GITHUB_WORKSPACE/.tflint.hcl" \
#     --var-file "$GITHUB_WORKSPACE/generated/<p>/environments/<env>.tfvars" --minimum-failure-severity=notice
# The var file matters: without it var.environment is unknown, the provider default_tags cannot
# be evaluated, and the tag rules below would see no provider tags at all.
# Rule choices follow shared/SECURITY-RULES.md section 3.

config {
  format = "compact"
}

# Terraform language rules (bundled with tflint): unused declarations, typed variables,
# required_version / required_providers, deprecated syntax.
plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

plugin "aws" {
  enabled = true
  version = "0.48.0"
  source  = "github.com/terraform-linters/tflint-ruleset-aws"
}

# Off by default, enabled here: the generator must emit separate aws_iam_role_policy resources,
# never `inline_policy` / `managed_policy_arns` on aws_iam_role (deprecated in AWS provider 5.68/5.72).
rule "aws_iam_role_deprecated_policy_attributes" {
  enabled = true
}

# Where the tags come from (see generated/temperature/main.tf and providers.tf):
#   pipegen:pipeline, pipegen:owner, pipegen:environment  -> provider default_tags (local.tags),
#                                                            so every taggable resource carries them;
#   pipegen:component                                     -> the `tags` of each component resource.
# The provider rule proves the first group; the resource rule (which merges default_tags into each
# resource's tags) proves all four on every taggable resource except Lambda event source mappings,
# which the generator does not tag per component (moto, used to test apply, does not keep their
# tags). They still get the provider tags, which the provider rule checks.
# test/delivery/workflows-tflint.test.ts checks this claim against every module in generated/.
rule "aws_provider_missing_default_tags" {
  enabled = true
  tags    = ["pipegen:environment", "pipegen:owner", "pipegen:pipeline"]
}

rule "aws_resource_missing_tags" {
  enabled = true
  tags    = ["pipegen:component", "pipegen:environment", "pipegen:owner", "pipegen:pipeline"]
  exclude = ["aws_lambda_event_source_mapping"]
}

# Off by default, enabled here: the generator builds every ARN from data.aws_partition
# (local.partition), so hard-coded `arn:aws:` partitions are a regression (GovCloud, China).
rule "aws_iam_policy_document_gov_friendly_arns" {
  enabled = true
}

rule "aws_iam_policy_gov_friendly_arns" {
  enabled = true
}

rule "aws_iam_role_policy_gov_friendly_arns" {
  enabled = true
}
