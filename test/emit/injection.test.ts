import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { parse } from "@cdktf/hcl2json";
import { main } from "../../src/cli/main.ts";
import { loadBundledHandler } from "../support/bundles.ts";

// Spec strings that would break out of an HCL string or a TypeScript literal if pasted raw.
const EVIL = [
  '"; } resource "aws_iam_user" "x" { name = "pwned',
  '${file("/etc/passwd")}',
  "%{ if true }pwned%{ endif }",
  "back\\slash\\",
  "line\nbreak",
  '"); throw new Error("pwned"); ("',
  "`${process.exit(1)}`",
  "*/ process.exit(1) /*",
];

function spec() {
  return {
    pipeline: "inject",
    description: EVIL.join(" | "),
    owner: "team",
    tags: { note: "a=b:c/d" },
    record: { id: "string", value: "number" },
    sources: {
      events: { type: "kinesis" },
      fake: { type: "generator", schedule: "rate(5 minutes)", into: "events", fields: { id: { one_of: EVIL }, value: { constant: 1 } } },
    },
    transforms: {
      keep: { type: "filter", inputs: ["events"], where: `id != ${JSON.stringify(EVIL[5])} and id != 'it\\'s'` },
      label: { type: "map", inputs: ["keep"], compute: { tag: `concat(id, ${JSON.stringify(EVIL[6])})` } },
    },
    sinks: { lake: { type: "s3", inputs: ["label"], description: EVIL[1] } },
  };
}

describe("no spec string can inject code", () => {
  it("reaches HCL only as inert string literals", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-inject-"));
    mkdirSync(join(cwd, "pipelines"));
    writeFileSync(join(cwd, "pipelines/inject.yaml"), stringify(spec()));
    let err = "";
    const code = await main(["build"], { cwd, out: () => {}, err: (s) => (err += s) });
    expect(err).toBe("");
    expect(code).toBe(0);
    const mod = join(cwd, "generated/inject");
    const resources: string[] = [];
    for (const f of readdirSync(mod).filter((f) => f.endsWith(".tf"))) {
      const text = readFileSync(join(mod, f), "utf8");
      // Escaped sequences (`$${`, `%%{`) are literal text; only an unescaped one would be evaluated.
      expect(text).not.toMatch(/(?<!\$)\$\{file\(/);
      expect(text).not.toMatch(/(?<!%)%\{ if/);
      const json = (await parse(f, text)) as Record<string, any>;
      for (const [type, byName] of Object.entries(json.resource ?? {})) for (const name of Object.keys(byName as object)) resources.push(`${type}.${name}`);
    }
    // The first EVIL string tries to open an aws_iam_user block.
    expect(resources.filter((r) => r.startsWith("aws_iam_user"))).toEqual([]);
    const fnDesc = ((await parse("fake.tf", readFileSync(join(mod, "fake.tf"), "utf8"))) as any).resource.aws_lambda_function.fake[0].description as string;
    expect(fnDesc).toContain("pipegen inject");
  });

  it("reaches handlers only as data: the bundled handlers run and compare against the literal strings", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "pipegen-inject-"));
    mkdirSync(join(cwd, "pipelines"));
    writeFileSync(join(cwd, "pipelines/inject.yaml"), stringify(spec()));
    expect(await main(["build"], { cwd, out: () => {}, err: () => {} })).toBe(0);
    const source = readFileSync(join(cwd, "generated/inject/handlers/lake.ts"), "utf8");
    expect(source).toContain(JSON.stringify(EVIL[5]));
    // Run the real bundle: records equal to the evil strings are data, filtered or concatenated.
    process.env.PIPEGEN_BUCKET_LAKE = "unused";
    const handler = await loadBundledHandler<(e: unknown) => Promise<{ batchItemFailures: unknown[] }>>(join(cwd, "generated/inject/dist/lake.zip"));
    const ids = [...EVIL, "it's", "plain"];
    const event = {
      Records: ids.map((id, i) => ({
        kinesis: { kinesisSchemaVersion: "1.0", partitionKey: "p", sequenceNumber: String(i + 1), data: Buffer.from(JSON.stringify({ id, value: 1 })).toString("base64"), approximateArrivalTimestamp: 1_764_000_000 },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `shardId-000000000000:${i + 1}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: "arn:aws:iam::123456789012:role/x",
        awsRegion: "us-east-1",
        eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/x",
      })),
    };
    // No S3 endpoint is reachable, so writes fail: every record that passed the filter is a
    // reported failure, and the two filtered ones are not — which shows the filter compared
    // against the literal strings instead of executing them.
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
    process.env.AWS_ACCESS_KEY_ID = "x";
    process.env.AWS_SECRET_ACCESS_KEY = "x";
    process.env.AWS_REGION = "us-east-1";
    process.env.AWS_MAX_ATTEMPTS = "1";
    try {
      const res = await handler(event);
      const failed = res.batchItemFailures.map((f: any) => Number(f.itemIdentifier));
      expect(failed).not.toContain(6); // EVIL[5] was dropped by the filter
      expect(failed).not.toContain(9); // "it's" was dropped by the filter
      expect(failed.sort((a: number, b: number) => a - b)).toEqual([1, 2, 3, 4, 5, 7, 8, 10]);
    } finally {
      for (const k of ["PIPEGEN_BUCKET_LAKE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_MAX_ATTEMPTS"]) delete process.env[k];
    }
  });
});
