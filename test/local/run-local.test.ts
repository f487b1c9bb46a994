// `pipegen run pipelines/temperature.yaml --local` end to end, as a user runs it: a child process that
// starts its own moto_server, applies the generated module to it (one terraform apply), generates a
// bounded number of records at ×60 speed, and serves the API on a local port. While it serves, this
// test reads what landed in the emulated S3 and DynamoDB and asks the API; then it presses Ctrl-C
// (SIGINT) and checks the summary and that no process is left behind.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { freePort, pidAlive } from "../../src/local/moto.ts";

const repo = join(import.meta.dirname, "../..");
const RECORDS = 50;
let child: ChildProcess | undefined;
let out = "";
let motoPid: number | undefined;

afterAll(async () => {
  // Only if an assertion failed half-way: never leave the run (or its emulator) behind. Ctrl-C
  // first, so it removes its working folder; then by force.
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child!.once("exit", r));
    child.kill("SIGINT");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 30_000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
  if (motoPid !== undefined && pidAlive(motoPid)) process.kill(-motoPid, "SIGKILL");
}, 60_000);

/** Resolves with the first match of `re` in the child's stdout, or rejects after `ms`. */
function waitFor(re: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const t = setInterval(() => {
      const m = re.exec(out);
      if (m) {
        clearInterval(t);
        resolve(m);
      } else if (Date.now() - started > ms || child?.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`no ${re} in the output of pipegen run (exit ${String(child?.exitCode)}):\n${out}`));
      }
    }, 200);
  });
}

/** Processes whose process group is `pgid` (moto runs in its own group). */
function groupMembers(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Processes whose command line mentions `text` (the emulator watchdog carries the child's PID). */
function processesMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** How `pipegen run` reports a failed apply (the exit follows). */
const APPLY_FAILED = /^pipegen run: terraform apply .* failed \(exit \d+\):$/m;

interface Started {
  port: number;
  endpoint: string;
  childPid: number;
  motoPid: number;
  exited: Promise<number | null>;
}

/** Starts `pipegen run --local` as a child and waits until its module is applied. */
async function start(): Promise<Started> {
  const port = await freePort();
  out = "";
  child = spawn(process.execPath, [join(repo, "bin/pipegen.js"), "run", "pipelines/temperature.yaml", "--local", "--records", String(RECORDS), "--speed", "60", "--duration", "900", "--port", String(port)], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  const childPid = child.pid!;
  child.stdout!.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString("utf8")));
  const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
  const [, endpoint, pid] = await waitFor(/^emulator +moto_server at (http:\/\/127\.0\.0\.1:\d+) \(pid (\d+)\)$/m, 60_000);
  motoPid = Number(pid);
  expect(pidAlive(motoPid)).toBe(true);
  await waitFor(/^applied +\d+ resources/m, 480_000);
  return { port, endpoint: endpoint!, childPid, motoPid, exited };
}

describe("pipegen run --local", () => {
  it("applies the module to moto, generates a bounded number of records, lands them in S3 and DynamoDB, serves the API, and Ctrl-C leaves nothing behind", async () => {
    let run: Started;
    try {
      run = await start();
    } catch (e) {
      // Once in many CI runs, moto_server stopped answering two CreateFunction calls for five
      // minutes and terraform then failed on its own retry with a conflict. That is the emulator,
      // not the module: say so loudly, with everything printed, and try once more. A second
      // failure fails the test, and any failure after the apply is never retried.
      if (!APPLY_FAILED.test(out)) throw e;
      console.warn(`WARNING: pipegen run --local: terraform apply against moto failed; retrying once. What the run printed:\n${out}`);
      run = await start();
    }
    const { port, endpoint, childPid, motoPid: moto, exited } = run;
    expect(out).toMatch(/^quirk +emulator only: bucket-policy statements with a Condition .*\(aws_s3_bucket_policy\.access_logs, aws_s3_bucket_policy\.lake\)$/m);
    await waitFor(new RegExp(`^api +GET http://127\\.0\\.0\\.1:${port}/api/v1/temperature `, "m"), 60_000);
    await waitFor(/^drained +(\d+) generated records processed; serving until --duration ends or Ctrl-C$/m, 120_000);
    expect(out).toMatch(/^\[ +\d+s\] simulator \d+ {2}readings /m);

    const c = { endpoint, region: "us-east-1", credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
    const s3 = new S3Client({ ...c, forcePathStyle: true });
    const ddb = new DynamoDBClient(c);
    const sqs = new SQSClient(c);
    try {
      // S3: every generated reading, once, as JSON lines under raw/dt=YYYY-MM-DD/.
      const bucket = /lake s3:\/\/([a-z0-9.-]+)/.exec(out)![1]!;
      const objects = (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [];
      const readings: Array<{ device_id: string; temperature: number; recorded_at: string }> = [];
      for (const o of objects) {
        expect(o.Key).toMatch(/^raw\/dt=\d{4}-\d{2}-\d{2}\/shardId-\d+\/\d+(-\d+)?\.jsonl$/);
        const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }))).Body!.transformToString();
        readings.push(...body.trim().split("\n").map((l) => JSON.parse(l)));
      }
      expect(readings).toHaveLength(RECORDS);
      for (const r of readings) {
        expect(["sensor-1", "sensor-2", "sensor-3"]).toContain(r.device_id);
        expect(r.temperature).toBeGreaterThanOrEqual(18);
        expect(r.temperature).toBeLessThanOrEqual(32);
      }

      // DynamoDB: one item per device and window whose counts add up to every reading (all plausible).
      const table = /averages table ([A-Za-z0-9._-]+)/.exec(out)![1]!;
      const items = (await ddb.send(new ScanCommand({ TableName: table }))).Items ?? [];
      expect(items.length).toBeGreaterThan(0);
      expect(items.reduce((n, i) => n + Number(i.readings!.N), 0)).toBe(RECORDS);
      for (const i of items) {
        expect(Date.parse(i.window_end!.S!) - Date.parse(i.window_start!.S!)).toBe(300_000);
        expect(Number(i.min_temperature!.N)).toBeLessThanOrEqual(Number(i.average_temperature!.N));
        expect(Number(i.max_temperature!.N)).toBeGreaterThanOrEqual(Number(i.average_temperature!.N));
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

      // The API on localhost answers from that table: the count-weighted average equals the raw mean.
      const get = async (path: string) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const all = await get("/api/v1/temperature");
      expect(all.status).toBe(200);
      expect(all.body.count).toBe(items.length);
      expect(all.body.average as number).toBeCloseTo(mean(readings.map((r) => r.temperature)), 9);
      const device = readings[0]!.device_id;
      const one = await get(`/api/v1/temperature?device_id=${device}`);
      expect(one.status).toBe(200);
      expect(one.body.device_id).toBe(device);
      expect(one.body.average as number).toBeCloseTo(mean(readings.filter((r) => r.device_id === device).map((r) => r.temperature)), 9);
      expect((await get("/api/v1/temperature?colour=red")).status).toBe(400);
      expect(await get("/api/v1/nothing")).toEqual({ status: 404, body: { message: "Not Found" } });

      // Nothing went to a dead-letter queue.
      for (const fn of ["lake", "per-device"]) {
        const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: `temperature-local-${fn}-dlq` }))).QueueUrl!;
        const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }))).Attributes!;
        expect(attrs.ApproximateNumberOfMessages, fn).toBe("0");
      }
    } finally {
      s3.destroy();
      ddb.destroy();
      sqs.destroy();
    }

    // Ctrl-C: a clean shutdown with a summary, the emulator stopped by its PID, nothing left running.
    child!.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(out).toMatch(/^summary +temperature ran /m);
    expect(out).toMatch(new RegExp(`^  simulator +generator +simulator +- +${RECORDS} `, "m"));
    expect(out).toMatch(new RegExp(`^  lake +s3 +lake +${RECORDS} +${RECORDS} +- +0`, "m"));
    expect(out).toMatch(new RegExp(`^  plausible +filter +per_device +${RECORDS} +${RECORDS} +0 +0`, "m"));
    expect(out).toMatch(/^dead letters: none$/m);
    expect(out).toContain(`stopped   moto_server (pid ${moto})`);
    expect(pidAlive(moto)).toBe(false);
    expect(groupMembers(moto)).toEqual([]);
    expect(processesMentioning(String(childPid))).toEqual([]);
    expect(pidAlive(childPid)).toBe(false);
  }, 1_200_000);
});
