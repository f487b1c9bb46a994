/**
 * Records in, out, dropped and failed per component while `pipegen run --local` runs. Functions
 * fuse several components, so per-component numbers are derived from their function's counters:
 * the function's distinct records enter its first component, filters drop what the handlers
 * report as filtered, records parked in the dead-letter queue count as failed at the first
 * component, an aggregate emits the rows its windows wrote, sinks count the records written.
 * Retried records may be written again (idempotently), so writes can exceed distinct records.
 */
import type { Component } from "../model/types.ts";
import type { CompiledPipeline } from "./compiled.ts";
import type { FunctionStats } from "./stats.ts";

/** One component's numbers. */
export interface ComponentRow {
  id: string;
  kind: string;
  fn?: string;
  in?: number;
  out?: number;
  dropped?: number;
  failed?: number;
  note?: string;
}

/** Per-component rows, in graph order. */
export function componentRows(cp: CompiledPipeline, stats: ReadonlyMap<string, FunctionStats>): ComponentRow[] {
  const rows = new Map<string, ComponentRow>();
  const st = (id: string) => stats.get(id);
  for (const u of cp.units) {
    const s = st(u.id);
    if (!s) continue;
    if (u.trigger === "schedule") {
      rows.set(u.owner.id, { id: u.owner.id, kind: u.owner.type, fn: u.id, out: s.generated, ...(s.errors ? { failed: s.errors, note: "failed runs" } : {}) });
      continue;
    }
    if (u.trigger === "http") {
      rows.set(u.owner.id, { id: u.owner.id, kind: u.owner.type, fn: u.id, in: s.requests, out: s.answered2xx + s.answered4xx, failed: s.answered5xx, note: `requests; ${s.answered2xx} ok, ${s.answered4xx} 4xx` });
      continue;
    }
    let cur = s.seen.size;
    let first = true;
    let firstFilter = true;
    const stepRow = (c: Component) => {
      const dropped = c.type === "filter" && firstFilter ? s.filtered : 0;
      if (c.type === "filter") firstFilter = false;
      const failed = first ? s.parked : 0;
      const row: ComponentRow = { id: c.id, kind: c.type, fn: u.id, in: cur, dropped, failed, out: Math.max(0, cur - dropped - failed) };
      first = false;
      cur = row.out!;
      rows.set(c.id, row);
    };
    u.steps.forEach(stepRow);
    if (u.aggregate) {
      const failed = first ? s.parked : 0;
      rows.set(u.aggregate.id, { id: u.aggregate.id, kind: "aggregate", fn: u.id, in: Math.max(0, cur - failed), failed, out: s.rows, note: `${s.windows} window${s.windows === 1 ? "" : "s"} closed` });
      first = false;
      cur = s.rows;
      u.after.forEach(stepRow);
    }
    for (const k of u.sinks) {
      const failed = first ? s.parked : 0;
      rows.set(k.id, { id: k.id, kind: k.type, fn: u.id, in: Math.max(0, cur - failed), out: u.aggregate ? s.rows : s.written, failed, ...(u.aggregate ? {} : { note: "writes" }) });
    }
  }
  for (const c of cp.model.components.filter((x) => x.type === "kinesis")) {
    const put = cp.units.filter((u) => u.trigger === "schedule" && u.owner.config.into === c.id).reduce((n, u) => n + (st(u.id)?.generated ?? 0), 0);
    const read = Math.max(0, ...cp.units.filter((u) => u.source?.id === c.id).map((u) => st(u.id)?.seen.size ?? 0));
    rows.set(c.id, { id: c.id, kind: "kinesis", in: put, out: read, note: "put / read" });
  }
  // Generators first: they feed the streams that come first in graph order.
  const order = [...cp.graph.order.filter((c) => c.type === "generator"), ...cp.graph.order.filter((c) => c.type !== "generator")];
  return order.flatMap((c) => (rows.has(c.id) ? [rows.get(c.id)!] : []));
}

/** One progress line. */
export function progressLine(elapsedMs: number, rows: readonly ComponentRow[]): string {
  const parts = rows.map((r) => {
    const io = r.in === undefined ? `${r.out ?? 0}` : `${r.in}→${r.out ?? 0}`;
    const extra = [r.dropped ? `${r.dropped} dropped` : "", r.failed ? `${r.failed} failed` : ""].filter(Boolean).join(", ");
    return `${r.id} ${io}${extra ? ` (${extra})` : ""}`;
  });
  return `[${String(Math.round(elapsedMs / 1000)).padStart(4)}s] ${parts.join("  ")}`;
}

/** The summary table. */
export function summaryTable(rows: readonly ComponentRow[]): string {
  const head = ["component", "kind", "function", "in", "out", "dropped", "failed", ""];
  const body = rows.map((r) => [r.id, r.kind, r.fn ?? "", r.in === undefined ? "-" : String(r.in), r.out === undefined ? "-" : String(r.out), r.dropped === undefined ? "-" : String(r.dropped), r.failed === undefined ? "-" : String(r.failed), r.note ?? ""]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const numeric = (i: number) => i >= 3 && i <= 6;
  const line = (cells: string[]) => "  " + cells.map((c, i) => (numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(head), ...body.map(line)].join("\n");
}
