import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";

// Semantic checks of the s3 sink's `format: parquet` (the diagnostics corpus holds the rendered
// cases 80–83): what would break at apply time, or silently do nothing, is reported at the key.
const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

type Diag = { code: string; pointer: string; message: string; hint?: string };

async function run(yaml: string, command: "validate" | "build"): Promise<{ code: number; diags: Diag[]; cwd: string }> {
  const cwd = mkdtempSync(join(tmpdir(), "pipegen-s3-parquet-"));
  temps.push(cwd);
  mkdirSync(join(cwd, "pipelines"));
  writeFileSync(join(cwd, "pipelines/p.yaml"), yaml);
  let out = "";
  const code = await main(command === "validate" ? ["validate", "--reporter", "json", "pipelines/p.yaml"] : ["build"], { cwd, out: (s) => (out += s), err: (s) => (out += s) });
  const diags = code === 0 || command === "build" ? [] : (JSON.parse(out.slice(out.indexOf("["), out.lastIndexOf("]") + 1)) as Diag[]);
  return { code, diags, cwd };
}
const at = (d: Diag[]) => d.map((x) => [x.code, x.pointer]);

const head = (record = "{ id: string, at: timestamp, n: number }") => `pipeline: shop
record: ${record}
sources:
  events: { type: kinesis }
sinks:
`;

describe("s3 sink, format parquet: checks", () => {
  it("given a record field named like a partition key, want PG3008 at partition_by (Glue rejects duplicate columns)", async () => {
    const { code, diags } = await run(`${head("{ id: string, at: timestamp, dt: string, hr: string }")}  lake: { type: s3, inputs: [events], format: parquet, partition_by: [date] }\n  hourly: { type: s3, inputs: [events], format: parquet, partition_by: [hour] }\n`, "validate");
    expect(code).toBe(1);
    // `hour` implies the date partition: both keys clash there.
    expect(at(diags)).toEqual([
      ["PG3008", "/sinks/lake/partition_by"],
      ["PG3008", "/sinks/hourly/partition_by"],
      ["PG3008", "/sinks/hourly/partition_by"],
    ]);
    expect(diags.find((d) => d.pointer === "/sinks/lake/partition_by")!.hint).toContain("rename: { dt: dt_value }");
  });

  it("given a record field named pipegen_record_id on a Firehose-fed table, want PG3008 at format", async () => {
    const { diags } = await run(`${head("{ id: string, pipegen_record_id: string }")}  lake: { type: s3, inputs: [events], format: parquet }\n`, "validate");
    expect(at(diags)).toEqual([["PG3008", "/sinks/lake/format"]]);
  });

  it("given two parquet sinks with one table name, want PG3008 on each (at `table` where it is set)", async () => {
    const { diags } = await run(`${head()}  lake: { type: s3, inputs: [events], format: parquet, table: events }\n  events_copy: { type: s3, inputs: [events], format: parquet, table: events }\n`, "validate");
    expect(at(diags).sort()).toEqual([["PG3008", "/sinks/events_copy/table"], ["PG3008", "/sinks/lake/table"]]);
  });

  it("given `partition_by: []` on a parquet sink, want PG2008 (projection needs dt)", async () => {
    const { diags } = await run(`${head()}  lake: { type: s3, inputs: [events], format: parquet, partition_by: [] }\n`, "validate");
    expect(at(diags)).toEqual([["PG2008", "/sinks/lake/partition_by"]]);
  });

  it("given parquet-only keys on a jsonl sink, want PG2008 at each key", async () => {
    const { diags } = await run(`${head()}  lake: { type: s3, inputs: [events], queries: { q: "SELECT 1" }, buffering: { seconds: 60 } }\n`, "validate");
    expect(at(diags)).toEqual([["PG2008", "/sinks/lake/queries"], ["PG2008", "/sinks/lake/buffering"]]);
  });

  it("given a component named <sink>_firehose, want PG3008 (it would share the Firehose role's resource names)", async () => {
    const { diags } = await run(`${head()}  lake: { type: s3, inputs: [events], format: parquet }\n  lake_firehose: { type: s3, inputs: [events] }\n`, "validate");
    expect(at(diags)).toEqual([["PG3008", "/sinks/lake"]]);
  });

  it("given queries of two sinks that map to one Terraform address, want PG3008 at the query", async () => {
    const { diags } = await run(`${head()}  a: { type: s3, inputs: [events], format: parquet, queries: { b_c: "SELECT 1" } }\n  a_b: { type: s3, inputs: [events], format: parquet, queries: { c: "SELECT 2" } }\n`, "validate");
    expect(at(diags).sort()).toEqual([["PG3008", "/sinks/a/queries/b_c"], ["PG3008", "/sinks/a_b/queries/c"]]);
  });

  it("given a time field that is a jq keyword, the partition query quotes it", async () => {
    const { code, cwd } = await run(`${head("{ id: string, end: timestamp }")}  lake: { type: s3, inputs: [events], format: parquet, time_field: end }\n`, "build");
    expect(code).toBe(0);
    expect(readFileSync(join(cwd, "generated/shop/lake.tf"), "utf8")).toContain('parameter_value = "{dt: .[\\"end\\"][0:10]}"');
  });

  it("a jsonl sink's module has no catalog, workgroup or Firehose", async () => {
    const { code, cwd } = await run(`${head()}  lake: { type: s3, inputs: [events] }\n`, "build");
    expect(code).toBe(0);
    const tf = readFileSync(join(cwd, "generated/shop/lake.tf"), "utf8");
    expect(tf).not.toMatch(/aws_glue|aws_athena|aws_kinesis_firehose/);
    expect(() => readFileSync(join(cwd, "generated/shop/query_results.tf"))).toThrow();
  });
});
