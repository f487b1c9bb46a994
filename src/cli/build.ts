import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { hasErrors, UsageError } from "../diagnostics/diagnostic.ts";
import { compile, readSpec } from "../compile/compile.ts";
import type { RenderedFile } from "../emit/emit.ts";
import { emitModule } from "../emit/emit.ts";
import { staleFiles, writeIfMissing, writeModule } from "./write.ts";
import { userCodePath } from "../kinds/transforms/function/kind.ts";
import { planFunctionUnits } from "../plan/functions.ts";
import { dirname } from "node:path";

export interface BuildOptions {
  cwd: string;
  outDir: string;
  check: boolean;
  /** Only validate: no plan output needed. */
  validateOnly?: boolean;
}

export interface BuildResult {
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  modules: Array<{ pipeline: string; dir: string; files: RenderedFile[] }>;
  stale: string[];
  written: string[];
  stubs: string[];
}

/** `pipelines/*.yaml` (and .yml) when no files are named. */
export function defaultSpecs(cwd: string): string[] {
  const dir = join(cwd, "pipelines");
  if (!existsSync(dir)) throw new UsageError("no pipeline files given and no pipelines/ folder here; run `pipegen init <name>` to create one");
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => `pipelines/${f}`);
  if (!files.length) throw new UsageError("pipelines/ has no .yaml files; run `pipegen init <name>` to create one");
  return files;
}

/** Validates every spec, then (unless any had errors) emits all modules and writes them — or, with check, compares. */
export async function build(files: string[], opts: BuildOptions): Promise<BuildResult> {
  const result: BuildResult = { diagnostics: [], sources: new Map(), modules: [], stale: [], written: [], stubs: [] };
  const compiled = [];
  const seenPipelines = new Map<string, string>();
  for (const file of files) {
    const read = readSpec(file, opts.cwd);
    result.diagnostics.push(...read.diagnostics);
    if (read.text === undefined) continue;
    result.sources.set(file, read.text);
    const c = compile(file, read.text, { cwd: opts.cwd, outDir: opts.outDir });
    result.diagnostics.push(...c.diagnostics);
    if (c.plan) {
      const prev = seenPipelines.get(c.plan.pipeline);
      if (prev) {
        result.diagnostics.push({ code: "PG3008", severity: "error", message: `pipeline name \`${c.plan.pipeline}\` is also used by ${prev}; both would write generated/${c.plan.pipeline}/`, file, pointer: "/pipeline", hint: "give each pipeline file its own `pipeline:` name" });
        continue;
      }
      seenPipelines.set(c.plan.pipeline, file);
      compiled.push({ file, ...c, plan: c.plan });
    }
  }
  if (hasErrors(result.diagnostics) || opts.validateOnly) return result;
  const outRoot = resolve(opts.cwd, opts.outDir);
  for (const c of compiled) {
    const dir = join(outRoot, c.plan.pipeline);
    const specDir = dirname(resolve(opts.cwd, c.file));
    const units = planFunctionUnits({ model: c.model!, graph: c.graph!, userCodeImport: () => "" });
    // User code is an input of the bundle: stubs are bundled from memory on first build.
    const userFiles = (id: string) => {
      const u = units.find((x) => x.id === id)!;
      return [...u.steps, ...u.after].filter((s) => s.type === "function").map((s) => join(specDir, userCodePath(c.model!.name, s.id, s.config.code)));
    };
    for (const stub of c.plan.userStubs) {
      if (!opts.check && writeIfMissing(resolve(opts.cwd, stub.path), stub.content)) result.stubs.push(stub.path);
    }
    if (opts.check && c.plan.userStubs.length) {
      result.stale.push(...c.plan.userStubs.map((s) => `${s.path} (user code stub missing; run pipegen build)`));
      continue;
    }
    try {
      const files = await emitModule(c.plan, dir, userFiles, opts.cwd);
      result.modules.push({ pipeline: c.plan.pipeline, dir, files });
    } catch (e) {
      // esbuild reports type-independent problems in user code (syntax, unresolved imports) here.
      const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number; length: number } }> }).errors;
      if (!errors) throw e;
      for (const err of errors) {
        const loc = err.location;
        result.diagnostics.push({
          code: "PG5002",
          severity: "error",
          message: `bundling the handlers of \`${c.plan.pipeline}\` failed: ${err.text}`,
          file: loc && !loc.file.startsWith("pipegen-handler:") ? loc.file.replace(/^pipegen-user:/, "") : c.file,
          pointer: "",
          ...(loc && !loc.file.startsWith("pipegen-handler:") ? { span: { line: loc.line, col: loc.column + 1, length: Math.max(1, loc.length) } } : {}),
          hint: "fix the user code of the function transform named in the message",
        });
      }
    }
  }
  if (hasErrors(result.diagnostics)) return { ...result, modules: [] };
  for (const m of result.modules) {
    const rel = `${opts.outDir.replace(/\/$/, "")}/${m.pipeline}`;
    if (opts.check) {
      const s = staleFiles(m.dir, m.files);
      result.stale.push(...s.changed.map((p) => `${rel}/${p} (differs)`), ...s.missing.map((p) => `${rel}/${p} (missing)`), ...s.extra.map((p) => `${rel}/${p} (not generated)`));
    } else {
      const w = writeModule(m.dir, m.files);
      result.written.push(...w.written.map((p) => `${rel}/${p}`), ...w.removed.map((p) => `${rel}/${p} (removed)`));
    }
  }
  return result;
}
