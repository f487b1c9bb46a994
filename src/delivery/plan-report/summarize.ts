import type { AttributePath, PlanResourceChange, TerraformPlan } from "./plan-json.ts";
import { isStateful } from "./stateful.ts";

/** What happens to one resource. `forget` (a `removed` block) leaves the real object alone. */
export type ChangeAction = "create" | "update" | "replace" | "delete" | "forget";

export interface ChangedResource {
  address: string;
  type: string;
  action: ChangeAction;
  /** For a replace: true when the new object is created before the old one is deleted. */
  createBeforeDestroy: boolean;
  /** For a replace: the attributes forcing it, e.g. `hash_key`, `attribute[0].name`. */
  replacePaths: string[];
  /** Terraform's reason in words, when it gave one (tainted, removed from configuration, ...). */
  reason?: string;
  /** True for a deposed object (an earlier create_before_destroy leftover). */
  deposed: boolean;
  stateful: boolean;
}

export interface Counts {
  add: number;
  change: number;
  replace: number;
  destroy: number;
}

export interface TypeCounts {
  type: string;
  counts: Counts;
}

export interface PlanSummary {
  terraformVersion?: string;
  errored: boolean;
  counts: Counts;
  /** Resource types with at least one counted change, sorted by type. */
  byType: TypeCounts[];
  /** Every changed resource (no-op and read excluded), sorted by address. */
  changes: ChangedResource[];
  /** Stateful resources that would be destroyed or replaced: the guard's business. */
  dataLoss: ChangedResource[];
}

const REASONS: Readonly<Record<string, string>> = {
  replace_because_tainted: "tainted",
  replace_by_request: "requested with -replace",
  replace_by_triggers: "replace_triggered_by",
  delete_because_no_resource_config: "removed from the configuration",
  delete_because_no_module: "its module was removed",
  delete_because_wrong_repetition: "count/for_each changed",
  delete_because_count_index: "its count index is gone",
  delete_because_each_key: "its for_each key is gone",
  delete_because_no_move_target: "its moved target does not exist",
};

/** Terraform's action list → one action; undefined for no-op and read (not a change). */
export function classifyActions(actions: readonly string[]): { action: ChangeAction; createBeforeDestroy: boolean } | undefined {
  const key = actions.join(",");
  switch (key) {
    case "create":
      return { action: "create", createBeforeDestroy: false };
    case "update":
      return { action: "update", createBeforeDestroy: false };
    case "delete,create":
      return { action: "replace", createBeforeDestroy: false };
    case "create,delete":
      return { action: "replace", createBeforeDestroy: true };
    case "delete":
      return { action: "delete", createBeforeDestroy: false };
    case "forget":
      return { action: "forget", createBeforeDestroy: false };
    default:
      return undefined; // no-op, read
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** ["attribute", 0, "name"] → `attribute[0].name`; non-identifier map keys are quoted. */
export function formatAttributePath(path: AttributePath): string {
  return path
    .map((step, i) => {
      if (typeof step === "number") return `[${step}]`;
      if (IDENTIFIER.test(step)) return i === 0 ? step : `.${step}`;
      return `[${JSON.stringify(step)}]`;
    })
    .join("");
}

const COUNTED: Readonly<Record<ChangeAction, keyof Counts | undefined>> = {
  create: "add",
  update: "change",
  replace: "replace",
  delete: "destroy",
  forget: undefined,
};

const zero = (): Counts => ({ add: 0, change: 0, replace: 0, destroy: 0 });

function toChanged(rc: PlanResourceChange): ChangedResource | undefined {
  if (rc.mode === "data") return undefined;
  const classified = classifyActions(rc.change.actions);
  if (!classified) return undefined;
  // "cannot update" is what replace_paths already says, attribute by attribute.
  const why = rc.action_reason === "replace_because_cannot_update" ? undefined : rc.action_reason;
  const reason = why === undefined ? undefined : (REASONS[why] ?? why);
  const replacePaths = classified.action === "replace" ? (rc.change.replace_paths ?? []).map(formatAttributePath) : [];
  return {
    address: rc.address,
    type: rc.type,
    ...classified,
    replacePaths: [...new Set(replacePaths)].sort(),
    ...(reason !== undefined ? { reason } : {}),
    deposed: rc.deposed !== undefined,
    stateful: isStateful(rc.type),
  };
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Summarize a JSON plan: counts, counts per resource type, every change, and stateful data loss. */
export function summarize(plan: TerraformPlan): PlanSummary {
  const changes = (plan.resource_changes ?? [])
    .map(toChanged)
    .filter((c): c is ChangedResource => c !== undefined)
    .sort((a, b) => byCodePoint(a.address, b.address) || Number(a.deposed) - Number(b.deposed));
  const counts = zero();
  const perType = new Map<string, Counts>();
  for (const c of changes) {
    const key = COUNTED[c.action];
    if (!key) continue;
    counts[key]++;
    const row = perType.get(c.type) ?? zero();
    row[key]++;
    perType.set(c.type, row);
  }
  return {
    ...(plan.terraform_version !== undefined ? { terraformVersion: plan.terraform_version } : {}),
    errored: plan.errored === true,
    counts,
    byType: [...perType.entries()].sort(([a], [b]) => byCodePoint(a, b)).map(([type, c]) => ({ type, counts: c })),
    changes,
    dataLoss: changes.filter((c) => c.stateful && (c.action === "replace" || c.action === "delete")),
  };
}
