import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../../src/cli/main.ts";

// The Python half of the glue golden module: the user's PySpark stub and the generated contract
// module compile (python3 -m py_compile), and the contract module's pure-Python logic, run with
// python3 on small CSV and JSON-lines inputs, types, rejects, deduplicates and partitions as the
// README promises. PySpark is not installed here: the Spark calls of the stub are checked for
// syntax only, everything the stub delegates per row to the contract module is exercised.
const moduleDir = join(import.meta.dirname, "../../../../generated/sales-batch") /* the committed reference module */;
const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

function python(): string {
  try {
    execFileSync("python3", ["--version"]);
    return "python3";
  } catch {
    throw new Error("MISSING TOOL: python3 is needed to check the Glue job's Python files");
  }
}

/** A fresh directory holding copies of the given module files (compiling never writes into expected/). */
function workDir(files: string[], from = moduleDir): string {
  const dir = mkdtempSync(join(tmpdir(), "pipegen-glue-py-"));
  temps.push(dir);
  for (const f of files) copyFileSync(join(from, f), join(dir, f.split("/").pop()!));
  return dir;
}

/** Runs a Python program next to the contract module and returns what it prints as JSON. */
function runPython(dir: string, program: string, input?: string): any {
  writeFileSync(join(dir, "probe.py"), program);
  const out = execFileSync(python(), ["probe.py"], { cwd: dir, input, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" }, encoding: "utf8" });
  return JSON.parse(out);
}

describe("glue job python files", () => {
  it("the script stub and the contract module compile (python3 -m py_compile)", () => {
    const dir = workDir(["glue/clean.py", "glue/clean_contract.py"]);
    for (const f of ["clean.py", "clean_contract.py"]) execFileSync(python(), ["-m", "py_compile", f], { cwd: dir });
    expect(readdirSync(join(dir, "__pycache__")).length).toBe(2);
    // A syntax error must be caught: the check can fail.
    writeFileSync(join(dir, "broken.py"), "def f(:\n    pass\n");
    expect(() => execFileSync(python(), ["-m", "py_compile", "broken.py"], { cwd: dir, stdio: "pipe" })).toThrow();
  });

  it("the stub imports the generated module under its uploaded name and reads the job's arguments", () => {
    const stub = execFileSync("cat", [join(moduleDir, "glue/clean.py")], { encoding: "utf8" });
    expect(stub).toContain("import clean_contract as contract");
    for (const arg of ["JOB_NAME", "TempDir", "input_path", "input_format", "output_path", "rejected_path"]) expect(stub).toContain(`"${arg}"`);
    for (const arg of ["dedupe_by", "partition_by", "time_field"]) expect(stub).toContain(`optional_arg("${arg}")`);
    expect(stub).toContain('transformation_ctx="read_input"');
    expect(stub).toContain("job.commit()");
  });

  it("parses a small CSV drop: typed records, rejects with reasons, one record per order_id, dt partitions", () => {
    const dir = workDir(["glue/clean_contract.py"]);
    const csv = [
      "order_id,store_id,sku,quantity,unit_price,sold_at,channel",
      "o-1,s-1,sku-1,2,9.5,2024-05-01T10:15:00Z,web",
      "o-2,s-1,sku-2,two,1.0,2024-05-01T11:00:00Z,web",
      "o-1,s-1,sku-1,2,9.5,2024-05-01T10:15:00Z,store",
      "o-3,s-2,sku-3,1,3.25,2024-13-01T00:00:00Z,web",
      "o-4,s-2,sku-4,5,2,2024-05-01T23:30:00-02:00,web",
      "o-5,,sku-5,1,1e1,2024-05-02,web",
      "o-6,s-3,sku-6,-1.5E2,0,2024-02-29T08:00:00.123456789+05:30,web",
      "o-7,s-3,sku-7,NaN,1,2024-05-01T00:00:00Z,web",
      "o-8,s-3,sku-8,1,1,2023-02-29T00:00:00Z,web",
      "",
    ].join("\n");
    const got = runPython(
      dir,
      `import csv, json, sys
import clean_contract as c
good, rejected = [], []
for line, row in enumerate(csv.DictReader(sys.stdin), start=2):
    record, reason = c.parse_csv_row(row)
    if record is None:
        rejected.append([line, reason])
    else:
        good.append(record)
kept = c.dedupe(good)
def show(r):
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
print(json.dumps({
    "good": len(good),
    "rejected": rejected,
    "kept": [dict(show(r), **c.partition_values(r)) for r in kept],
    "keys": sorted(c.dedupe_key(r) for r in good),
    "path": c.partition_path(c.partition_values(kept[0])),
    "key": c.output_key("sales/", "dt=2024-05-01/", "abc", 3),
    "fields": c.FIELDS, "dedupe": c.DEDUPE_BY, "time": c.TIME_FIELD, "parts": c.PARTITION_COLUMNS, "format": c.INPUT_FORMAT,
}))
`,
      csv,
    );
    expect([got.fields, got.dedupe, got.time, got.parts, got.format]).toEqual([
      { order_id: "string", quantity: "number", sku: "string", sold_at: "timestamp", store_id: "string", unit_price: "number" },
      ["order_id"],
      "sold_at",
      ["dt"],
      "csv",
    ]);
    // Reasons name the field and type, never the value.
    expect(got.rejected).toEqual([
      [3, "field 'quantity' is not a number"],
      [5, "field 'sold_at' is not a timestamp"],
      [7, "missing field 'store_id'"],
      [9, "field 'quantity' is not a number"],
      [10, "field 'sold_at' is not a timestamp"],
    ]);
    expect(got.good).toBe(4);
    expect(got.keys).toEqual([["o-1"], ["o-1"], ["o-4"], ["o-6"]]);
    // The duplicate o-1 rows are identical in the contract's fields (`channel` is not one): one is kept.
    expect(got.kept).toEqual([
      { order_id: "o-1", quantity: 2, sku: "sku-1", sold_at: "2024-05-01T10:15:00+00:00", store_id: "s-1", unit_price: 9.5, dt: "2024-05-01" },
      // -02:00 is converted to UTC, which moves the row to the next day's partition.
      { order_id: "o-4", quantity: 5, sku: "sku-4", sold_at: "2024-05-02T01:30:00+00:00", store_id: "s-2", unit_price: 2, dt: "2024-05-02" },
      // Nanoseconds are cut to microseconds; a leap day is a valid date.
      { order_id: "o-6", quantity: -150, sku: "sku-6", sold_at: "2024-02-29T02:30:00.123456+00:00", store_id: "s-3", unit_price: 0, dt: "2024-02-29" },
    ]);
    expect(got.path).toBe("dt=2024-05-01/");
    expect(got.key).toBe("sales/dt=2024-05-01/abc-00003.parquet");
  });

  it("dedupe keeps the same record whatever the input order: the one sorting first by all fields", () => {
    const dir = workDir(["glue/clean_contract.py"]);
    const got = runPython(
      dir,
      `import json, itertools
import clean_contract as c
rows = [
    {"order_id": "o-1", "store_id": "s-2", "sku": "a", "quantity": "1", "unit_price": "1", "sold_at": "2024-05-01T10:00:00Z"},
    {"order_id": "o-1", "store_id": "s-1", "sku": "b", "quantity": "3", "unit_price": "1", "sold_at": "2024-05-01T09:00:00Z"},
    {"order_id": "o-2", "store_id": "s-1", "sku": "c", "quantity": "1", "unit_price": "1", "sold_at": "2024-05-01T08:00:00Z"},
]
records = [c.parse_row(r)[0] for r in rows]
picks = {json.dumps([(r["order_id"], r["store_id"]) for r in c.dedupe(list(p))]) for p in itertools.permutations(records)}
print(json.dumps({"picks": [json.loads(p) for p in sorted(picks)], "none": len(c.dedupe(records, ()))}))
`,
    );
    // Fields compare in FIELDS order (order_id, quantity, ...): of the two o-1 rows, quantity 1 wins.
    expect(got.picks).toEqual([[["o-1", "s-2"], ["o-2", "s-1"]]]);
    expect(got.none).toBe(3);
  });
});

describe("contract module of a JSON-lines job with booleans and hourly partitions", () => {
  it("types JSON values, accepts true/false text, rejects wrong JSON types, partitions by dt and hr", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-glue-jsonl-"));
    temps.push(cwd);
    mkdirSync(join(cwd, "pipelines"));
    writeFileSync(
      join(cwd, "pipelines/events.yaml"),
      `pipeline: events
record: { id: string, paid: boolean, amount: number, at: timestamp }
sources:
  drops: { type: s3, mode: batch, format: jsonl, schedule: rate(1 hour) }
transforms:
  tidy: { type: glue_job, inputs: [drops], glue_version: "4.0", bookmarks: false, autoscaling: { max_workers: 8 } }
sinks:
  lake: { type: s3, inputs: [tidy], format: parquet, partition_by: [date, hour], time_field: at }
`,
    );
    let err = "";
    expect(await main(["build"], { cwd, out: () => {}, err: (s) => (err += s) }), err).toBe(0);
    const mod = join(cwd, "generated/events");
    expect(existsSync(join(cwd, "pipelines/events/tidy.py")), "the stub is written next to the spec").toBe(true);
    const dir = workDir(["glue/tidy_contract.py", "glue/tidy.py"], mod);
    for (const f of ["tidy.py", "tidy_contract.py"]) execFileSync(python(), ["-m", "py_compile", f], { cwd: dir });
    const got = runPython(
      dir,
      `import json
import tidy_contract as c
rows = [
    {"id": "a", "paid": True, "amount": 3, "at": "2024-05-01T07:59:59Z"},
    {"id": "b", "paid": "false", "amount": 2.5, "at": "2024-05-01T08:00:00+01:00"},
    {"id": "c", "paid": "yes", "amount": 1, "at": "2024-05-01T08:00:00Z"},
    {"id": "d", "paid": True, "amount": True, "at": "2024-05-01T08:00:00Z"},
    {"id": 5, "paid": True, "amount": 1, "at": "2024-05-01T08:00:00Z"},
    {"id": "f", "paid": False, "amount": "1", "at": "2024-05-01"},
]
out = []
for row in rows:
    record, reason = c.parse_row(row)
    out.append(reason if record is None else [record["paid"], record["amount"], c.partition_values(record)])
print(json.dumps({"out": out, "dedupe": c.DEDUPE_BY, "parts": c.PARTITION_COLUMNS, "format": c.INPUT_FORMAT,
                  "path": c.partition_path({"dt": "2024-05-01", "hr": "07"})}))
`,
    );
    expect(got.out).toEqual([
      [true, 3, { dt: "2024-05-01", hr: "07" }],
      [false, 2.5, { dt: "2024-05-01", hr: "07" }],
      "field 'paid' is not a boolean",
      "field 'amount' is not a number",
      "field 'id' is not a string",
      [false, 1, { dt: "2024-05-01", hr: "00" }],
    ]);
    expect([got.dedupe, got.parts, got.format, got.path]).toEqual([[], ["dt", "hr"], "jsonl", "dt=2024-05-01/hr=07/"]);
  });
});
