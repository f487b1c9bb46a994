/** The deploy role's IAM policy, derived from what generated/ manages. */
export type { ManagedModule, PolicyDocument, PolicyStatement } from "./derive.ts";
export { DeployPolicyError, MANAGED_POLICY_LIMIT, deriveDeployPolicy, deriveReadPolicy, policyActions, policySize, scanGenerated, splitPolicy } from "./derive.ts";
export { policyDiff } from "./diff.ts";
export type { ArnContext, Conditions, Grant, ResourceActions } from "./resource-actions.ts";
export { PLACEHOLDERS, RESOURCE_ACTIONS, UNSCOPED_ACTIONS, isReadAction } from "./resource-actions.ts";
