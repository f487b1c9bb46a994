import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { KinesisClient, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { DescribeDeliveryStreamCommand, FirehoseClient } from "@aws-sdk/client-firehose";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { MotoServer } from "../../../support/moto.ts";
import { pidAlive, startMoto } from "../../../support/moto.ts";
import { prepareModuleForMoto } from "../../../support/emulated-module.ts";
import { apply, destroy, init, outputs, planDetailed, runTerraform } from "../../../support/terraform.ts";
import { explainedChanges, formatDrift, unexpectedChanges, MOTO_DRIFT_ALLOWLIST } from "../../../support/drift-allowlist.ts";
import { loadBundledHandler } from "../../../support/bundles.ts";
import { applyMotoQuirks, forgetUndeletable } from "../../../support/moto-quirks.ts";
import { kinesisEvent, readStream } from "../../../e2e/kinesis-events.ts";

// The clickstream golden module applied to moto (5.2.x): the Glue database and tables, the Athena
// workgroup and named queries, the Firehose streams and their roles are created and read back as
// declared (a re-plan shows no changes), the bundled consumer handler puts real Kinesis records
// through PutRecordBatch, and destroy removes everything.
//
// What moto does NOT emulate, so this test cannot prove it and says so:
//  - Firehose delivery: moto writes each PutRecordBatch call synchronously as ONE object, the
//    records' bytes concatenated, under `<prefix as configured>YYYY/MM/DD/HH/` — no JSON → Parquet
//    conversion, no jq, no `!{partitionKeyFromQuery:…}` evaluation, no buffering, no SSE with the CMK.
//    The conversion and partitioning settings are proven by the meaning assertions of
//    parquet-lake.test.ts and `terraform validate`; the records' documents are checked here.
//  - Athena DeleteNamedQuery is not implemented (moto answers HTTP 500, which the provider retries
//    for minutes): the named queries are created and read back here, then removed from the state
//    before destroy (forgetUndeletable, MOTO_UNDELETABLE in test/support/moto-quirks.ts). Their
//    deletion is validated only by `terraform validate` (and, on AWS, the workgroup's force_destroy
//    deletes them with it).
const moduleDir = join(import.meta.dirname, "expected/clickstream");
const devVars = { environment: "dev", ephemeral: true };
let moto: MotoServer;
let work: string;
let out: Record<string, any>;
const savedEnv = { ...process.env };

type Handler = (e: unknown) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

/** The resources of the applied state, by address (what the provider read back from moto). */
async function state(): Promise<Map<string, Record<string, any>>> {
  const shown = JSON.parse((await runTerraform(work, ["show", "-json", "-no-color"])).stdout) as { values?: { root_module?: { resources?: Array<{ address: string; mode: string; values: Record<string, any> }> } } };
  return new Map((shown.values?.root_module?.resources ?? []).filter((r) => r.mode === "managed").map((r) => [r.address, r.values]));
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
  work = await prepareModuleForMoto(moduleDir, moto.endpoint);
  expect(await applyMotoQuirks(work)).toEqual(["aws_s3_bucket_policy.access_logs", "aws_s3_bucket_policy.page_minutes", "aws_s3_bucket_policy.page_views", "aws_s3_bucket_policy.query_results"]);
  await init(work);
  await apply(work, devVars);
  out = await outputs(work);
}, 900_000);

afterAll(async () => {
  process.env = savedEnv;
  if (work) rmSync(work, { recursive: true, force: true });
  if (moto) {
    const pid = moto.pid;
    await moto.stop();
    expect(pidAlive(pid)).toBe(false);
  }
});

describe("clickstream pipeline on moto", () => {
  it("re-plans with no changes after apply (known emulator differences listed and printed)", async () => {
    const plan = await planDetailed(work, devVars);
    const explained = explainedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST);
    if (explained.length) console.log(`allowlisted emulator drift:\n${formatDrift([], explained)}`);
    expect(unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST), formatDrift(unexpectedChanges(plan.plan, MOTO_DRIFT_ALLOWLIST))).toEqual([]);
    expect([out.glue_database_name, out.athena_workgroup_name]).toEqual(["clickstream_dev", "clickstream-dev"]);
    expect([out.page_views_glue_table_name, out.page_views_delivery_stream_name]).toEqual(["page_views", "clickstream-dev-page-views"]);
    expect(out.query_results_bucket_name).toBe("clickstream-dev-query-results-123456789012");
  });

  it("the catalog, the workgroup, the named queries and the streams read back from moto as declared", async () => {
    const s = await state();
    const table = s.get("aws_glue_catalog_table.page_views")!;
    expect(table.storage_descriptor[0].columns.map((c: any) => `${c.name}:${c.type}`)).toEqual(["bounced:boolean", "duration_ms:double", "page:string", "user_id:string", "viewed_at:timestamp", "pipegen_record_id:string"]);
    expect(table.parameters["storage.location.template"]).toBe("s3://clickstream-dev-page-views-123456789012/views/dt=${dt}/hr=${hr}/");
    expect(table.arn).toBe("arn:aws:glue:us-east-1:123456789012:table/clickstream_dev/page_views");
    const wg = s.get("aws_athena_workgroup.this")!.configuration[0];
    expect(wg.enforce_workgroup_configuration).toBe(true);
    expect(wg.result_configuration[0].output_location).toBe("s3://clickstream-dev-query-results-123456789012/");
    expect(wg.result_configuration[0].encryption_configuration[0].encryption_option).toBe("SSE_KMS");
    const q = s.get("aws_athena_named_query.page_views_top_pages")!;
    expect([q.workgroup, q.database, q.query.split("\n")[1]]).toEqual(["clickstream-dev", "clickstream_dev", "FROM page_views"]);
    const fh = (await new FirehoseClient({}).send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: out.page_views_delivery_stream_name }))).DeliveryStreamDescription!;
    expect(fh.DeliveryStreamType).toBe("DirectPut");
    expect(fh.DeliveryStreamEncryptionConfiguration).toMatchObject({ KeyType: "CUSTOMER_MANAGED_CMK" });
    const dest = fh.Destinations![0]!.ExtendedS3DestinationDescription!;
    expect(dest.BucketARN).toBe("arn:aws:s3:::clickstream-dev-page-views-123456789012");
    expect(dest.DataFormatConversionConfiguration?.SchemaConfiguration).toMatchObject({ DatabaseName: "clickstream_dev", TableName: "page_views" });
  });

  it("the bundled handler puts real stream records through PutRecordBatch; only the poison record fails", async () => {
    const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
    const views = [
      { user_id: "u1", page: "/home", duration_ms: 1200, bounced: false, viewed_at: "2026-11-25T10:00:00Z" },
      { user_id: "u2", page: "/pricing", duration_ms: 0, bounced: true, viewed_at: "2026-11-25T10:00:01Z" },
      { user_id: "u3", page: "/pricing", duration_ms: 800, bounced: false, viewed_at: "2026-11-25T12:30:00.5+02:00" },
    ];
    for (const v of views) await kinesis.send(new PutRecordCommand({ StreamName: out.views_stream_name, PartitionKey: v.user_id, Data: Buffer.from(JSON.stringify(v)) }));
    await kinesis.send(new PutRecordCommand({ StreamName: out.views_stream_name, PartitionKey: "x", Data: Buffer.from("{not json") }));
    const shards = (await readStream(kinesis, out.views_stream_name)).filter((sh) => sh.records.length);
    const all = shards.flatMap((sh) => sh.records.map((r) => ({ shardId: sh.shardId, ...r })));
    const poison = all.find((r) => r.data.toString() === "{not json")!;

    process.env.PIPEGEN_DELIVERY_STREAM_PAGE_VIEWS = out.page_views_delivery_stream_name;
    const handler = await loadBundledHandler<Handler>(join(moduleDir, "dist/page_views.zip"));
    const failed: string[] = [];
    for (const shard of shards) failed.push(...(await handler(kinesisEvent(out.views_stream_arn, shard))).batchItemFailures.map((f) => f.itemIdentifier));
    expect(failed).toEqual([poison.sequenceNumber]);

    // What moto did with them: each PutRecordBatch call is one object under the configured prefix
    // (its `!{…}` expressions unevaluated), holding the documents as the writer sent them.
    const s3 = new S3Client({ forcePathStyle: true });
    const bucket = out.page_views_bucket_name as string;
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!);
    const kept = (r: { data: Buffer }) => r.data.toString() !== "{not json" && (JSON.parse(r.data.toString()) as { duration_ms: number }).duration_ms > 0;
    expect(keys.length).toBe(shards.filter((sh) => sh.records.some(kept)).length);
    for (const k of keys) expect(k.startsWith("views/dt=!{partitionKeyFromQuery:dt}/hr=!{partitionKeyFromQuery:hr}/")).toBe(true);
    const docs = (await Promise.all(keys.map(async (Key) => (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToString()))))
      .flatMap((body) => body.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>))
      .sort((a, b) => (String(a.user_id) < String(b.user_id) ? -1 : 1));
    const seqOf = (user: string) => all.find((r) => r.data.toString().includes(`"${user}"`))!;
    // The filter dropped the zero-duration view; timestamps went out as UTC with Z; each row has its stable id.
    expect(docs).toEqual([
      { ...views[0], viewed_at: "2026-11-25T10:00:00.000Z", pipegen_record_id: `${seqOf("u1").shardId}:${seqOf("u1").sequenceNumber}` },
      { ...views[2], viewed_at: "2026-11-25T10:30:00.500Z", pipegen_record_id: `${seqOf("u3").shardId}:${seqOf("u3").sequenceNumber}` },
    ]);
  });

  it("destroys the environment (named queries first leave the state: moto has no DeleteNamedQuery)", async () => {
    expect(await forgetUndeletable(work)).toEqual(["aws_athena_named_query.page_views_deduplicated", "aws_athena_named_query.page_views_top_pages"]);
    await destroy(work, devVars);
    const gone = await new FirehoseClient({}).send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: out.page_views_delivery_stream_name })).catch((e: Error) => e);
    expect(gone).toBeInstanceOf(Error);
    expect((gone as Error).name).toBe("ResourceNotFoundException");
    expect((await state()).size).toBe(0);
  });
});
