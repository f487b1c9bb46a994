/**
 * Compiling a pipeline for the local loop: the same compile as `pipegen build`, then the module's
 * files and function zips exactly as build would write them (committed zips are reused when their
 * input hash matches, otherwise bundled in memory), without writing anything.
 */
import { dirname, join, relative, resolve } from "node:path";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { hasErrors } from "../diagnostics/diagnostic.ts";
import { compile, readSpec, toPosix } from "../compile/compile.ts";
import type { RenderedFile } from "../emit/emit.ts";
import { renderModule, resolveZips, zipRequests } from "../emit/emit.ts";
import type { PipelineModel } from "../model/types.ts";
import type { PipelineGraph } from "../graph/graph.ts";
import type { PlanContext } from "../plan/context.ts";
import type { FunctionUnit } from "../plan/functions.ts";
import { planFunctionUnits } from "../plan/functions.ts";
import type { ResourcePlan } from "../plan/module.ts";
import { userCodePath } from "../kinds/transforms/function/kind.ts";

/** A compiled pipeline with everything the local loop runs. */
export interface CompiledPipeline {
  file: string;
  text: string;
  model: PipelineModel;
  graph: PipelineGraph;
  plan: ResourcePlan;
  ctx: PlanContext;
  units: FunctionUnit[];
  /** Absolute folder the module lives in (`<out>/<pipeline>`). */
  moduleDir: string;
  /** Absolute folder of generated handler sources: user-code imports resolve from here. */
  handlersDir: string;
  /** Every module file as build would write it, zips included. */
  files: RenderedFile[];
  /** Function id → the bytes of its dist zip. */
  zips: Map<string, Buffer>;
  /** Absolute paths of the user code files a function imports. */
  userFiles(unitId: string): string[];
  /** Absolute path of a function transform's user code. */
  userCodeFile(componentId: string): string;
}

/** The outcome of compiling one file: diagnostics (with the source for rendering) and, when clean, the pipeline. */
export interface CompileOutcome {
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  compiled?: CompiledPipeline;
}

/** Compiles and bundles one pipeline file; nothing is written. */
export async function compileForLocal(file: string, cwd: string, outDir = "generated"): Promise<CompileOutcome> {
  const sources = new Map<string, string>();
  const read = readSpec(file, cwd);
  if (read.text === undefined) return { diagnostics: read.diagnostics, sources };
  sources.set(file, read.text);
  const c = compile(file, read.text, { cwd, outDir });
  if (hasErrors(c.diagnostics) || !c.plan || !c.model || !c.graph) return { diagnostics: c.diagnostics, sources };
  const model = c.model;
  const graph = c.graph;
  const specDir = dirname(resolve(cwd, file));
  const moduleDir = join(resolve(cwd, outDir), model.name);
  const handlersDir = join(moduleDir, "handlers");
  // The same import paths compile() gave the generated handlers.
  const ctx: PlanContext = {
    model,
    graph,
    userCodeImport(id) {
      const abs = join(specDir, userCodePath(model.name, id, model.byId.get(id)!.config.code));
      const rel = toPosix(relative(handlersDir, abs));
      return rel.startsWith(".") ? rel : `./${rel}`;
    },
  };
  if (c.plan.userStubs.length) {
    return {
      sources,
      diagnostics: [
        ...c.diagnostics,
        ...c.plan.userStubs.map((s): Diagnostic => ({ code: "PG4001", severity: "error", message: `user code \`${s.path}\` of a function transform does not exist yet, so there is nothing to run`, file, pointer: "", hint: "run `pipegen build` once: it writes a typed stub there for you to edit" })),
      ],
    };
  }
  const units = planFunctionUnits(ctx);
  const userCodeFile = (id: string) => join(specDir, userCodePath(model.name, id, model.byId.get(id)?.config.code));
  const userFiles = (id: string) => {
    const u = units.find((x) => x.id === id);
    return u ? [...u.steps, ...u.after].filter((s) => s.type === "function").map((s) => userCodeFile(s.id)) : [];
  };
  const requests = await zipRequests(c.plan, moduleDir, userFiles, cwd);
  let byKey: Map<string, Buffer>;
  try {
    byKey = await resolveZips(requests, cwd);
  } catch (e) {
    const d = bundleDiagnostics(e, file, model.name);
    if (!d) throw e;
    return { sources, diagnostics: [...c.diagnostics, ...d] };
  }
  const zips = new Map<string, Buffer>();
  const files: RenderedFile[] = renderModule(c.plan);
  for (const r of requests) {
    const data = byKey.get(r.key)!;
    zips.set(r.path.replace(/^dist\//, "").replace(/\.zip$/, ""), data);
    files.push({ path: r.path, data });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { diagnostics: c.diagnostics, sources, compiled: { file, text: read.text, model, graph, plan: c.plan, ctx, units, moduleDir, handlersDir, files, zips, userFiles, userCodeFile } };
}

/** esbuild errors (syntax errors, unresolved imports in user code) as PG5002 diagnostics; undefined for other errors. */
export function bundleDiagnostics(e: unknown, file: string, pipeline: string): Diagnostic[] | undefined {
  const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number; length: number } | null }> }).errors;
  if (!Array.isArray(errors)) return undefined;
  return errors.map((err): Diagnostic => {
    const loc = err.location && !err.location.file.startsWith("pipegen-handler:") ? err.location : undefined;
    return {
      code: "PG5002",
      severity: "error",
      message: `bundling the handlers of \`${pipeline}\` failed: ${err.text}`,
      file: loc ? loc.file.replace(/^pipegen-user:/, "") : file,
      pointer: "",
      ...(loc ? { span: { line: loc.line, col: loc.column + 1, length: Math.max(1, loc.length) } } : {}),
      hint: "fix the user code of the function transform named in the message",
    };
  });
}
