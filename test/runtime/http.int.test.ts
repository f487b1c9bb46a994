import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { httpApiHandler } from "../../src/runtime/index.ts";
import { startMoto, type Moto } from "./moto.ts";
import { createTable, putItem, testClients } from "./aws.ts";
import { apiEvent } from "./events.ts";

let moto: Moto;

beforeAll(async () => {
  moto = await startMoto();
  const c = testClients();
  process.env.AGG_TABLE = "agg";
  await createTable(c.ddb, "agg", "device_id", "window_start");
  const rows = [
    { device_id: "d1", window_start: "2024-06-10T06:00:00Z", site: "north", floor: 1, avg_temp: 20, readings: 1 },
    { device_id: "d1", window_start: "2024-06-10T06:05:00Z", site: "north", floor: 1, avg_temp: 30, readings: 3 },
    { device_id: "d2", window_start: "2024-06-10T06:00:00Z", site: "south", floor: 2, avg_temp: 10, readings: 4 },
  ];
  for (const row of rows) await putItem(c.ddb, "agg", row);
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterAll(async () => {
  await moto?.stop();
});

const handler = httpApiHandler({
  tableEnv: "AGG_TABLE",
  partitionKey: "device_id",
  routes: [
    { method: "GET", path: "/average", average: "avg_temp", weight: "readings", filters: ["device_id", "site", "floor"] },
    { method: "GET", path: "/plain", average: "avg_temp", filters: [] },
  ],
});

function body(res: { body: string }): unknown {
  return JSON.parse(res.body);
}

describe("httpApiHandler against moto", () => {
  it("answers the count-weighted average over the whole table", async () => {
    const res = await handler(apiEvent("/average"));
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    // (20*1 + 30*3 + 10*4) / 8, not the plain mean 20.
    expect(body(res)).toEqual({ average: 18.75, count: 3 });
  });

  it("answers per device through Query on the partition key", async () => {
    expect(body(await handler(apiEvent("/average", { device_id: "d1" })))).toEqual({ average: 27.5, count: 2, device_id: "d1" });
    expect(body(await handler(apiEvent("/average", { device_id: "nobody" })))).toEqual({ average: null, count: 0, device_id: "nobody" });
  });

  it("filters non-key fields with Scan, matching numbers spelled in the query", async () => {
    expect(body(await handler(apiEvent("/average", { site: "south" })))).toEqual({ average: 10, count: 1, site: "south" });
    expect(body(await handler(apiEvent("/average", { floor: "1", device_id: "d1" })))).toEqual({ average: 27.5, count: 2, floor: "1", device_id: "d1" });
  });

  it("uses a plain mean when the route has no weight", async () => {
    expect(body(await handler(apiEvent("/plain")))).toEqual({ average: 20, count: 3 });
  });

  it("returns 400 naming the allowed parameters", async () => {
    const unknown = await handler(apiEvent("/average", { colour: "red" }));
    expect(unknown.statusCode).toBe(400);
    expect(body(unknown)).toEqual({ error: "unknown query parameter 'colour'; allowed: device_id, site, floor" });
    const empty = await handler(apiEvent("/average", { device_id: "" }));
    expect(empty.statusCode).toBe(400);
    expect((body(empty) as { error: string }).error).toContain("allowed: device_id, site, floor");
  });

  it("returns 404 JSON for an unknown path or method", async () => {
    for (const ev of [apiEvent("/nope"), apiEvent("/average", undefined, "POST")]) {
      const res = await handler(ev);
      expect(res.statusCode).toBe(404);
      expect(body(res)).toHaveProperty("error");
    }
  });

  it("returns 500 JSON when the table is unreachable", async () => {
    const broken = httpApiHandler({ tableEnv: "NO_TABLE", partitionKey: "device_id", routes: [{ method: "GET", path: "/a", average: "x", filters: [] }] });
    process.env.NO_TABLE = "missing";
    const res = await broken(apiEvent("/a"));
    expect(res.statusCode).toBe(500);
    expect(body(res)).toEqual({ error: "internal error" });
  });
});
