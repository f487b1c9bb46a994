/** PIPE-000: inline ignores carry a reason and a well-formed expiry date. */
import type { Rule } from "../types.ts";
import { violation } from "./util.ts";

export const ignoreRules: Rule[] = [
  {
    id: "PIPE-000",
    title: "Every #trivy:ignore has a reason and a well-formed expiry (the generator must never emit reason-less ignores)",
    resourceTypes: [],
    check: (model) =>
      model.ignores
        .filter((d) => d.problem !== undefined && !d.problem.startsWith("expired"))
        .map((d) =>
          violation(
            "PIPE-000",
            d.address ?? `${d.file}:${d.line}`,
            d.problem === "no reason"
              ? `${d.file}:${d.line} "${d.raw}" has no reason; the generator must never emit reason-less ignores`
              : `${d.file}:${d.line} "${d.raw}": ${d.problem}; use :exp:YYYY-MM-DD`,
          ),
        ),
  },
];
