/**
 * The part of Terraform's JSON plan representation (`terraform show -json <planfile>`) the plan
 * report reads. Format documented at https://developer.hashicorp.com/terraform/internals/json-format
 * (format_version 1.x; minor versions only add fields).
 */

/** One attribute path as Terraform prints it in `replace_paths`: names and list indexes / map keys. */
export type AttributePath = (string | number)[];

export interface PlanResourceChange {
  address: string;
  module_address?: string;
  mode: "managed" | "data";
  type: string;
  name: string;
  /** Set when the change is about a deposed object (a leftover of create_before_destroy). */
  deposed?: string;
  /** Why Terraform chose this action, e.g. `replace_because_cannot_update`. */
  action_reason?: string;
  change: {
    /** e.g. ["create"], ["update"], ["delete","create"], ["create","delete"], ["delete"], ["no-op"], ["read"], ["forget"]. */
    actions: string[];
    /** Attributes that force the replacement. */
    replace_paths?: AttributePath[];
  };
}

export interface TerraformPlan {
  format_version: string;
  terraform_version?: string;
  /** True when planning failed part-way (the plan is incomplete). */
  errored?: boolean;
  resource_changes?: PlanResourceChange[];
}

/** Thrown for input that is not a JSON plan; the message says what to run instead. */
export class PlanJsonError extends Error {
  override readonly name = "PlanJsonError";
}

const HOW = "pass the JSON of a saved plan: `terraform plan -out=tfplan && terraform show -json tfplan > plan.json`";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parse and shape-check `terraform show -json` output of a saved plan. */
export function parsePlanJson(text: string): TerraformPlan {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PlanJsonError(`not JSON (${(e as Error).message}); ${HOW}`);
  }
  if (!isObject(doc) || typeof doc.format_version !== "string") {
    throw new PlanJsonError(`not a Terraform JSON plan (no format_version); ${HOW}`);
  }
  if (!doc.format_version.startsWith("1.")) {
    throw new PlanJsonError(`unsupported plan format_version ${doc.format_version} (expected 1.x)`);
  }
  if (!("planned_values" in doc) && !("resource_changes" in doc)) {
    throw new PlanJsonError(`this is Terraform state, not a plan (no planned_values or resource_changes); ${HOW}`);
  }
  const changes = doc.resource_changes ?? [];
  if (!Array.isArray(changes)) throw new PlanJsonError("resource_changes is not a list");
  changes.forEach((rc: unknown, i) => {
    const ok =
      isObject(rc) &&
      typeof rc.address === "string" &&
      typeof rc.type === "string" &&
      isObject(rc.change) &&
      Array.isArray(rc.change.actions) &&
      rc.change.actions.every((a) => typeof a === "string");
    if (!ok) throw new PlanJsonError(`resource_changes[${i}] lacks address, type or change.actions`);
  });
  return doc as unknown as TerraformPlan;
}
