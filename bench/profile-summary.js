#!/usr/bin/env node
// Summarizes V8 .cpuprofile files (from `node --cpu-prof`): self time by module and by function,
// and optionally inclusive time of functions whose name matches a pattern.
//
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bin/pipegen.js build pipelines/temperature.yaml --out /tmp/o
//   node bench/profile-summary.js /tmp/prof [--top 25] [--inclusive '^(compile|emitModule|bundle) ']
//
// One file per thread is written: …0.001 is the main thread, …1.002 tsx's module-loader thread.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";

const args = process.argv.slice(2);
let top = 25;
let inclusive;
const paths = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--top") top = Number(args[++i]);
  else if (args[i] === "--inclusive") inclusive = new RegExp(args[++i]);
  else paths.push(args[i]);
}
if (!paths.length) {
  process.stderr.write("usage: node bench/profile-summary.js <dir-or-.cpuprofile>… [--top N] [--inclusive REGEX]\n");
  process.exit(2);
}
const files = paths.flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith(".cpuprofile")).sort().map((f) => join(p, f)) : [p]));

/** Groups a script URL: an npm package, a src/ folder, a node: internal area. */
function group(url, fnName) {
  if (!url) return fnName.startsWith("(") ? fnName : `(native) ${fnName}`;
  let m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return `npm:${m[1]}`;
  m = /\/(src\/[^/]+|bin|bench)\//.exec(url);
  if (m) return m[1];
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  return url.slice(0, 60);
}
const short = (url) => url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(src|bin|bench)\//, "$1/");

for (const file of files) {
  const p = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map();
  const byMod = new Map();
  for (const [id, ms] of self) {
    const cf = byId.get(id).callFrame;
    const fk = `${cf.functionName || "(anonymous)"}${cf.url ? ` ${short(cf.url)}:${cf.lineNumber + 1}` : ""}`;
    byFn.set(fk, (byFn.get(fk) ?? 0) + ms);
    const mk = group(cf.url, cf.functionName);
    byMod.set(mk, (byMod.get(mk) ?? 0) + ms);
  }
  const line = (ms, label) => `${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${label}`;
  const out = [`\n=== ${basename(file)}: ${total.toFixed(0)} ms sampled`, "-- self time by module"];
  for (const [k, v] of [...byMod].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(line(v, k));
  out.push("-- self time by function");
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(line(v, k));
  if (inclusive) {
    // Each sample counts once for every distinct function on its stack, so recursion (a YAML
    // reader, a printer) is not counted twice.
    const parent = new Map();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const keyOf = (n) => `${n.callFrame.functionName} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    const agg = new Map();
    for (const [id, ms] of self) {
      const seen = new Set();
      for (let n = id; n !== undefined; n = parent.get(n)) {
        const k = keyOf(byId.get(n));
        if (seen.has(k) || !inclusive.test(k)) continue;
        seen.add(k);
        agg.set(k, (agg.get(k) ?? 0) + ms);
      }
    }
    out.push(`-- inclusive time matching ${inclusive}`);
    for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(line(v, k));
  }
  process.stdout.write(out.join("\n") + "\n");
}
