// The committed plan fixtures cannot drift from reality: this runs Terraform against a private
// moto_server to produce the replace plan again and checks it summarizes exactly like the
// committed replace-table.json. `RECORD_PLANS=1` re-records every fixture (then run
// `UPDATE_SNAPSHOTS=1 npx vitest run test/delivery/plan-report` and review both diffs).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePlanJson } from "../../src/delivery/plan-report/plan-json.ts";
import { summarize } from "../../src/delivery/plan-report/summarize.ts";
import type { PlanSummary } from "../../src/delivery/plan-report/summarize.ts";
import type { MotoServer } from "../support/moto.ts";
import { startMoto } from "../support/moto.ts";
import { FIXTURES, PLANS_DIR, normalizePlan, recordPlans, recordReplaceTable } from "./fixtures/record-plans.ts";

const RECORD = process.env.RECORD_PLANS === "1";

/** Everything the report shows except the Terraform version (a newer CLI must not fail this). */
function meaning(s: PlanSummary): Omit<PlanSummary, "terraformVersion"> {
  const { terraformVersion: _v, ...rest } = s;
  return rest;
}

describe("plan fixtures against a live Terraform + moto", () => {
  let moto: MotoServer | undefined;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("apply, change the table's hash key, plan: the live plan summarizes exactly like replace-table.json", async () => {
    const live = normalizePlan(await recordReplaceTable(moto!.endpoint), moto!.endpoint);
    const committed = parsePlanJson(readFileSync(join(PLANS_DIR, "replace-table.json"), "utf8"));
    const got = summarize(parsePlanJson(JSON.stringify(live)));
    expect(got.counts).toEqual({ add: 0, change: 1, replace: 1, destroy: 0 });
    expect(got.dataLoss.map((c) => [c.address, c.replacePaths])).toEqual([["aws_dynamodb_table.averages", ["hash_key"]]]);
    expect(meaning(got)).toEqual(meaning(summarize(committed)));
  }, 600_000);

  it(`RECORD_PLANS=1 re-records ${FIXTURES.join(", ")}; otherwise the committed ones are Terraform's own JSON plans`, async () => {
    if (RECORD) {
      console.log(`re-recorded:\n${(await recordPlans()).join("\n")}`);
    }
    for (const name of FIXTURES) {
      const raw = JSON.parse(readFileSync(join(PLANS_DIR, `${name}.json`), "utf8")) as Record<string, unknown>;
      expect(raw.terraform_version, name).toMatch(/^\d+\.\d+\.\d+/);
      expect(raw, name).toHaveProperty("planned_values");
      expect(raw, name).toHaveProperty("configuration");
      expect(() => parsePlanJson(JSON.stringify(raw))).not.toThrow();
    }
  }, 900_000);
});
