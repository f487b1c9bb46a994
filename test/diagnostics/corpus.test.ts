// Diagnostic goldens: every `cases/<name>.yaml` is a small variant of the reference pipeline with a
// deliberate mistake. Each run must fail with exit 1, write nothing, and print exactly what
// `cases/<name>.snap` holds (input, short and pretty output in one file, like biome's .snap).
// `UPDATE_SNAPSHOTS=1 npx vitest run test/diagnostics` rewrites the .snap files; review the diff.
//
// The snapshot alone would accept a wrong location after an update, so `MEANING` below also states
// each case's codes, `line:col` and spec pointer by hand.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";

const CASES = new URL("./cases/", import.meta.url);
const UPDATE = process.env.UPDATE_SNAPSHOTS === "1";

/** [code, "line:col", pointer] of each diagnostic, in reported order; the first is the primary error. */
type Want = [code: string, at: string, pointer: string];

const MEANING: Record<string, Want[]> = {
  // Reported at the `[` that is never closed, not on line 34 where the parser gave up.
  "01-yaml-syntax": [["PG1001", "33:13", "/transforms/per_device/inputs"]],
  "02-duplicate-key": [["PG1002", "48:5", "/sinks/lake/format"]],
  "03-alias": [["PG1004", "68:8", "/environments/dev"]],
  "04-unknown-top-level-key": [["PG2001", "11:1", "/sourcs"]],
  "05-unknown-key-batchsize": [["PG2001", "48:5", "/sinks/lake/batchsize"]],
  "06-unknown-key-input": [["PG2001", "33:5", "/transforms/per_device/input"]],
  "07-missing-required-key": [["PG2002", "51:3", "/sinks/averages"]],
  "08-wrong-type-inputs": [["PG2003", "45:13", "/sinks/lake/inputs"]],
  "09-wrong-type-records-per-run": [["PG2003", "20:22", "/sources/simulator/records_per_run"]],
  "10-enum-format": [["PG2004", "46:13", "/sinks/lake/format"]],
  "11-unknown-component-type": [["PG2007", "13:11", "/sources/readings/type"]],
  "12-pattern-pipeline-name": [["PG2005", "2:11", "/pipeline"]],
  "13-pattern-schedule": [["PG2005", "18:15", "/sources/simulator/schedule"]],
  "14-pattern-route": [["PG2005", "62:16", "/serve/temperature_api/routes/0/route"]],
  "15-range-retention-hours": [["PG2006", "15:22", "/sources/readings/retention_hours"]],
  "16-window-over-15m": [["PG3010", "35:13", "/transforms/per_device/window"]],
  "17-unknown-input-id": [["PG3001", "33:14", "/transforms/per_device/inputs/0"]],
  "18-cycle": [["PG3002", "29:13", "/transforms/plausible/inputs"]],
  "19-generator-as-input": [["PG3003", "45:14", "/sinks/lake/inputs/0"]],
  "20-aggregate-of-aggregate": [["PG3003", "39:14", "/transforms/per_device/inputs/0"]],
  "21-unused-transform": [["PG3004", "31:3", "/transforms/too_hot"]],
  "22-unused-source": [["PG3004", "16:3", "/sources/alerts"]],
  // The column is the misspelt field inside the expression, not the start of the value.
  "23-filter-unknown-field": [["PG3005", "30:35", "/transforms/plausible/where"]],
  "24-expr-type-error": [["PG3007", "30:12", "/transforms/plausible/where"]],
  "25-non-boolean-where": [["PG3007", "30:12", "/transforms/plausible/where"]],
  "26-expr-parse-error": [["PG3006", "30:27", "/transforms/plausible/where"]],
  "27-unknown-aggregate-function": [["PG3006", "38:24", "/transforms/per_device/compute/min_temperature"]],
  // Only the bad call: the field it declares must not also be reported missing downstream.
  "28-avg-of-string": [["PG3007", "37:32", "/transforms/per_device/compute/average_temperature"]],
  // The typo, then what it really breaks downstream: the key and the filter lose `device_id`.
  "29-group-by-not-in-contract": [
    ["PG3005", "34:16", "/transforms/per_device/group_by/0"],
    ["PG3005", "54:23", "/sinks/averages/key/partition"],
    ["PG3005", "65:19", "/serve/temperature_api/routes/0/filters/0"],
  ],
  "30-dynamodb-key-not-in-record": [["PG3005", "54:23", "/sinks/averages/key/partition"]],
  "31-dynamodb-key-dropped-by-aggregate": [["PG3005", "54:40", "/sinks/averages/key/sort"]],
  "32-http-api-from-s3": [["PG3003", "60:11", "/serve/temperature_api/from"]],
  "33-http-api-route-field-not-stored": [
    ["PG3005", "63:18", "/serve/temperature_api/routes/0/average"],
    ["PG3005", "65:30", "/serve/temperature_api/routes/0/filters/1"],
  ],
  "34-generator-field-not-in-contract": [["PG3005", "25:17", "/sources/simulator/fields/humidity"]],
  "35-generator-missing-field": [["PG3005", "21:5", "/sources/simulator/fields"]],
  "36-generator-wrong-type": [["PG3007", "23:20", "/sources/simulator/fields/temperature"]],
  "37-id-reused-across-sections": [["PG3011", "43:3", "/sinks/plausible"]],
  "38-reserved-id": [["PG3008", "43:3", "/sinks/main"]],
  "39-bucket-name-too-long": [["PG3009", "43:3", "/sinks/raw_sensor_readings_lake"]],
  "40-function-name-too-long": [["PG3009", "31:3", "/transforms/per_device_temperature_average"]],
  "41-environment-unknown-source": [["PG3012", "69:46", "/environments/prod/capacity/reading"]],
  "42-duplicate-route": [["PG3008", "66:16", "/serve/temperature_api/routes/1/route"]],
  "43-s3-lifecycle-order": [["PG2006", "50:25", "/sinks/lake/glacier_after_days"]],
  // Four independent schema errors, all reported at once, in file order.
  "44-several-schema-errors": [
    ["PG2005", "2:11", "/pipeline"],
    ["PG2006", "15:22", "/sources/readings/retention_hours"],
    ["PG2004", "46:13", "/sinks/lake/format"],
    ["PG2001", "48:5", "/sinks/lake/batchsize"],
  ],
  // Four independent graph errors, all reported at once, in file order.
  "45-several-semantic-errors": [
    ["PG3001", "19:11", "/sources/simulator/into"],
    ["PG3005", "30:12", "/transforms/plausible/where"],
    ["PG3005", "48:17", "/sinks/lake/time_field"],
    ["PG3001", "61:11", "/serve/temperature_api/from"],
  ],
  // `required` is reported on the mapping that lacks the key: a list item, marked at its first key.
  "46-missing-required-route-field": [["PG2002", "62:9", "/serve/temperature_api/routes/0"]],
  "47-enum-partition-by": [["PG2004", "48:20", "/sinks/lake/partition_by/0"]],
  // One error from the oneOf branch the value evidently meant, not one per branch.
  "48-capacity-shape": [["PG2001", "14:17", "/sources/readings/capacity/shard"]],
  "49-record-field-type": [["PG2004", "8:16", "/record/temperature"]],
  "50-alarm-email-format": [["PG2005", "69:86", "/environments/prod/alarm_email"]],
  "51-generator-into-unknown": [["PG3001", "19:11", "/sources/simulator/into"]],
  "52-generator-into-sink": [["PG3003", "19:11", "/sources/simulator/into"]],
  "53-inputs-two-ids": [["PG2006", "33:13", "/transforms/per_device/inputs"]],
  "54-component-id-pattern": [
    ["PG2005", "31:3", "/transforms/per-device"],
    ["PG2005", "53:14", "/sinks/averages/inputs/0"],
  ],
  "55-missing-sources": [["PG2002", "2:1", ""]],
  "56-environment-unknown-key": [["PG2001", "68:32", "/environments/dev/retention"]],
  "57-duplicate-filter-entry": [["PG2008", "65:30", "/serve/temperature_api/routes/0/filters/1"]],
  "58-tab-indentation": [["PG1001", "15:1", "/sources/readings"]],
  "59-s3-expire-before-transition": [["PG2006", "50:24", "/sinks/lake/expire_after_days"]],
  "60-sort-key-same-as-partition": [["PG3008", "54:40", "/sinks/averages/key/sort"]],
  "61-map-without-operation": [["PG2002", "31:3", "/transforms/celsius"]],
  "62-generator-unknown-form": [["PG2008", "23:20", "/sources/simulator/fields/temperature"]],
  "63-missing-component-type": [["PG2002", "43:3", "/sinks/lake"]],
  "64-http-average-not-number": [["PG3007", "63:18", "/serve/temperature_api/routes/0/average"]],
  "65-sink-as-input": [["PG3003", "45:14", "/sinks/lake/inputs/0"]],
  "66-filter-unknown-function": [["PG3006", "30:12", "/transforms/plausible/where"]],
  "67-time-field-not-timestamp": [["PG3007", "48:17", "/sinks/lake/time_field"]],
  "68-window-format": [["PG2005", "35:13", "/transforms/per_device/window"]],
  "69-yaml-missing-colon": [["PG1001", "28:5", "/transforms/plausible"]],
  // Reported at the opening quote (where the fix goes), not at the end of the file where the parser gave up.
  "70-yaml-unclosed-quote": [["PG1001", "3:14", "/description"]],
  // Inside a quoted scalar the column shifts by the quote; inside a `>-` block it lands on the right line.
  "71-filter-unknown-field-quoted": [["PG3005", "30:36", "/transforms/plausible/where"]],
  "72-filter-unknown-field-folded": [["PG3005", "32:11", "/transforms/plausible/where"]],
  // OpenSearch index names are lower case without spaces: reported at the value, with a did-you-mean.
  "100-opensearch-index-name": [["PG2005", "54:12", "/sinks/docs/index"]],
  // `temperature-<env up to 10>-reading-search` exceeds OpenSearch's 28-character domain names.
  "101-opensearch-domain-name-too-long": [["PG3009", "51:3", "/sinks/reading_search"]],
  "102-opensearch-id-field-not-in-record": [["PG3005", "55:15", "/sinks/docs/id_field"]],
  // A Glue job delivers files: it writes them into the sink's bucket itself, as Parquet, never JSON
  // lines. Both ends report it (the glue_job kind at the job, the s3 sink at its `format`).
  "80-s3-jsonl-fed-by-files": [
    ["PG3003", "24:3", "/transforms/clean"],
    ["PG3003", "37:13", "/sinks/sales/format"],
  ],
  "81-s3-table-name-pattern": [["PG2005", "47:12", "/sinks/lake/table"]],
  // Only the empty query; the other one is fine.
  "82-s3-empty-query": [["PG2006", "50:16", "/sinks/lake/queries/per_day"]],
  // A parquet-only key on a jsonl sink would be silently ignored.
  "83-s3-parquet-key-on-jsonl": [["PG2008", "47:12", "/sinks/lake/table"]],
  // s3 source in batch mode: `required` on the mapping that lacks the key, as schema errors are.
  "73-s3-batch-without-schedule": [["PG2002", "15:3", "/sources/drops"]],
  // s3 source: the schedule belongs to batch mode, at the key that should go.
  "74-s3-events-with-schedule": [["PG2008", "19:15", "/sources/drops/schedule"]],
  // Reported at the aggregate's input (through the filter): tumbling windows need a Kinesis event source mapping.
  "75-s3-events-aggregate": [["PG3003", "27:14", "/transforms/per_store/inputs/0"]],
  // S3 rejects two notification targets for the same objects, so one events source feeds one function.
  "76-s3-events-two-functions": [["PG3003", "14:3", "/sources/drops"]],
  // The cluster ARN lacks its uuid: reported at the value, with the expected shape as hint.
  "90-msk-bad-cluster-arn": [["PG2005", "27:18", "/sources/orders/cluster_arn"]],
  "91-http-ingest-into-unknown": [["PG3001", "27:11", "/sources/intake/into"]],
  "92-http-ingest-jwt-without-issuer": [["PG2002", "29:5", "/sources/intake/jwt"]],
  // Reported on the aggregate's input, naming the filter it reads the msk source through.
  "93-aggregate-over-msk": [["PG3003", "24:14", "/transforms/per_device/inputs/0"]],
  // glue_job: a dedupe field outside the record contract, at the field with a did-you-mean.
  "110-glue-dedupe-by-unknown-field": [["PG3005", "27:17", "/transforms/clean/dedupe_by/0"]],
  // glue_job feeding only a Lambda-based sink: the job has no Parquet sink, and the topic cannot read files.
  "111-glue-feeds-no-parquet-sink": [
    ["PG3003", "24:3", "/transforms/clean"],
    ["PG3003", "36:14", "/sinks/alerts/inputs/0"],
  ],
  // Two components whose generated resources share an address: the sink's function log group is
  // named like the API's access log group. Reported at the later component.
  "112-duplicate-resource-address": [["PG3008", "56:3", "/sinks/temperature_api_access"]],
};

const names = readdirSync(CASES)
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => f.slice(0, -".yaml".length))
  .sort();

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
  /** Every path under the temp dir after the run, relative, sorted. */
  files: string[];
}

/** Runs the CLI in a fresh temp dir holding only `pipelines/<name>.yaml`. */
async function run(args: string[], files: Record<string, string> = {}): Promise<Run> {
  const cwd = mkdtempSync(join(tmpdir(), "pipegen-diag-"));
  dirs.push(cwd);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(cwd, path, ".."), { recursive: true });
    writeFileSync(join(cwd, path), text);
  }
  let out = "";
  let err = "";
  const code = await main(args, { cwd, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err, files: listTree(cwd) };
}

function listTree(root: string, rel = ""): string[] {
  return readdirSync(join(root, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? [`${rel}${e.name}/`, ...listTree(root, `${rel}${e.name}/`)] : [`${rel}${e.name}`]))
    .sort();
}

/** One file per case: the input and both renderings, each fenced so every byte is kept. */
function snapText(input: string, short: string, pretty: string): string {
  const block = (lang: string, s: string) => `\`\`\`${lang}\n${s}${s.endsWith("\n") ? "" : "\n"}\`\`\`\n`;
  return `# input\n\n${block("yaml", input)}\n# short\n\n${block("", short)}\n# pretty\n\n${block("", pretty)}`;
}

async function build(name: string, input: string, reporter: string): Promise<Run> {
  const file = `pipelines/${name}.yaml`;
  const r = await run(["build", file, "--reporter", reporter], { [file]: input });
  expect(r.code, `${name} --reporter ${reporter}: exit code`).toBe(1);
  expect(r.out, `${name}: nothing on stdout`).toBe("");
  // Bad input writes nothing: no generated/ folder, no user-code stub, nothing but the spec itself.
  expect(r.files, `${name}: files after the run`).toEqual(["pipelines/", file]);
  return r;
}

describe("diagnostic corpus", () => {
  it("has at least 40 cases, each with a meaning entry and a snapshot", () => {
    expect(names.length).toBeGreaterThanOrEqual(40);
    expect(Object.keys(MEANING).sort()).toEqual(names);
    for (const name of names) {
      if (!UPDATE) expect(existsSync(new URL(`${name}.snap`, CASES)), `${name}.snap`).toBe(true);
    }
  });

  it.each(names)("%s", async (name) => {
    const input = readFileSync(new URL(`${name}.yaml`, CASES), "utf8");
    const file = `pipelines/${name}.yaml`;

    // Meaning first, from the structured output: codes, exact positions, spec pointers.
    const json = await build(name, input, "json");
    const diags = JSON.parse(json.err.slice(0, json.err.lastIndexOf("build failed"))) as Array<{
      code: string;
      file: string;
      pointer: string;
      span?: { line: number; col: number; length: number };
    }>;
    const got = diags.map((d) => [d.code, `${d.file}:${d.span?.line}:${d.span?.col}`, d.pointer]);
    expect(got).toEqual(MEANING[name]!.map(([code, at, pointer]) => [code, `${file}:${at}`, pointer]));

    // Then the exact bytes users see.
    const short = (await build(name, input, "short")).err;
    const pretty = (await build(name, input, "pretty")).err;
    for (const [code, at] of MEANING[name]!) expect(short).toContain(`${file}:${at}: error ${code} `);
    const snap = new URL(`${name}.snap`, CASES);
    const text = snapText(input, short, pretty);
    if (UPDATE) writeFileSync(snap, text);
    else expect(text, `${name}.snap (UPDATE_SNAPSHOTS=1 rewrites it)`).toBe(readFileSync(snap, "utf8"));
  });
});

describe("reporters", () => {
  const name = "44-several-schema-errors";
  const input = readFileSync(new URL(`${name}.yaml`, CASES), "utf8");
  const file = `pipelines/${name}.yaml`;

  it("--reporter json is parseable and carries code, file, pointer, span and hint", async () => {
    const r = await build(name, input, "json");
    const [body, tail] = [r.err.slice(0, r.err.lastIndexOf("build failed")), r.err.slice(r.err.lastIndexOf("build failed"))];
    expect(tail).toBe("build failed: 4 error(s); nothing was written\n");
    const diags = JSON.parse(body) as Array<Record<string, unknown>>;
    expect(diags).toHaveLength(4);
    expect(diags[3]).toEqual({
      code: "PG2001",
      severity: "error",
      message: "unknown key `batchsize` in sink `lake` (type s3)",
      file,
      pointer: "/sinks/lake/batchsize",
      span: { line: 48, col: 5, length: 9 },
      hint: "did you mean `lambda.batch_size`? it goes under `lambda:`, e.g. `lambda: { batch_size: 500 }`",
      docs: "README.md#pg2001",
    });
    for (const d of diags) {
      expect(Object.keys(d)).toEqual(expect.arrayContaining(["code", "file", "pointer", "span", "hint"]));
    }
  });

  it("--reporter github emits one ::error annotation per diagnostic", async () => {
    const r = await build(name, input, "github");
    const lines = r.err.trimEnd().split("\n");
    expect(lines.at(-1)).toBe("build failed: 4 error(s); nothing was written");
    const annotations = lines.slice(0, -1);
    expect(annotations.map((l) => /^::error file=([^,]+),line=(\d+),col=(\d+),title=(PG\d{4})::/.exec(l)?.slice(1))).toEqual([
      [file, "2", "11", "PG2005"],
      [file, "15", "22", "PG2006"],
      [file, "46", "13", "PG2004"],
      [file, "48", "5", "PG2001"],
    ]);
    expect(annotations[3]).toBe(
      `::error file=${file},line=48,col=5,title=PG2001::sinks.lake.batchsize: unknown key \`batchsize\` in sink \`lake\` (type s3) — hint: did you mean \`lambda.batch_size\`? it goes under \`lambda:\`, e.g. \`lambda: { batch_size: 500 }\``,
    );
  });
});

describe("files and usage", () => {
  it("a missing pipeline file is PG1003, exit 1, nothing written", async () => {
    const r = await run(["build", "pipelines/nope.yaml", "--reporter", "short"], { "pipelines/other.yaml": "pipeline: other\n" });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pipelines\/nope\.yaml: error PG1003 \(root\): cannot read pipeline file: ENOENT: no such file or directory/);
    expect(r.files).toEqual(["pipelines/", "pipelines/other.yaml"]);
  });

  it("validate reports the same diagnostics as build and exits 1", async () => {
    const name = "17-unknown-input-id";
    const file = `pipelines/${name}.yaml`;
    const input = readFileSync(new URL(`${name}.yaml`, CASES), "utf8");
    const v = await run(["validate", file, "--reporter", "short"], { [file]: input });
    const b = await build(name, input, "short");
    expect(v.code).toBe(1);
    expect(v.err).toBe(b.err.slice(0, b.err.lastIndexOf("build failed")));
    expect(v.files).toEqual(["pipelines/", file]);
  });

  it.each([
    ["unknown flag", ["build", "--frobnicate"]],
    ["unknown command", ["frobnicate"]],
    ["unknown reporter", ["build", "--reporter", "xml"]],
  ])("%s is a usage error: exit 2", async (_, args) => {
    const r = await run(args, { "pipelines/a.yaml": "pipeline: a\n" });
    expect(r.code).toBe(2);
    expect(r.err).not.toBe("");
    expect(r.files).toEqual(["pipelines/", "pipelines/a.yaml"]);
  });
});
