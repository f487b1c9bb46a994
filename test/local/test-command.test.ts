// `pipegen test`: the reference pipeline's own cases pass through the generated handlers, a wrong
// expectation fails with a readable diff and exit 1, and mistakes in `tests:` are located errors.
import { describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const repo = join(import.meta.dirname, "../..");
const reference = readFileSync(join(repo, "pipelines/temperature.yaml"), "utf8");

function pipegen(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, "bin/pipegen.js"), ...args], { cwd, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A folder holding a variant of the reference pipeline as pipelines/temperature.yaml. */
function variant(edit: (text: string) => string): string {
  const cwd = mkdtempSync(join(tmpdir(), "pipegen-test-cmd-"));
  cpSync(join(repo, "pipelines"), join(cwd, "pipelines"), { recursive: true });
  const text = edit(reference);
  expect(text, "the edit must change the pipeline").not.toBe(reference);
  writeFileSync(join(cwd, "pipelines/temperature.yaml"), text);
  return cwd;
}

describe("pipegen test on the reference pipeline", () => {
  it("passes: the filter, the windowed average and the API answer, through the generated handlers", () => {
    const r = pipegen(repo, "test", "pipelines/temperature.yaml");
    expect(r.err).not.toMatch(/error|✗/);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/✓ filter_keeps_plausible_readings +readings → plausible \(generated span\) +3 records in: 1 passed, 2 dropped/);
    expect(r.out).toMatch(/✓ windowed_average_per_device +readings → averages \(function per_device\) +5 records in: 3 passed, 1 dropped, 1 failed/);
    expect(r.out).toMatch(/✓ api_answers_weighted_average +readings → temperature_api \(function per_device\)/);
    expect(r.out).toMatch(/^3 passed \(3 cases in 1 file, [\d.]+ s\)$/m);
  });

  it("--json reports every case with its counts for machines", () => {
    const r = pipegen(repo, "test", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ ok: true, passed: 3, failed: 0 });
    const cases = j.files.find((f: { file: string }) => f.file === "pipelines/temperature.yaml").cases;
    expect(cases.map((c: { name: string }) => c.name)).toEqual(["filter_keeps_plausible_readings", "windowed_average_per_device", "api_answers_weighted_average"]);
    expect(cases[1]).toMatchObject({ ok: true, at: "readings", expectAt: "averages", ran: "function per_device", counts: { inserted: 5, passed: 3, dropped: 1, failed: 1, out: 2 }, mismatches: [] });
  });
});

describe("a deliberately wrong expectation", () => {
  it("fails with exit 1 and a diff of expected vs actual (records, API body, rejections)", () => {
    const cwd = variant((t) =>
      t
        .replace("average_temperature: 21.5, min_temperature: 20", "average_temperature: 22, min_temperature: 20")
        .replace("body: { average: 24, count: 2 }", "body: { average: 25, count: 2 }")
        .replace("dropped: [{ temperature: -80 }, { temperature: 999 }]", "dropped: [{ temperature: 999 }]"),
    );
    const r = pipegen(cwd, "test");
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ windowed_average_per_device");
    expect(r.out).toContain("records at `averages` differ (match: subset)");
    expect(r.out).toContain('- expected record 1 not found: { device_id: "sensor-1", window_start: "2024-05-01T12:00:00Z", window_end: "2024-05-01T12:05:00Z", average_temperature: 22,');
    expect(r.out).toMatch(/closest actual record 1: \{ device_id: "sensor-1", .*average_temperature: 21\.5/);
    expect(r.out).toContain("average_temperature: expected 22, got 21.5");
    expect(r.out).toContain("✗ api_answers_weighted_average");
    expect(r.out).toContain("GET /api/v1/temperature answered differently");
    expect(r.out).toContain("average: expected 25, got 24");
    expect(r.out).toContain("✗ filter_keeps_plausible_readings");
    expect(r.out).toContain('+ also dropped: record 2 { device_id: "sensor-2", temperature: -80');
    expect(r.out).toMatch(/^FAILED: 3 failed, 0 passed/m);
  });

  it("an unexpected failure is reported with the runtime's reason when the case does not expect it", () => {
    const cwd = variant((t) => t.replace("    failed: [{ device_id: sensor-3 }]\n", ""));
    const r = pipegen(cwd, "test");
    expect(r.code).toBe(1);
    expect(r.out).toContain("1 inserted record failed, and the case expects none");
    expect(r.out).toContain(`! record 5 { device_id: "sensor-3", temperature: "hot", recorded_at: "2024-05-01T12:02:50Z" } — field 'temperature' is not a number`);
  });
});

describe("mistakes in tests: are located errors, reported by validate, build and test alike", () => {
  it("an unknown component id, with did-you-mean", () => {
    const cwd = variant((t) => t.replace("      at: plausible\n", "      at: plausable\n"));
    for (const cmd of ["test", "validate"]) {
      const r = pipegen(cwd, cmd);
      expect(r.code, cmd).toBe(1);
      expect(r.err).toMatch(/^pipelines\/temperature\.yaml:\d+:11: tests\.filter_keeps_plausible_readings\.expect\.at: error PG3001: unknown component id `plausable` in `expect\.at` of test `filter_keeps_plausible_readings`/m);
      expect(r.err).toContain("hint: did you mean `plausible`? components downstream of `readings`: averages, lake, per_device, plausible, temperature_api");
    }
    const line = reference.split("\n").indexOf("      at: plausible") + 1;
    expect(pipegen(cwd, "test").err).toContain(`pipelines/temperature.yaml:${line}:11:`);
  });

  it("components that are not downstream of `at`, and a field not in the record type", () => {
    const cwd = variant((t) =>
      t
        .replace("      at: plausible\n", "      at: simulator\n")
        .replace('    at: readings\n    arrival: "2024-05-01T12:03:00Z"', '    at: lake\n    arrival: "2024-05-01T12:03:00Z"')
        .replace("- { device_id: sensor-1, temperature: 20, recorded_at: \"2024-05-01T12:01:00Z\" }\n      - { device_id: sensor-1, temperature: 22", "- { device_id: sensor-1, temprature: 20, recorded_at: \"2024-05-01T12:01:00Z\" }\n      - { device_id: sensor-1, temperature: 22"),
    );
    const r = pipegen(cwd, "test", "--reporter", "short");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/:\d+:11: error PG3003 tests\.filter_keeps_plausible_readings\.expect\.at: `expect\.at: simulator` of test `filter_keeps_plausible_readings` is not downstream of `at: readings`/);
    expect(r.err).toMatch(/:\d+:11: error PG3003 tests\.windowed_average_per_device\.expect\.at: `expect\.at: averages` of test `windowed_average_per_device` is not downstream of `at: lake`.*\(hint: components downstream of `lake`: lake\)/);
    expect(r.err).toMatch(/:\d+:32: error PG3005 tests\.api_answers_weighted_average\.records\[0\]\.temprature: field `temprature` is not in the records entering `readings` \(hint: did you mean `temperature`\?/);
    expect(r.err).toContain("no case ran");
  });
});

describe("spans that are not a deployed function", () => {
  it("records inserted at a transform or a sink run generated handlers for just that span", () => {
    const cases = `
  into_the_aggregate:
    at: per_device
    records:
      - { device_id: sensor-7, temperature: 999, recorded_at: "2024-05-01T12:00:00Z" }
      - { device_id: sensor-7, temperature: 1, recorded_at: "2024-05-01T12:00:00Z" }
    expect:
      at: per_device
      records:
        - { device_id: sensor-7, window_start: "2024-01-01T00:00:00Z", window_end: "2024-01-01T00:05:00Z", average_temperature: 500, min_temperature: 1, max_temperature: 999, readings: 2 }
  into_the_lake:
    at: lake
    arrival: "2024-05-01T23:59:59Z"
    records:
      - { device_id: sensor-1, temperature: 20, recorded_at: "2024-05-01T12:00:00Z" }
    expect:
      at: lake
      records:
        - { device_id: sensor-1, temperature: 20, recorded_at: "2024-05-01T12:00:00Z" }
`;
    const cwd = variant((t) => t.replace("\ntests:", `\ntests:${cases}`));
    const r = pipegen(cwd, "test", "--json");
    expect(r.err).toBe("");
    const j = JSON.parse(r.out);
    const byName = Object.fromEntries(j.files.find((f: { file: string }) => f.file === "pipelines/temperature.yaml").cases.map((c: { name: string }) => [c.name, c]));
    // The filter is upstream of the aggregate: inserted there, 999 is not filtered.
    expect(byName.into_the_aggregate).toMatchObject({ ok: true, ran: "generated span", counts: { inserted: 2, passed: 2, dropped: 0 } });
    expect(byName.into_the_lake).toMatchObject({ ok: true, ran: "generated span" });
    expect(j.passed).toBe(5);
  });
});
