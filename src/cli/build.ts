import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { hasErrors, UsageError } from "../diagnostics/diagnostic.ts";
import { readSpec, toPosix } from "../compile/compile.ts";
import type { CompileJob } from "./compile-pool.ts";
import { compileAll } from "./compile-pool.ts";
import type { ResourcePlan } from "../plan/module.ts";
import type { RenderedFile } from "../emit/emit.ts";
import { resolveZips, zipRequests } from "../emit/emit.ts";
import type { ZipRequest } from "../emit/emit.ts";
import { forgetStamps, isUpToDate, saveStamps, writeStamp } from "./stamps.ts";
import { staleFiles, writeIfMissing, writeModule } from "./write.ts";
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
  /** Pipelines skipped because their inputs and output did not change since the last build. */
  unchanged: string[];
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
  const result: BuildResult = { diagnostics: [], sources: new Map(), modules: [], stale: [], written: [], stubs: [], unchanged: [] };
  const seenPipelines = new Map<string, string>();
  const outRoot = resolve(opts.cwd, opts.outDir);
  forgetStamps();
  const jobs: Array<CompileJob & { specPath: string }> = [];
  for (const file of files) {
    const read = readSpec(file, opts.cwd);
    result.diagnostics.push(...read.diagnostics);
    if (read.text === undefined) continue;
    result.sources.set(file, read.text);
    const specPath = toPosix(relative(opts.cwd, resolve(opts.cwd, file)));
    // Unchanged inputs and untouched output: skip every stage for this pipeline.
    const name = /^pipeline:\s*([a-z][a-z0-9-]*)\s*$/m.exec(read.text)?.[1];
    if (!opts.check && !opts.validateOnly && name && !seenPipelines.has(name) && isUpToDate(join(outRoot, name), specPath, read.text, opts.outDir, opts.cwd)) {
      seenPipelines.set(name, file);
      result.unchanged.push(name);
      continue;
    }
    jobs.push({ file, text: read.text, specPath });
  }
  const compiledSpecs = await compileAll(jobs, { cwd: opts.cwd, outDir: opts.outDir, validateOnly: opts.validateOnly === true });
  const compiled: Array<(typeof jobs)[number] & { plan: ResourcePlan; rendered: RenderedFile[]; userFiles: Record<string, string[]> }> = [];
  jobs.forEach((job, i) => {
    const c = compiledSpecs[i]!;
    result.diagnostics.push(...c.diagnostics);
    if (!c.plan) return;
    const prev = seenPipelines.get(c.plan.pipeline);
    if (prev) {
      result.diagnostics.push({ code: "PG3008", severity: "error", message: `pipeline name \`${c.plan.pipeline}\` is also used by ${prev}; both would write generated/${c.plan.pipeline}/`, file: job.file, pointer: "/pipeline", hint: "give each pipeline file its own `pipeline:` name" });
      return;
    }
    seenPipelines.set(c.plan.pipeline, job.file);
    compiled.push({ ...job, plan: c.plan, rendered: c.rendered!, userFiles: c.userFiles! });
  });
  if (hasErrors(result.diagnostics) || opts.validateOnly) return result;
  const pending: Array<{ c: (typeof compiled)[number]; dir: string; files: RenderedFile[]; zips: ZipRequest[]; userFiles: string[] }> = [];
  for (const c of compiled) {
    const dir = join(outRoot, c.plan.pipeline);
    const specDir = dirname(resolve(opts.cwd, c.file));
    // User code is an input of the bundle.
    const userFiles = (id: string) => c.userFiles[id] ?? [];
    for (const stub of c.plan.userStubs) {
      if (!opts.check && writeIfMissing(resolve(opts.cwd, stub.path), stub.content)) result.stubs.push(stub.path);
    }
    if (opts.check && c.plan.userStubs.length) {
      result.stale.push(...c.plan.userStubs.map((s) => `${s.path} (user code stub missing; run pipegen build)`));
      continue;
    }
    const zips = await zipRequests(c.plan, dir, userFiles, opts.cwd);
    // Copied files (a Glue script the module uploads) are read now, after stubs were written.
    const copies = c.plan.copies.map((cp) => ({ from: join(specDir, cp.from), to: cp.to }));
    const copied = copies.map((cp) => ({ path: cp.to, data: readFileSync(cp.from) }));
    pending.push({ c, dir, files: [...c.rendered, ...copied], zips, userFiles: [...new Set([...Object.values(c.userFiles).flat(), ...copies.map((cp) => cp.from)])] });
  }
  let zips: Map<string, Buffer>;
  try {
    zips = await resolveZips(pending.flatMap((p) => p.zips), opts.cwd);
  } catch (e) {
    // esbuild reports problems in user code (syntax, unresolved imports) here.
    const errors = (e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number; length: number } }> }).errors;
    if (!errors) throw e;
    for (const err of errors) {
      const loc = err.location;
      const userFile = loc && !loc.file.startsWith("pipegen-handler:") ? loc.file.replace(/^pipegen-user:/, "") : undefined;
      result.diagnostics.push({
        code: "PG5002",
        severity: "error",
        message: `bundling the handlers failed: ${err.text}`,
        file: userFile ?? pending[0]?.c.file ?? "",
        pointer: "",
        ...(userFile && loc ? { span: { line: loc.line, col: loc.column + 1, length: Math.max(1, loc.length) } } : {}),
        hint: "fix the user code of the function transform named in the message",
      });
    }
    return result;
  }
  for (const p of pending) {
    const files = [...p.files, ...p.zips.map((z) => ({ path: z.path, data: zips.get(z.key)! }))].sort((a, b) => (a.path < b.path ? -1 : 1));
    result.modules.push({ pipeline: p.c.plan.pipeline, dir: p.dir, files });
    const rel = `${opts.outDir.replace(/\/$/, "")}/${p.c.plan.pipeline}`;
    if (opts.check) {
      const s = staleFiles(p.dir, files);
      result.stale.push(...s.changed.map((f) => `${rel}/${f} (differs)`), ...s.missing.map((f) => `${rel}/${f} (missing)`), ...s.extra.map((f) => `${rel}/${f} (not generated)`));
    } else {
      const w = writeModule(p.dir, files);
      result.written.push(...w.written.map((f) => `${rel}/${f}`), ...w.removed.map((f) => `${rel}/${f} (removed)`));
      writeStamp(p.dir, p.c.specPath, p.c.text, opts.outDir, opts.cwd, p.userFiles, files.map((f) => f.path), w.stats);
    }
  }
  if (!opts.check) saveStamps();
  return result;
}
