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
      if (prev) {
        const line = locate(doc, pointerOf([prev, id]), "key")?.line;
        at([cat, id], "PG3011", `component id \`${id}\` is already used in \`${prev}\`${line ? ` (line ${line})` : ""}; ids name the Terraform resources and files of a component and must be unique across sections`, "rename one of them, and update the `inputs` that refer to it");
      } else firstSection.set(id, cat);
      if (RESERVED_IDS.includes(id)) at([cat, id], "PG3008", `component id \`${id}\` is reserved: the module already has files or resources of that name (\`${id}.tf\`, \`aws_*.${id}\`)`, `choose another id; reserved: ${RESERVED_IDS.join(", ")}`);
      const hasFunction = cat !== "sources" || spec[cat][id]?.type === "generator";
      const len = maxPhysicalLength(String(spec.pipeline), id);
      if (hasFunction && len > LIMITS.lambdaFunction) {
        at([cat, id], "PG3009", `function and role names for \`${id}\` can reach ${len} characters (\`${spec.pipeline}-<environment>-${id.replace(/_/g, "-")}\`, environment up to 10), over the Lambda and IAM limit of ${LIMITS.lambdaFunction}; creating them would fail at apply time`, `shorten the component id or the pipeline name by at least ${len - LIMITS.lambdaFunction} characters`);
      }
    }
  }
  const kinesis = Object.entries(spec.sources ?? {}).filter(([, v]) => (v as any)?.type === "kinesis").map(([k]) => k);
  for (const [env, overlay] of Object.entries((spec.environments ?? {}) as Record<string, any>)) {
    for (const key of ["capacity", "retention_hours"]) {
      for (const id of Object.keys(overlay?.[key] ?? {})) {
        if (!kinesis.includes(id)) at(["environments", env, key, id], "PG3012", `\`${key}\` of environment \`${env}\` names \`${id}\`, which is not a kinesis source, so the setting would apply to nothing`, didYouMean(id, kinesis, "kinesis sources"));
      }
    }
  }
  return out;
}
