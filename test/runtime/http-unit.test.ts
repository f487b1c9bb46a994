import { describe, expect, it } from "vitest";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { matchRoute, parseFilters, type HttpRoute } from "../../src/runtime/http-api.ts";
import { candidates, queryInput, scanInput } from "../../src/runtime/http-filter.ts";
import { readAll } from "../../src/runtime/dynamodb-read.ts";
import type { DocSender } from "../../src/runtime/dynamodb-batch.ts";
import { apiEvent } from "./events.ts";

const routes: HttpRoute[] = [
  { method: "GET", path: "/average", average: "avg_temp", weight: "readings", filters: ["device_id", "site"] },
  { method: "GET", path: "/all", average: "avg_temp", filters: [] },
];

describe("matchRoute", () => {
  it.each([
    { path: "/average", method: "GET", want: "/average" },
    { path: "/average/", method: "GET", want: "/average" },
    { path: "/average", method: "POST", want: undefined },
    { path: "/nope", method: "GET", want: undefined },
  ])("$method $path", ({ path, method, want }) => {
    expect(matchRoute(routes, apiEvent(path, undefined, method))?.path).toBe(want);
  });
});

describe("parseFilters", () => {
  it.each([
    { given: undefined, want: { ok: true, filters: [] } },
    { given: { device_id: "d1" }, want: { ok: true, filters: [["device_id", "d1"]] } },
    { given: { color: "red" }, want: { ok: false, error: "unknown query parameter 'color'; allowed: device_id, site" } },
    { given: { device_id: "" }, want: { ok: false, error: "query parameter 'device_id' is empty; allowed: device_id, site" } },
  ])("$given", ({ given, want }) => {
    expect(parseFilters(routes[0]!, given)).toEqual(want);
  });

  it("names '(none)' when a route takes no parameters", () => {
    expect(parseFilters(routes[1]!, { x: "1" })).toEqual({ ok: false, error: "unknown query parameter 'x'; allowed: (none)" });
  });
});

describe("filter expressions", () => {
  it("matches string or the number/boolean a query value spells", () => {
    expect(candidates("abc")).toEqual(["abc"]);
    expect(candidates("42")).toEqual(["42", 42]);
    expect(candidates("true")).toEqual(["true", true]);
    expect(candidates(" ")).toEqual([" "]);
  });

  it("builds a Scan with ORed candidates and a projection", () => {
    expect(scanInput("t", [["site", "7"]], ["avg_temp", "readings"])).toEqual({
      TableName: "t",
      ProjectionExpression: "#p0, #p1",
      ExpressionAttributeNames: { "#f0": "site", "#p0": "avg_temp", "#p1": "readings" },
      FilterExpression: "(#f0 = :f0_0 OR #f0 = :f0_1)",
      ExpressionAttributeValues: { ":f0_0": "7", ":f0_1": 7 },
    });
  });

  it("builds a Query on the partition key", () => {
    const q = queryInput("t", "device_id", "d1", [], ["avg_temp"]);
    expect(q.KeyConditionExpression).toBe("#pk = :pk");
    expect(q.ExpressionAttributeValues).toEqual({ ":pk": "d1" });
    expect(q.FilterExpression).toBeUndefined();
  });
});

describe("readAll", () => {
  it("follows LastEvaluatedKey to the last page", async () => {
    const starts: unknown[] = [];
    const pages = [
      { Items: [{ a: 1 }], LastEvaluatedKey: { k: "1" } },
      { Items: [{ a: 2 }, { a: 3 }], LastEvaluatedKey: { k: "3" } },
      { Items: [] },
    ];
    const client = {
      send: async (cmd: ScanCommand) => {
        starts.push(cmd.input.ExclusiveStartKey);
        return pages[starts.length - 1];
      },
    } as unknown as DocSender;
    expect(await readAll(client, { scan: { TableName: "t" } })).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(starts).toEqual([undefined, { k: "1" }, { k: "3" }]);
  });
});
