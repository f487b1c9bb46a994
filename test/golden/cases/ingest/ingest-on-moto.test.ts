import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { MotoServer } from "../../../support/moto.ts";
import { pidAlive, startMoto } from "../../../support/moto.ts";
import { prepareModuleForMoto } from "../../../support/emulated-module.ts";
import { apply, destroy, init, outputs, planDetailed, runTerraform } from "../../../support/terraform.ts";
import { explainedChanges, formatDrift, unexpectedChanges, MOTO_DRIFT_ALLOWLIST } from "../../../support/drift-allowlist.ts";
import { loadBundledHandler } from "../../../support/bundles.ts";
import { applyMotoQuirks, MOTO_APPLY_QUIRKS } from "../../../support/moto-quirks.ts";
import { readStream } from "../../../e2e/kinesis-events.ts";
import type { ApiGatewayV2Event, ApiGatewayV2Result } from "../../../../src/runtime/index.ts";

// The ingest golden module applied to moto: the APIs, routes (IAM and JWT), authorizer, functions
// and stream are created; the BUNDLED ingest handlers, called with API Gateway HTTP API events (and
// once over real HTTP on the loopback interface), put records that are read back from the emulated
// stream; a re-plan shows no changes, and destroy removes everything. moto does not run API
// Gateway's own request path (SigV4/JWT checks, the Lambda proxy integration), so the route
// authorization is proven by the module's meaning test and the security rules instead.
const moduleDir = join(import.meta.dirname, "expected/ingest");
const devVars = { environment: "dev", ephemeral: true };
let moto: MotoServer;
let work: string;
let out: Record<string, any>;
let kinesis: KinesisClient;
const savedEnv = { ...process.env };

type Handler = (e: ApiGatewayV2Event) => Promise<ApiGatewayV2Result>;
const fn = (name: string) => loadBundledHandler<Handler>(join(moduleDir, "dist", `${name}.zip`));

/** An HTTP API payload 2.0 event for `POST <path>`, as API Gateway sends it after authorization. */
function post(path: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }): ApiGatewayV2Event {
  return {
    version: "2.0",
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers,
    requestContext: { http: { method: "POST", path, protocol: "HTTP/1.1", sourceIp: "198.51.100.7", userAgent: "sensor/1.0" } },
    body,
    isBase64Encoded: false,
  };
}

const reading = (device_id: string, temperature: number) => ({ device_id, temperature, recorded_at: "2026-11-25T10:00:00Z" });

/** Every record in the stream, decoded, with its partition key. */
async function streamRecords(): Promise<Array<{ key: string; record: Record<string, unknown> }>> {
  const shards = await readStream(kinesis, out.readings_stream_name);
  return shards.flatMap((s) => s.records.map((r) => ({ key: r.partitionKey, record: JSON.parse(r.data.toString()) as Record<string, unknown> })));
}

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
  });
  kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
  work = await prepareModuleForMoto(moduleDir, moto.endpoint);
  const touched = await applyMotoQuirks(work);
  expect(touched).toEqual(["aws_s3_bucket_policy.access_logs", "aws_s3_bucket_policy.lake"]);
  console.log(MOTO_APPLY_QUIRKS.map((q) => `emulator quirk ${q.id} on ${touched.join(", ")}: ${q.change} — ${q.reason}`).join("\n"));
  await init(work);
  await apply(work, devVars);
  out = await outputs(work);
}, 600_000);

afterAll(async () => {
  process.env = savedEnv;
  if (work) rmSync(work, { recursive: true, force: true });
  if (moto) {
    const pid = moto.pid;
    await moto.stop();
    expect(pidAlive(pid)).toBe(false);
  }
});

describe("ingest pipeline on moto", () => {
  it("re-plans with no changes after apply (known emulator differences listed and printed)", async () => {
    const plan = await planDetailed(work, devVars);
    const explained = explainedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST);
    if (explained.length) console.log(`allowlisted emulator drift:\n${formatDrift([], explained)}`);
    expect(unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST), formatDrift(unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST))).toEqual([]);
    expect(out.readings_stream_name).toBe("ingest-dev-readings");
    expect(out.devices_route_arn).toMatch(/^arn:aws:execute-api:us-east-1:123456789012:\w+\/\*\/POST\/ingest\/v1\/devices$/);
  });

  it("the emulated APIs have the POST routes with IAM and JWT authorization, and the JWT authorizer (as read back from moto)", async () => {
    // `terraform show -json` prints the state as refreshed from the emulator by the re-plan above.
    const state = JSON.parse((await runTerraform(work, ["show", "-json", "-no-color"])).stdout) as { values: { root_module: { resources: Array<{ address: string; values: Record<string, any> }> } } };
    const values = (addr: string) => state.values.root_module.resources.find((r) => r.address === addr)!.values;
    expect([values("aws_apigatewayv2_route.devices").route_key, values("aws_apigatewayv2_route.devices").authorization_type]).toEqual(["POST /ingest/v1/devices", "AWS_IAM"]);
    const app = values("aws_apigatewayv2_route.app");
    expect([app.route_key, app.authorization_type]).toEqual(["POST /api/v1/readings", "JWT"]);
    const authorizer = values("aws_apigatewayv2_authorizer.app");
    expect(app.authorizer_id).toBe(authorizer.id);
    expect([authorizer.authorizer_type, authorizer.jwt_configuration]).toEqual(["JWT", [{ issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123", audience: ["sensor-app"] }]]);
    expect(values("aws_lambda_permission.devices_api").source_arn).toBe(out.devices_route_arn);
  });

  it("the bundled ingest handler puts valid requests into the stream, partitioned by device, and rejects invalid ones whole", async () => {
    process.env.PIPEGEN_STREAM = out.readings_stream_name;
    const devices = await fn("devices");
    const ok = await devices(post("/ingest/v1/devices", JSON.stringify([reading("sensor-1", 21.5), reading("sensor-2", 19)])));
    expect([ok.statusCode, JSON.parse(ok.body)]).toEqual([200, { accepted: 2 }]);
    const one = await devices(post("/ingest/v1/devices", JSON.stringify({ records: [reading("sensor-3", 22)] })));
    expect(one.statusCode).toBe(200);
    const bad = await devices(post("/ingest/v1/devices", JSON.stringify([reading("sensor-4", 1), { device_id: "sensor-5", temperature: "warm", recorded_at: "2026-11-25T10:00:00Z" }])));
    expect([bad.statusCode, JSON.parse(bad.body).rejected]).toEqual([400, [{ index: 1, reason: "field 'temperature' is not a number" }]]);
    // max_records: 100 on this endpoint.
    const many = await devices(post("/ingest/v1/devices", JSON.stringify(Array.from({ length: 101 }, (_, i) => reading(`s${i}`, i)))));
    expect(many.statusCode).toBe(413);

    const stored = await streamRecords();
    expect(stored.map((s) => s.record).sort((a, b) => String(a.device_id).localeCompare(String(b.device_id)))).toEqual([reading("sensor-1", 21.5), reading("sensor-2", 19), reading("sensor-3", 22)]);
    expect(stored.every((s) => s.key === s.record.device_id)).toBe(true);
  });

  it("the bundled JWT endpoint handler answers real HTTP requests on the loopback interface (through a payload 2.0 adapter)", async () => {
    process.env.PIPEGEN_STREAM = out.readings_stream_name;
    const app = await fn("app");
    // A stand-in for API Gateway's proxy integration: HTTP request → payload 2.0 event → HTTP response.
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(",") : String(v)]));
        const event: ApiGatewayV2Event = { ...post(req.url ?? "/", Buffer.concat(chunks).toString("utf8"), headers), requestContext: { http: { method: req.method ?? "GET", path: req.url ?? "/" } } };
        void app(event).then((r) => {
          res.writeHead(r.statusCode, r.headers);
          res.end(r.body);
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/readings`;
    try {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(reading("phone-1", 23.5)) });
      expect([res.status, await res.json()]).toEqual([200, { accepted: 1 }]);
      const csv = await fetch(url, { method: "POST", headers: { "content-type": "text/csv" }, body: "device_id,temperature" });
      expect(csv.status).toBe(415);
      const get = await fetch(url);
      expect([get.status, get.headers.get("allow")]).toEqual([405, "POST"]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect((await streamRecords()).map((s) => s.record.device_id)).toContain("phone-1");
  });

  it("destroys the environment", async () => {
    await destroy(work, devVars);
    const gone = await readStream(kinesis, out.readings_stream_name).catch((e: Error) => e);
    expect(gone).toBeInstanceOf(Error);
  });
});
