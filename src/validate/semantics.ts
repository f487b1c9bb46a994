import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { pointerOf } from "../diagnostics/diagnostic.ts";
import type { SourceDoc } from "../load/source-doc.ts";
import { locate } from "../load/source-doc.ts";
import { CATEGORIES } from "../model/types.ts";
import { LIMITS, maxPhysicalLength } from "../naming/names.ts";
import { didYouMean } from "../diagnostics/suggest.ts";

/** Ids that would collide with the module's own files or resources. */
export const RESERVED_IDS = ["access_logs", "alarms", "kms", "main", "outputs", "providers", "this", "variables", "versions"];

/** Checks that need the whole document but no graph: id reuse, reserved ids, name limits, environment references. */
export function checkSemantics(doc: SourceDoc): Diagnostic[] {
  const spec = doc.value as Record<string, any>;
  const out: Diagnostic[] = [];
  const at = (segments: Array<string | number>, code: Diagnostic["code"], message: string, hint: string, prefer: "key" | "value" = "key") => {
    const pointer = pointerOf(segments);
    const span = locate(doc, pointer, prefer);
    out.push({ code, severity: "error", message, file: doc.file, pointer, ...(span ? { span } : {}), hint });
  };
  const firstSection = new Map<string, string>();
  for (const cat of CATEGORIES) {
    for (const id of Object.keys(spec[cat] ?? {})) {
      const prev = firstSection.get(id);
      if (prev) at([cat, id], "PG3011", `component id \`${id}\` is used in both \`${prev}\` and \`${cat}\`; ids name Terraform resources and must be unique`, "rename one of them");
      else firstSection.set(id, cat);
      if (RESERVED_IDS.includes(id)) at([cat, id], "PG3008", `component id \`${id}\` is reserved for the module's own resources`, `choose another id; reserved: ${RESERVED_IDS.join(", ")}`);
      const hasFunction = cat !== "sources" || spec[cat][id]?.type === "generator";
      const len = maxPhysicalLength(String(spec.pipeline), id);
      if (hasFunction && len > LIMITS.lambdaFunction) {
        at([cat, id], "PG3009", `function and role names for \`${id}\` can reach ${len} characters (pipeline \`${spec.pipeline}\`, environment up to 10, id), over the Lambda/IAM limit of ${LIMITS.lambdaFunction}`, "shorten the component id or the pipeline name");
      }
    }
  }
  const kinesis = Object.entries(spec.sources ?? {}).filter(([, v]) => (v as any)?.type === "kinesis").map(([k]) => k);
  for (const [env, overlay] of Object.entries((spec.environments ?? {}) as Record<string, any>)) {
    for (const key of ["capacity", "retention_hours"]) {
      for (const id of Object.keys(overlay?.[key] ?? {})) {
        if (!kinesis.includes(id)) at(["environments", env, key, id], "PG3012", `\`${id}\` in environment \`${env}\` is not a kinesis source`, didYouMean(id, kinesis, "kinesis sources"));
      }
    }
  }
  return out;
}
