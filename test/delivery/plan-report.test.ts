// `pipegen plan-report`: the committed fixtures are real `terraform show -json` output recorded
// against moto (test/delivery/fixtures/record-plans.ts; plan-report-live.test.ts proves a live
// plan still summarizes the same). Each fixture has a golden Markdown report next to it;
// `UPDATE_SNAPSHOTS=1 npx vitest run test/delivery/plan-report` rewrites them: review the diff.
// The goldens alone would accept a wrong count after an update, so the counts, the warning and
// the guard's exit codes are also asserted by hand.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import type { PlanResourceChange, TerraformPlan } from "../../src/delivery/plan-report/plan-json.ts";
import { parsePlanJson } from "../../src/delivery/plan-report/plan-json.ts";
import { classifyActions, formatAttributePath, summarize } from "../../src/delivery/plan-report/summarize.ts";
import { evaluateGuard, parseLabels } from "../../src/delivery/plan-report/guard.ts";
import { GITHUB_COMMENT_LIMIT, renderReport } from "../../src/delivery/plan-report/render.ts";
import { code } from "../../src/delivery/plan-report/markdown.ts";
import { FIXTURES, PLANS_DIR } from "./fixtures/record-plans.ts";

const UPDATE = process.env.UPDATE_SNAPSHOTS === "1";
const temps: string[] = [];
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { cwd: PLANS_DIR, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const fixture = (name: string): TerraformPlan => parsePlanJson(readFileSync(join(PLANS_DIR, `${name}.json`), "utf8"));

/** A synthetic resource change (for cases the recorded plans cannot show). */
function rc(address: string, actions: string[], extra: Partial<PlanResourceChange> = {}): PlanResourceChange {
  const type = address.replace(/^(module\.[^.]+\.)*(data\.)?/, "").split(".")[0]!;
  return { address, mode: "managed", type, name: "x", change: { actions }, ...extra };
}
const plan = (...changes: PlanResourceChange[]): TerraformPlan => ({ format_version: "1.2", terraform_version: "1.11.4", resource_changes: changes });

describe("golden reports of the recorded plans", () => {
  for (const name of FIXTURES) {
    it(`${name}.json → ${name}.md (--guard, no labels)`, async () => {
      const r = await run("plan-report", `${name}.json`, "--pipeline", "demo", "--environment", "dev", "--guard");
      const golden = join(PLANS_DIR, `${name}.md`);
      if (UPDATE) writeFileSync(golden, r.out);
      expect(r.out, `${name}.md differs (UPDATE_SNAPSHOTS=1 rewrites it)`).toBe(readFileSync(golden, "utf8"));
    });
  }
});

describe("replace-table: the applied demo module with the table's hash key changed id → pk", () => {
  const s = summarize(fixture("replace-table"));

  it("counts one replace (the table) and one in-place change (the bucket's tags); no-ops are not counted", () => {
    expect(s.counts).toEqual({ add: 0, change: 1, replace: 1, destroy: 0 });
    expect(s.byType).toEqual([
      { type: "aws_dynamodb_table", counts: { add: 0, change: 0, replace: 1, destroy: 0 } },
      { type: "aws_s3_bucket", counts: { add: 0, change: 1, replace: 0, destroy: 0 } },
    ]);
    expect(s.changes.map((c) => [c.address, c.action])).toEqual([
      ["aws_dynamodb_table.averages", "replace"],
      ["aws_s3_bucket.lake", "update"],
    ]);
  });

  it("flags the table as stateful data loss, with the attribute forcing the replacement", () => {
    expect(s.dataLoss).toMatchObject([{ address: "aws_dynamodb_table.averages", action: "replace", replacePaths: ["hash_key"], createBeforeDestroy: false }]);
  });

  it("renders a CAUTION alert naming the table, what forces it and what is lost", async () => {
    const r = await run("plan-report", "replace-table.json", "--pipeline", "demo", "--environment", "dev");
    expect(r.code).toBe(0); // no --guard: report only
    expect(r.out.split("\n")[0]).toBe("<!-- pipegen-plan:demo:dev -->");
    expect(r.out).toContain("**0 to add, 1 to change, 1 to replace, 0 to destroy**");
    expect(r.out).toContain("> [!CAUTION]\n> **1 stateful resource would be destroyed or replaced.**");
    expect(r.out).toContain("> - `aws_dynamodb_table.averages`: **replaced** (forced by `hash_key`). Loses every item in the table.");
    expect(r.out).toContain("| `aws_dynamodb_table` | 0 | 0 | 1 | 0 |");
    expect(r.out).toMatch(/<details>\n<summary>All 2 changes<\/summary>[\s\S]*-\/\+ replace aws_dynamodb_table\.averages {2}# forced by hash_key\n~ {3}update {2}aws_s3_bucket\.lake\n/);
    expect(r.out).not.toContain("Plan guard");
  });

  it("--guard exits 1 without the allow label and says so on stderr and in the report", async () => {
    const r = await run("plan-report", "replace-table.json", "--guard", "--labels", "documentation,needs-review");
    expect(r.code).toBe(1);
    expect(r.err).toContain('plan guard: BLOCKED: 1 stateful resource would be destroyed or replaced (aws_dynamodb_table.averages); if that data loss is intended, add the label "allow-stateful-changes"');
    expect(r.out).toContain("> **Plan guard: blocked.** If this data loss is intended, add the label `allow-stateful-changes`");
  });

  it("--guard exits 0 when the pull request carries the allow label (comma list or JSON array), and the report says the label allowed it", async () => {
    for (const labels of ["documentation, allow-stateful-changes", '["documentation","Allow-Stateful-Changes"]']) {
      const r = await run("plan-report", "replace-table.json", "--guard", "--labels", labels);
      expect(r.code, labels).toBe(0);
      expect(r.err).toContain('plan guard: allowed by the label "allow-stateful-changes": 1 stateful resource would be destroyed or replaced');
      expect(r.out).toContain("> **Plan guard: allowed** by the label `allow-stateful-changes` on this pull request.");
    }
  });

  it("--allow-label names a different label", async () => {
    expect((await run("plan-report", "replace-table.json", "--guard", "--labels", "allow-stateful-changes", "--allow-label", "data-loss-ok")).code).toBe(1);
    expect((await run("plan-report", "replace-table.json", "--guard", "--labels", "data-loss-ok", "--allow-label", "data-loss-ok")).code).toBe(0);
  });
});

describe("add-only: the demo module planned fresh", () => {
  it("counts 4 adds, warns about nothing, and the guard passes", async () => {
    const s = summarize(fixture("add-only"));
    expect(s.counts).toEqual({ add: 4, change: 0, replace: 0, destroy: 0 });
    expect(s.dataLoss).toEqual([]);
    const r = await run("plan-report", "add-only.json", "--pipeline", "demo", "--guard");
    expect(r.code).toBe(0);
    expect(r.err).toBe("plan guard: passed: no stateful resource is destroyed or replaced\n");
    expect(r.out).not.toContain("[!CAUTION]");
    expect(r.out).toContain("Plan guard: passed");
    expect(r.out).toContain("| **total** | **4** | **0** | **0** | **0** |");
  });
});

describe("destroy-all: `terraform plan -destroy` of the applied demo module", () => {
  it("counts 4 destroys, warns about the 3 stateful ones (not the encryption configuration), guard exits 1", async () => {
    const s = summarize(fixture("destroy-all"));
    expect(s.counts).toEqual({ add: 0, change: 0, replace: 0, destroy: 4 });
    expect(s.dataLoss.map((c) => c.address)).toEqual(["aws_dynamodb_table.averages", "aws_kms_key.data", "aws_s3_bucket.lake"]);
    const r = await run("plan-report", "destroy-all.json", "--guard");
    expect(r.code).toBe(1);
    expect(r.out).toContain("**3 stateful resources would be destroyed or replaced.** Their data is lost");
  });
});

describe("summarize: cases the recorded plans do not show", () => {
  it.each([
    [["create"], "create", false],
    [["update"], "update", false],
    [["delete", "create"], "replace", false],
    [["create", "delete"], "replace", true],
    [["delete"], "delete", false],
    [["forget"], "forget", false],
  ] as const)("actions %j → %s", (actions, action, cbd) => {
    expect(classifyActions(actions)).toEqual({ action, createBeforeDestroy: cbd });
  });

  it.each([[["no-op"]], [["read"]], [[]]])("actions %j are not a change", (actions) => {
    expect(classifyActions(actions)).toBeUndefined();
  });

  it.each([
    [["hash_key"], "hash_key"],
    [["attribute", 0, "name"], "attribute[0].name"],
    [["tags", "pipegen:pipeline"], 'tags["pipegen:pipeline"]'],
  ] as const)("replace path %j → %s", (path, want) => {
    expect(formatAttributePath([...path])).toBe(want);
  });

  it("counts create_before_destroy and deposed objects, skips data sources, lists forgets without counting them", () => {
    const s = summarize(
      plan(
        rc("module.ingest.aws_kinesis_stream.readings", ["create", "delete"], { action_reason: "replace_because_tainted" }),
        rc("aws_sqs_queue.dlq", ["delete"], { deposed: "abc123", action_reason: "delete_because_no_resource_config" }),
        rc("data.aws_iam_policy_document.x", ["read"], { mode: "data" }),
        rc("aws_lambda_function.f", ["no-op"]),
        rc("aws_cloudwatch_log_group.old", ["forget"]),
        rc("aws_iam_role.r", ["create"]),
      ),
    );
    expect(s.counts).toEqual({ add: 1, change: 0, replace: 1, destroy: 1 });
    expect(s.changes.map((c) => [c.address, c.action])).toEqual([
      ["aws_cloudwatch_log_group.old", "forget"],
      ["aws_iam_role.r", "create"],
      ["aws_sqs_queue.dlq", "delete"],
      ["module.ingest.aws_kinesis_stream.readings", "replace"],
    ]);
    expect(s.dataLoss.map((c) => [c.address, c.reason, c.deposed, c.createBeforeDestroy])).toEqual([
      ["aws_sqs_queue.dlq", "removed from the configuration", true, false],
      ["module.ingest.aws_kinesis_stream.readings", "tainted", false, true],
    ]);
    const md = renderReport(s, { pipeline: "p", environment: "dev", maxChars: 65_000 });
    expect(md).toContain(", 1 to forget (removed from state, left in AWS)**");
    expect(md).toContain("> - `aws_sqs_queue.dlq`: **destroyed** (removed from the configuration; deposed object). Loses every message waiting in the queue");
    expect(md).toContain("+/- replace module.ingest.aws_kinesis_stream.readings  # tainted\n");
    expect(md).toContain(".   forget  aws_cloudwatch_log_group.old\n");
  });

  it("a plan without changes says so and renders no table or listing", () => {
    const md = renderReport(summarize(plan(rc("aws_s3_bucket.b", ["no-op"]))), { pipeline: "p", environment: "prod", maxChars: 65_000 });
    expect(md).toBe("<!-- pipegen-plan:p:prod -->\n\n### Terraform plan: `p` (`prod`)\n\n**No changes.** The infrastructure matches the configuration. · Terraform 1.11.4\n");
  });

  it("an errored plan carries a warning", () => {
    const md = renderReport(summarize({ ...plan(rc("aws_iam_role.r", ["create"])), errored: true }), { pipeline: "p", environment: "dev", maxChars: 65_000 });
    expect(md).toContain("> [!WARNING]\n> Terraform reported errors while planning");
  });

  it("addresses with backticks cannot break out of their code span or the listing's fence", () => {
    expect(code("a`b")).toBe("``a`b``");
    expect(code("`x")).toBe("`` `x ``");
    const md = renderReport(summarize(plan(rc('aws_s3_bucket.b["```x"]', ["delete"]))), { pipeline: "p", environment: "dev", maxChars: 65_000 });
    expect(md).toContain('> - ````aws_s3_bucket.b["```x"]````: **destroyed**');
    expect(md).toContain('````diff\n-   destroy aws_s3_bucket.b["```x"]\n````\n');
  });

  it("parses labels as a comma list or a JSON array", () => {
    expect(parseLabels("")).toEqual([]);
    expect(parseLabels(" a , b,,c ")).toEqual(["a", "b", "c"]);
    expect(parseLabels('["a, with comma","b"]')).toEqual(["a, with comma", "b"]);
    expect(evaluateGuard(summarize(plan()), [], "x").status).toBe("passed");
  });
});

describe("size limit", () => {
  // 5,000 changes with long for_each keys (~120 characters a line) plus 50 stateful replacements.
  const changes = Array.from({ length: 5_000 }, (_, i) => {
    const key = `"${"tenant-".repeat(12)}${String(i).padStart(4, "0")}"`;
    return i % 100 === 0
      ? rc(`aws_dynamodb_table.by_tenant[${key}]`, ["delete", "create"], { change: { actions: ["delete", "create"], replace_paths: [["hash_key"]] } })
      : rc(`aws_iam_role_policy.by_tenant[${key}]`, ["update"]);
  });
  const big = plan(...changes);

  it("a 5,000-change plan stays under the limit, lists what fits and says how many entries were omitted; the warning is whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pipegen-plan-report-"));
    temps.push(dir);
    writeFileSync(join(dir, "big.json"), JSON.stringify(big));
    let out = "";
    const status = await main(["plan-report", "big.json", "--pipeline", "big", "--guard"], { cwd: dir, out: (s) => (out += s), err: () => {} });
    expect(status).toBe(1);
    expect(out.length).toBeLessThanOrEqual(65_000);
    expect(out.length).toBeGreaterThan(60_000); // it fills the budget rather than stopping early
    expect(out.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    const listed = out.split("\n").filter((l) => /^(~|-\/\+) +(update|replace) /.test(l)).length;
    const omitted = Number(/\*\*([\d,]+) more changes omitted\*\* to keep this comment under GitHub's 65,536-character limit/.exec(out)?.[1]?.replaceAll(",", ""));
    expect(listed).toBeGreaterThan(0);
    expect(listed + omitted).toBe(5_000);
    expect(out.match(/^-\/\+ replace /gm), "destroys and replaces are listed first, so the cut drops updates").toHaveLength(50);
    expect(out).toContain(`<summary>All 5,000 changes (${listed.toLocaleString("en-US")} listed)</summary>`);
    expect(out).toContain("**50 stateful resources would be destroyed or replaced.**");
    expect(out.match(/^> - `aws_dynamodb_table\.by_tenant/gm)).toHaveLength(50);
    expect(out).toContain("| **total** | **0** | **4,950** | **50** | **0** |");
  });

  it("--max-chars lowers the budget; the warning is still never cut", () => {
    const md = renderReport(summarize(big), { pipeline: "big", environment: "dev", maxChars: 10_000 });
    expect(md.length).toBeGreaterThan(10_000); // 50 warning lines alone are longer
    expect(md.match(/^> - /gm)).toHaveLength(50);
    expect(md).toContain("**5,000 more changes omitted**");
    const small = renderReport(summarize(plan(...changes.slice(1, 200))), { pipeline: "big", environment: "dev", maxChars: 5_000 });
    expect(small.length).toBeLessThanOrEqual(5_000);
    expect(small).toMatch(/\*\*\d+ more changes omitted\*\*/);
  });
});

describe("bad input", () => {
  it.each([
    ["missing.json", "missing.json: cannot read it (ENOENT)"],
    ["state.json", "this is Terraform state, not a plan"],
    ["not-json.json", "not JSON"],
    ["bad-change.json", "resource_changes[0] lacks address, type or change.actions"],
  ])("%s → exit 1: %s", async (file, message) => {
    const dir = mkdtempSync(join(tmpdir(), "pipegen-plan-report-"));
    temps.push(dir);
    writeFileSync(join(dir, "state.json"), JSON.stringify({ format_version: "1.0", values: { root_module: {} } }));
    writeFileSync(join(dir, "not-json.json"), "PK\u0003\u0004 a binary plan file");
    writeFileSync(join(dir, "bad-change.json"), JSON.stringify({ format_version: "1.2", resource_changes: [{ address: "x" }] }));
    let err = "";
    const status = await main(["plan-report", file], { cwd: dir, out: () => {}, err: (s) => (err += s) });
    expect(status).toBe(1);
    expect(err).toContain(message);
  });

  it.each([
    [["--max-chars", "70000"]],
    [["--max-chars", "lots"]],
    [["--pipeline", "a b"]],
    [["--environment", "dev-->"]],
  ])("usage error %j → exit 2", async (flags) => {
    const r = await run("plan-report", "add-only.json", ...flags);
    expect(r.code).toBe(2);
  });

  it("the fixtures exist (record them with RECORD_PLANS=1, see record-plans.ts)", () => {
    for (const name of FIXTURES) expect(existsSync(join(PLANS_DIR, `${name}.json`)), name).toBe(true);
  });
});
