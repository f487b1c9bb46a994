#!/usr/bin/env node
// Build-time benchmark for `pipegen build`. Plain Node ESM, no dependencies.
//
//   node bench/bench.js [--runs N] [--only ID[,ID…]] [--json]
//
// Every measured build is a fresh `node bin/pipegen.js build …` process started with
// child_process.spawnSync; wall time is taken around the spawn, peak RSS and CPU time come from
// `/usr/bin/time -v` when it exists, else from process.resourceUsage() recorded at exit by a
// preloaded wrapper module. The report exits 0 even when targets are missed; it exits 1 only when a
// build itself fails (its stderr is printed).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, lstatSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH_DIR, "..");
const BIN = join(REPO, "bin", "pipegen.js");
const REFERENCE = join(REPO, "pipelines", "temperature.yaml");
const TIME = "/usr/bin/time";
const HAS_TIME = existsSync(TIME);
/** A single 1000-variant run longer than this caps that scenario (and its rebuild) at one run. */
const CAP_MS = 180_000;

// ---------------------------------------------------------------- options
function parseArgs(argv) {
  const o = { runs: 5, only: undefined, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs") o.runs = Number(argv[++i]);
    else if (a.startsWith("--runs=")) o.runs = Number(a.slice(7));
    else if (a === "--only") o.only = argv[++i];
    else if (a.startsWith("--only=")) o.only = a.slice(7);
    else if (a === "--json") o.json = true;
    else if (a === "-h" || a === "--help") o.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error("--runs needs a positive integer");
  return o;
}

// ---------------------------------------------------------------- scenarios
// id, label, target (ms or MB), and how to run one measurement.
const SCENARIOS = [
  { id: "node", label: "`node -e 0` (scale)", target: undefined },
  { id: "first", label: "0. first run after npm ci (also builds the CLI bundle dist/)", target: undefined },
  { id: "cold", label: "1. cold build, reference pipeline (empty out dir, no bundle cache: bundles all handlers)", targetMs: 1000 },
  { id: "cold-tsx-warm", label: "1b. reference pipeline into an empty out dir, bundle cache warm", targetMs: undefined },
  { id: "rebuild", label: "2. rebuild into previous output (bundles unchanged)", targetMs: 350 },
  { id: "v50", label: "3. 50 variants, one process, empty out dir, bundle cache warm", targetMs: 600, variants: 50 },
  { id: "v50-files", label: "3b. floor for 3: a plain Node script writes the same 1,300 files (no pipegen)", targetMs: undefined, variants: 50 },
  { id: "v100", label: "6. 100 variants, one process, empty out dir, bundle cache warm", targetMs: undefined, variants: 100 },
  { id: "v1000", label: "4. 1000 variants, one process, empty out dir, no bundle cache", targetMs: 30_000, variants: 1000, coldCache: true },
  { id: "v1000-rebuild", label: "5. 1000 variants, no-change rebuild", targetMs: 3000, variants: 1000 },
  { id: "deps", label: "production dependencies installed size", targetMB: 50 },
];
const HELP = `usage: node bench/bench.js [--runs N] [--only ID[,ID…]] [--json]

  --runs N     measured runs per scenario (default 5; the 1000-variant scenarios drop to 1
               when a single run takes over ${CAP_MS / 1000} s)
  --only IDs   comma-separated scenario ids: ${SCENARIOS.map((s) => s.id).join(", ")}
  --json       print the raw results as JSON instead of a Markdown table
`;

// ---------------------------------------------------------------- process measurement
let tmpRoot;
let warmTmp; // TMPDIR for builds that should find a warm tsx transform cache
const WRAPPER = () => join(tmpRoot, "stats-hook.mjs");
let CLK_TCK = 100;

/**
 * Preloaded (`--import`) into every measured build. At exit it records the process's own
 * resourceUsage() and, from /proc, the peak RSS (VmHWM) and CPU ticks of its still-running child
 * processes: esbuild's service process outlives node and is never reaped by it, so neither
 * /usr/bin/time nor resourceUsage() would ever count it.
 */
const WRAPPER_SOURCE = `import { readFileSync, readdirSync, writeFileSync } from "node:fs";
const out = process.env.PIPEGEN_BENCH_STATS;
if (out) process.on("exit", () => {
  const children = [];
  const pids = new Set();
  try {
    for (const t of readdirSync("/proc/self/task")) {
      try { for (const p of readFileSync("/proc/self/task/" + t + "/children", "utf8").split(/\\s+/)) if (p) pids.add(p); } catch {}
    }
  } catch {}
  for (const pid of pids) {
    try {
      const status = readFileSync("/proc/" + pid + "/status", "utf8");
      const stat = readFileSync("/proc/" + pid + "/stat", "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      children.push({ pid: Number(pid), name: (/Name:\\s+(\\S+)/.exec(status) || [])[1], hwmKB: Number((/VmHWM:\\s+(\\d+)/.exec(status) || [0, 0])[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {}
  }
  writeFileSync(out, JSON.stringify({ self: process.resourceUsage(), children }));
});
`;

/** Fails the whole benchmark (exit 1) with the child's output. */
class BuildFailed extends Error {}

/**
 * Runs `node <args>` once in `cwd`. Returns wall ms, the node process's peak RSS and CPU (from
 * /usr/bin/time -v, else its own resourceUsage()), and its child processes' (esbuild's) peak RSS
 * and CPU from /proc. Throws BuildFailed when the process exits non-zero.
 */
function measure(nodeArgs, { cwd = REPO, tmpdir = warmTmp, hook = true } = {}) {
  const env = { ...process.env, TMPDIR: tmpdir, NO_COLOR: "1" };
  delete env.NODE_OPTIONS;
  const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const timeFile = join(tmpRoot, `time-${id}.txt`);
  const hookFile = join(tmpRoot, `hook-${id}.json`);
  const nodePart = [process.execPath, ...(hook || !HAS_TIME ? ["--import", pathToFileURL(WRAPPER()).href] : []), ...nodeArgs];
  env.PIPEGEN_BENCH_STATS = hookFile;
  const [cmd, ...args] = HAS_TIME ? [TIME, "-v", "-o", timeFile, ...nodePart] : nodePart;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let rssKB, cpuMs, childRssKB, childCpuMs;
  let exit = r.status;
  if (existsSync(hookFile)) {
    const u = JSON.parse(readFileSync(hookFile, "utf8"));
    rmSync(hookFile, { force: true });
    rssKB = u.self.maxRSS;
    cpuMs = (u.self.userCPUTime + u.self.systemCPUTime) / 1000;
    if (u.children.length) {
      childRssKB = u.children.reduce((a, c) => a + c.hwmKB, 0);
      childCpuMs = (u.children.reduce((a, c) => a + c.ticks, 0) * 1000) / CLK_TCK;
    }
  }
  if (HAS_TIME && existsSync(timeFile)) {
    const s = readFileSync(timeFile, "utf8");
    rmSync(timeFile, { force: true });
    rssKB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(s)?.[1]);
    const user = Number(/User time \(seconds\): ([\d.]+)/.exec(s)?.[1]);
    const sys = Number(/System time \(seconds\): ([\d.]+)/.exec(s)?.[1]);
    cpuMs = (user + sys) * 1000;
    const st = /Exit status: (\d+)/.exec(s);
    if (st) exit = Number(st[1]);
    if (/Command terminated by signal/.test(s)) exit = exit || 128;
  }
  if (r.error || exit !== 0 || r.status !== 0) {
    const e = new BuildFailed(`\`node ${nodeArgs.join(" ")}\` (cwd ${cwd}) failed with ${r.error ? r.error.message : `exit ${r.status}${r.signal ? ` signal ${r.signal}` : ""}`}`);
    e.stdout = r.stdout;
    e.stderr = r.stderr;
    throw e;
  }
  return { ms, rssKB, cpuMs, childRssKB, childCpuMs, stdout: r.stdout, stderr: r.stderr };
}

const build = (args, opts) => measure([BIN, "build", ...args], opts);
const changedCount = (stdout) => Number(/(\d+) files? changed/.exec(stdout)?.[1] ?? NaN);

// ---------------------------------------------------------------- fixtures
let dirSeq = 0;
const freshDir = (name) => {
  const d = join(tmpRoot, `${name}-${++dirSeq}`);
  mkdirSync(d, { recursive: true });
  return d;
};

const variantProjects = new Map();
/** A temp project with pipelines/t0001.yaml … tNNNN.yaml derived from the reference pipeline. */
function variantProject(n) {
  if (variantProjects.has(n)) return variantProjects.get(n);
  const base = readFileSync(REFERENCE, "utf8");
  if (!/^pipeline: temperature$/m.test(base) || !/records_per_run: \d+/.test(base)) {
    throw new Error("pipelines/temperature.yaml no longer has `pipeline: temperature` / `records_per_run:`; update bench/bench.js variant generation");
  }
  const dir = freshDir(`project${n}`);
  mkdirSync(join(dir, "pipelines"));
  for (let i = 1; i <= n; i++) {
    const name = `t${String(i).padStart(4, "0")}`;
    const text = base
      .replace(/^# yaml-language-server:.*\n/m, "")
      .replace(/^pipeline: temperature$/m, `pipeline: ${name}`)
      .replace(/records_per_run: \d+/, `records_per_run: ${1 + ((i - 1) % 500)}`)
      .replace(/ttl_days: \d+/, `ttl_days: ${1 + (i % 365)}`);
    writeFileSync(join(dir, "pipelines", `${name}.yaml`), text);
  }
  variantProjects.set(n, dir);
  return dir;
}

// ---------------------------------------------------------------- statistics
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
function summarize(runs) {
  const ms = runs.map((r) => r.ms);
  const fin = (k) => runs.map((r) => r[k]).filter((x) => Number.isFinite(x));
  const rss = fin("rssKB");
  const childRss = fin("childRssKB");
  const cpu = runs.map((r) => (r.cpuMs ?? NaN) + (r.childCpuMs ?? 0)).filter((x) => Number.isFinite(x));
  const childCpu = fin("childCpuMs");
  return {
    runs: runs.length,
    medianMs: median(ms),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    medianCpuMs: cpu.length ? median(cpu) : undefined,
    medianChildCpuMs: childCpu.length ? median(childCpu) : undefined,
    peakRssKB: rss.length ? Math.max(...rss) : undefined,
    peakChildRssKB: childRss.length ? Math.max(...childRss) : undefined,
    samplesMs: ms.map((x) => Math.round(x)),
  };
}

// ---------------------------------------------------------------- scenario runners
function runNode(runs) {
  const rs = [];
  for (let i = 0; i < runs; i++) rs.push(measure(["-e", "0"], { hook: false }));
  return { ...summarize(rs) };
}

/** pipegen's on-disk caches (handler bundles, build stamps); "cold" runs start without them. */
const CACHE = join(REPO, "node_modules/.cache/pipegen");
function clearCaches() {
  discard(CACHE);
}

/**
 * Nothing the bench creates is deleted before the end of the bench: the output folders stay under
 * tmpRoot, and caches or dist/ that a scenario must start without are renamed aside (a rename frees
 * no inode). This VM's ext4 runs without a journal, and such an ext4 will not reuse an inode freed
 * in the last 60-300 s: creating a file then scans past every recently freed one. Deleting a run's
 * 1,300 files right before the next run made that run's file creation 10-30x slower (0.03 s became
 * 0.5-1.5 s of kernel time), so the disk rows measured the bench's own cleanup, not pipegen.
 */
const discarded = [];
function discard(path) {
  if (!existsSync(path)) return;
  const aside = `${path}.bench-discarded-${process.pid}-${discarded.length}`;
  renameSync(path, aside);
  discarded.push(aside);
}
function removeDiscarded() {
  for (const p of discarded.splice(0)) rmSync(p, { recursive: true, force: true });
}

function runFirst(runs) {
  const rs = [];
  for (let i = 0; i < runs; i++) {
    clearCaches();
    discard(join(REPO, "dist"));
    const out = freshDir("first-out");
    rs.push(build([REFERENCE, "--out", out]));
  }
  return summarize(rs);
}

function runCold(runs) {
  const rs = [];
  for (let i = 0; i < runs; i++) {
    clearCaches();
    const out = freshDir("cold-out");
    const tsxTmp = freshDir("cold-tmp"); // empty TMPDIR: tsx finds no transform cache
    rs.push(build([REFERENCE, "--out", out], { tmpdir: tsxTmp }));
  }
  return summarize(rs);
}

function runColdTsxWarm(runs) {
  const rs = [];
  for (let i = 0; i < runs; i++) {
    const out = freshDir("coldw-out");
    rs.push(build([REFERENCE, "--out", out]));
  }
  return summarize(rs);
}

function runRebuild(runs) {
  const out = freshDir("rebuild-out");
  build([REFERENCE, "--out", out]); // untimed: produce the previous output
  const rs = [];
  for (let i = 0; i < runs; i++) rs.push(build([REFERENCE, "--out", out]));
  const changed = rs.map((r) => changedCount(r.stdout));
  return { ...summarize(rs), note: changed.every((c) => c === 0) ? undefined : `rebuild reported changed files: ${changed.join(", ")}` };
}

/**
 * What creating the n-variant output costs on this file system without pipegen: a fresh node
 * process writes files of the same paths and sizes with mkdirSync + writeFileSync. Subtracting it
 * from the variants row leaves pipegen's own time.
 */
const FLOOR_SOURCE = `import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
const [manifest, out] = process.argv.slice(2);
const made = new Set();
for (const [rel, size] of JSON.parse(readFileSync(manifest, "utf8"))) {
  const full = join(out, rel);
  const dir = dirname(full);
  if (!made.has(dir)) { mkdirSync(dir, { recursive: true }); made.add(dir); }
  writeFileSync(full, Buffer.alloc(size, 97));
}
`;
function runFilesFloor(n, runs) {
  const project = variantProject(n);
  const sample = freshDir(`v${n}-sample`);
  build(["--out", sample], { cwd: project });
  const manifest = readdirSync(sample, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => [join(d.parentPath, d.name).slice(sample.length + 1), lstatSync(join(d.parentPath, d.name)).size]);
  const manifestPath = join(tmpRoot, `files-${n}.json`);
  const script = join(tmpRoot, "write-files.mjs");
  writeFileSync(manifestPath, JSON.stringify(manifest));
  writeFileSync(script, FLOOR_SOURCE);
  const rs = [];
  for (let i = 0; i < runs; i++) {
    const out = freshDir(`v${n}-files-out`);
    rs.push(measure([script, manifestPath, out], { hook: false }));
  }
  return { ...summarize(rs), note: `${manifest.length} files, ${(manifest.reduce((a, [, size]) => a + size, 0) / 1e6).toFixed(1)} MB` };
}

let v1000Out; // output of the last 1000-variant build, reused by the rebuild scenario

function runVariants(n, runs) {
  const project = variantProject(n);
  const rs = [];
  let note;
  if (n !== 1000) {
    // Untimed: the variants' handler bundles go into the cache, so the timed runs find it warm.
    const out = freshDir(`v${n}-warm`);
    build(["--out", out], { cwd: project });
  }
  for (let i = 0; i < runs; i++) {
    if (n === 1000) clearCaches();
    const out = freshDir(`v${n}-out`);
    const r = build(["--out", out], { cwd: project });
    rs.push(r);
    if (n === 1000) v1000Out = out;
    if (n === 1000 && r.ms > CAP_MS && runs > 1) {
      note = `capped at 1 run: the first run took ${(r.ms / 1000).toFixed(1)} s (> ${CAP_MS / 1000} s)`;
      break;
    }
  }
  return { ...summarize(rs), note };
}

function runV1000Rebuild(runs) {
  const project = variantProject(1000);
  let note;
  if (!v1000Out) {
    v1000Out = freshDir("v1000-out");
    build(["--out", v1000Out], { cwd: project }); // untimed: previous output
  }
  const rs = [];
  for (let i = 0; i < runs; i++) {
    const r = build(["--out", v1000Out], { cwd: project });
    rs.push(r);
    if (r.ms > CAP_MS && runs > 1) {
      note = `capped at 1 run: the first run took ${(r.ms / 1000).toFixed(1)} s (> ${CAP_MS / 1000} s)`;
      break;
    }
  }
  const changed = rs.map((r) => changedCount(r.stdout));
  if (!changed.every((c) => c === 0)) note = [note, `rebuild reported changed files: ${changed.join(", ")}`].filter(Boolean).join("; ");
  return { ...summarize(rs), note };
}

/** Sum of file sizes of every production package, each package counted once, nested node_modules excluded (they are packages of their own). */
function runDeps() {
  const r = spawnSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: REPO, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  const paths = [...new Set(r.stdout.split("\n").map((l) => l.trim()).filter(Boolean))].filter((p) => resolve(p) !== REPO && existsSync(p));
  const sizeOf = (dir) => {
    let total = 0;
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      if (ent.isDirectory() && ent.name === "node_modules") continue;
      const p = join(dir, ent.name);
      if (ent.isDirectory()) total += sizeOf(p);
      else if (ent.isFile()) total += lstatSync(p).size;
    }
    return total;
  };
  const pkgs = paths.map((p) => ({ name: p.slice(p.lastIndexOf("node_modules/") + 13) || p, bytes: sizeOf(p) }));
  const bytes = pkgs.reduce((a, p) => a + p.bytes, 0);
  // Group the largest contributors by scope/package for the report.
  const groups = new Map();
  for (const p of pkgs) {
    const key = p.name.startsWith("@aws-sdk/") || p.name.startsWith("@smithy/") || p.name.startsWith("@aws-crypto/") ? `${p.name.split("/")[0]}/* ` : p.name;
    groups.set(key, (groups.get(key) ?? 0) + p.bytes);
  }
  const top = [...groups].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name, b]) => ({ name: name.trim(), mb: +(b / 1e6).toFixed(2) }));
  return { packages: pkgs.length, mb: bytes / 1e6, top, npmExit: r.status };
}

// ---------------------------------------------------------------- report
const fmtS = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(3)} s`);
const fmtMB = (kb) => (kb === undefined ? "n/a" : `${(kb / 1024).toFixed(0)} MiB`);
const fmtRss = (r) => `${fmtMB(r.peakRssKB)}${r.peakChildRssKB === undefined ? "" : ` + ${fmtMB(r.peakChildRssKB)}`}`;
const fmtCpu = (r) => (r.medianCpuMs === undefined ? "n/a" : `${fmtS(r.medianCpuMs)}${r.medianChildCpuMs === undefined ? "" : ` (esbuild ${fmtS(r.medianChildCpuMs)})`}`);

function table(results) {
  const rows = [
    "| Scenario | Runs | Median wall | Min–max | CPU user+sys, median (of it esbuild) | Peak RSS node + esbuild (max of runs) | Target | Result |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
  ];
  const notes = [];
  for (const { s, r } of results) {
    if (s.id === "deps") {
      const pass = r.mb < s.targetMB;
      rows.push(`| ${s.label} | – | ${r.mb.toFixed(1)} MB | – | – | – | < ${s.targetMB} MB | ${pass ? "pass" : "**FAIL**"} |`);
      notes.push(`deps: ${r.packages} packages; largest: ${r.top.map((t) => `${t.name} ${t.mb} MB`).join(", ")}${r.npmExit ? ` (npm ls exited ${r.npmExit}; its parseable list was used anyway)` : ""}`);
      continue;
    }
    const target = s.targetMs === undefined ? "–" : `< ${fmtS(s.targetMs)}`;
    const result = s.targetMs === undefined ? "(info)" : r.medianMs < s.targetMs ? "pass" : "**FAIL**";
    const runs = `${r.runs}${r.note?.startsWith("capped") ? "*" : ""}`;
    rows.push(`| ${s.label} | ${runs} | ${fmtS(r.medianMs)} | ${fmtS(r.minMs)}–${fmtS(r.maxMs)} | ${fmtCpu(r)} | ${fmtRss(r)} | ${target} | ${result} |`);
    if (r.note) notes.push(`${s.id}: ${r.note}`);
  }
  return { rows, notes };
}

/** The type of the mounted file system holding path (longest matching mount point in /proc/mounts). */
function fileSystemOf(path) {
  try {
    let best = { dir: "", type: "unknown" };
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const [, dir, type] = line.split(" ");
      if (dir && (path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`)) && dir.length > best.dir.length) best = { dir, type };
    }
    return `${best.type} mounted at ${best.dir}`;
  } catch {
    return "file system unknown";
  }
}

function environment(loadBefore) {
  let head = "";
  try {
    head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO, encoding: "utf8" }).stdout.trim();
    const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: REPO, encoding: "utf8" }).stdout.split("\n").filter(Boolean).length;
    if (dirty) head += ` + ${dirty} modified file${dirty === 1 ? "" : "s"}`;
  } catch {}
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    commit: head,
    loadavgBefore: loadBefore.map((x) => +x.toFixed(2)),
    loadavgAfter: os.loadavg().map((x) => +x.toFixed(2)),
    outputs: `${tmpRoot} (${fileSystemOf(tmpRoot)})`,
    rssSource:
      (HAS_TIME
        ? "node process: /usr/bin/time -v \"Maximum resident set size\" and user+sys time"
        : "node process: process.resourceUsage() (maxRSS, user+sys) recorded at exit by a --import hook") +
      "; esbuild: VmHWM and utime+stime of node's live child processes read from /proc by a --import hook at node's exit (esbuild's service process outlives node and is never reaped by it, so /usr/bin/time alone misses it). The two peaks are added: an upper bound of the simultaneous peak",
  };
}

// ---------------------------------------------------------------- main
async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${e.message}\n\n${HELP}`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const wanted = o.only ? new Set(o.only.split(",").map((x) => x.trim())) : undefined;
  if (wanted) {
    const unknown = [...wanted].filter((id) => !SCENARIOS.some((s) => s.id === id));
    if (unknown.length) {
      process.stderr.write(`bench: unknown scenario ${unknown.join(", ")}\n\n${HELP}`);
      return 2;
    }
  }
  const selected = SCENARIOS.filter((s) => !wanted || wanted.has(s.id));
  const loadBefore = os.loadavg();

  tmpRoot = mkdtempSync(join(os.tmpdir(), "pipegen-bench-"));
  const cleanup = () => {
    removeDiscarded();
    rmSync(tmpRoot, { recursive: true, force: true });
  };
  const onSignal = (sig) => {
    cleanup();
    process.kill(process.pid, sig);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  warmTmp = freshDir("tmp-warm");
  writeFileSync(WRAPPER(), WRAPPER_SOURCE);
  const tck = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim());
  if (tck > 0) CLK_TCK = tck;

  const log = (s) => process.stderr.write(s);
  const results = [];
  try {
    if (selected.some((s) => s.id !== "node" && s.id !== "deps" && s.id !== "cold")) {
      log("warming up (tsx transform cache, page cache)… ");
      const out = freshDir("warmup-out");
      build([REFERENCE, "--out", out]);
      log("done\n");
    }
    for (const s of selected) {
      log(`${s.id}… `);
      const t0 = Date.now();
      let r;
      switch (s.id) {
        case "node": r = runNode(o.runs); break;
        case "first": r = runFirst(o.runs); break;
        case "cold": r = runCold(o.runs); break;
        case "cold-tsx-warm": r = runColdTsxWarm(o.runs); break;
        case "rebuild": r = runRebuild(o.runs); break;
        case "v50": case "v100": case "v1000": r = runVariants(s.variants, o.runs); break;
        case "v50-files": r = runFilesFloor(s.variants, o.runs); break;
        case "v1000-rebuild": r = runV1000Rebuild(o.runs); break;
        case "deps": r = runDeps(); break;
      }
      log(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      results.push({ s, r });
    }
  } catch (e) {
    cleanup();
    if (e instanceof BuildFailed) {
      process.stderr.write(`\nbench: ${e.message}\n--- stdout (tail) ---\n${(e.stdout ?? "").split("\n").slice(-20).join("\n")}\n--- stderr ---\n${e.stderr ?? ""}\n`);
      return 1;
    }
    throw e;
  }
  cleanup();

  const env = environment(loadBefore);
  if (o.json) {
    process.stdout.write(
      JSON.stringify(
        {
          environment: env,
          results: results.map(({ s, r }) => ({ id: s.id, label: s.label, targetMs: s.targetMs, targetMB: s.targetMB, ...r, pass: s.targetMs !== undefined ? r.medianMs < s.targetMs : s.targetMB !== undefined ? r.mb < s.targetMB : undefined })),
        },
        null,
        2,
      ) + "\n",
    );
    return 0;
  }
  const { rows, notes } = table(results);
  const lines = [
    `## pipegen build benchmark`,
    "",
    `Node ${env.node}, ${env.cpus} × ${env.cpuModel}, commit ${env.commit || "?"}, ${env.date}. ` +
      `Load average before ${env.loadavgBefore.join(" / ")}, after ${env.loadavgAfter.join(" / ")} (1/5/15 min); ` +
      `anything above ~0.5 means other work shared the CPUs and wall times are inflated — compare CPU time.`,
    `Outputs and fixtures in ${env.outputs}; set TMPDIR to measure elsewhere.`,
    `Measured: wall time around spawnSync of a fresh \`node bin/pipegen.js build …\` process; ${env.rssSource}.`,
    "",
    ...rows,
    "",
    ...(notes.length ? ["Notes:", ...notes.map((n) => `- ${n}`), ""] : []),
  ];
  if (results.some(({ r }) => r.note?.startsWith("capped"))) lines.push("\\* run count capped (see notes).", "");
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

process.exitCode = await main();
