import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { hasErrors, sortDiagnostics } from "../diagnostics/diagnostic.ts";
import type { SourceDoc } from "../load/source-doc.ts";
import { loadSource, locate, locateInside } from "../load/source-doc.ts";
import { validateSchema } from "../validate/validate.ts";
import { checkSemantics } from "../validate/semantics.ts";
import { normalize } from "../normalize/normalize.ts";
import type { PipelineModel } from "../model/types.ts";
import type { PipelineGraph } from "../graph/graph.ts";
import { buildGraph } from "../graph/graph.ts";
import type { ResourcePlan } from "../plan/module.ts";
import { planModule } from "../plan/module.ts";
import type { PlanContext } from "../plan/context.ts";
import type { Report } from "../kinds/kind.ts";
import { userCodePath } from "../kinds/transforms/function/kind.ts";
import { userStub } from "../plan/user-stub.ts";
import { kindOf } from "../kinds/index.ts";

/** Where a compile reads from and writes to, all relative to `cwd` so output never holds absolute paths. */
export interface CompileOptions {
  cwd: string;
  outDir: string;
}

export interface Analysis {
  doc?: SourceDoc;
  model?: PipelineModel;
  graph?: PipelineGraph;
  diagnostics: Diagnostic[];
}

/** Stages load → validate → normalize → graph, stopping at the first stage with errors but reporting all of that stage's errors. */
export function analyze(file: string, text: string): Analysis {
  const loaded = loadSource(file, text);
  if (!loaded.doc) return { diagnostics: sortDiagnostics(loaded.diagnostics) };
  const doc = loaded.doc;
  const schemaDiags = validateSchema(doc);
  if (hasErrors(schemaDiags)) return { doc, diagnostics: sortDiagnostics(schemaDiags) };
  const model = normalize(doc.value as Record<string, unknown>, file);
  const graphDiags: Diagnostic[] = [];
  const reportAt = (c: { pointer: string }): Report => (rel, code, message, hint, at) => {
    const pointer = c.pointer + rel;
    const span = at ? locateInside(doc, pointer, at.offset, at.length) : locate(doc, pointer, rel === "" ? "key" : "value");
    graphDiags.push({ code, severity: "error", message, file, pointer, ...(span ? { span } : {}), ...(hint ? { hint } : {}) });
  };
  // The graph is built once and shared with the semantic checks (tests: need its record types).
  // Its own errors are only reported when those checks pass, since a duplicate or reserved id can
  // make them misleading; for the same reason a graph that throws on such a spec is not fatal.
  let graph: PipelineGraph | undefined;
  let thrown: unknown;
  try {
    graph = buildGraph(model, reportAt);
  } catch (e) {
    thrown = e ?? new Error("graph stage failed");
  }
  const diags: Diagnostic[] = [...schemaDiags, ...checkSemantics(doc, graph && !hasErrors(graphDiags) ? { model, graph } : undefined)];
  if (hasErrors(diags)) return { doc, model, diagnostics: sortDiagnostics(diags) };
  if (thrown !== undefined) throw thrown;
  diags.push(...graphDiags);
  return { doc, model, ...(graph ? { graph } : {}), diagnostics: sortDiagnostics(diags) };
}

/** Runs every stage up to the plan; the plan is absent when any error was found. */
export function compile(file: string, text: string, opts: CompileOptions): Analysis & { plan?: ResourcePlan } {
  const a = analyze(file, text);
  if (hasErrors(a.diagnostics) || !a.model || !a.graph) return a;
  const specPath = toPosix(relative(opts.cwd, resolve(opts.cwd, file)));
  const specDir = dirname(resolve(opts.cwd, file));
  const handlersDir = join(resolve(opts.cwd, opts.outDir), a.model.name, "handlers");
  const model = a.model;
  const ctx: PlanContext = {
    model,
    graph: a.graph,
    userCodeImport(id) {
      const abs = join(specDir, userCodePath(model.name, id, model.byId.get(id)!.config.code));
      const rel = toPosix(relative(handlersDir, abs));
      return rel.startsWith(".") ? rel : `./${rel}`;
    },
  };
  const plan = planModule(ctx, specPath);
  const diags = [...a.diagnostics, ...duplicateAddresses(plan, a)];
  for (const c of model.components.filter((x) => x.type === "function")) {
    const rel = userCodePath(model.name, c.id, c.config.code);
    const abs = join(specDir, rel);
    if (!existsSync(abs)) {
      plan.userStubs.push({ path: toPosix(relative(opts.cwd, abs)), content: userStub(c, a.graph, specPath) });
    }
  }
  for (const c of model.components) {
    for (const f of kindOf(c).userFiles?.(c, ctx, specPath) ?? []) {
      const abs = join(specDir, f.path);
      if (!existsSync(abs)) plan.userStubs.push({ path: toPosix(relative(opts.cwd, abs)), content: f.content });
    }
  }
  if (hasErrors(diags)) return { ...a, diagnostics: sortDiagnostics(diags) };
  return { ...a, diagnostics: sortDiagnostics(diags), plan };
}

/** Two components whose generated resources would share a Terraform address. */
function duplicateAddresses(plan: ResourcePlan, a: Analysis): Diagnostic[] {
  const seen = new Map<string, string>();
  const out: Diagnostic[] = [];
  for (const { type, name, file } of plan.resources) {
    const addr = `${type}.${name}`;
    const prev = seen.get(addr);
    if (prev === undefined) {
      seen.set(addr, file);
      continue;
    }
    const id = file.replace(/\.tf$/, "");
    const c = a.model!.byId.get(id);
    const pointer = c?.pointer ?? "";
    const span = a.doc ? locate(a.doc, pointer, "key") : undefined;
    out.push({
      code: "PG3008",
      severity: "error",
      message: `component ids \`${prev.replace(/\.tf$/, "")}\` and \`${id}\` both generate \`${addr}\``,
      file: a.model!.file,
      pointer,
      ...(span ? { span } : {}),
      hint: "rename one of the components",
    });
  }
  return out;
}

/** Reads a spec file for compile, as a diagnostic when unreadable. */
export function readSpec(file: string, cwd: string): { text?: string; diagnostics: Diagnostic[] } {
  try {
    return { text: readFileSync(resolve(cwd, file), "utf8"), diagnostics: [] };
  } catch (e) {
    return {
      diagnostics: [{ code: "PG1003", severity: "error", message: `cannot read pipeline file: ${(e as Error).message.split(",")[0]}`, file, pointer: "", hint: "check the path; `pipegen init <name>` creates a starter file" }],
    };
  }
}

export function toPosix(p: string): string {
  return p.split(sep).join("/");
}
