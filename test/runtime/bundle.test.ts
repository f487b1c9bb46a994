import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { build, type Metafile } from "esbuild";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { kinesisEvent, seq } from "./events.ts";

const repo = resolve(import.meta.dirname, "../..");
let dir: string;

// What the generator emits: a tiny handler importing "pipegen/runtime".
const handlerSource = `
import { streamHandler, s3Sink, dynamodbSink, generatorHandler, httpApiHandler, windowedAggregateHandler } from "pipegen/runtime";
const dropAll = (r) => (r.keep ? r : null);
export const handler = streamHandler({
  contract: { fields: { id: "string" } },
  steps: [dropAll],
  sinks: [s3Sink({ name: "raw", bucketEnv: "B", prefix: "raw/", partitionBy: ["date"] }), dynamodbSink({ name: "t", tableEnv: "T", partitionKey: "id" })],
});
export const factories = [generatorHandler, httpApiHandler, windowedAggregateHandler].map((f) => typeof f);
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pipegen-runtime-bundle-"));
  // The bundle keeps @aws-sdk/* external (the Lambda runtime ships it); resolve it from the repo.
  symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"), "dir");
  writeFileSync(join(dir, "handler.ts"), handlerSource);
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("runtime bundle", () => {
  it("bundles with esbuild (node22 ESM, @aws-sdk external) and runs", async () => {
    const out = join(dir, "index.mjs");
    const result = await build({
      entryPoints: [join(dir, "handler.ts")],
      outfile: out,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      external: ["@aws-sdk/*"],
      alias: { "pipegen/runtime": join(repo, "src/runtime/index.ts") },
      metafile: true,
      logLevel: "silent",
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const inputs = Object.keys((result.metafile as Metafile).inputs);
    expect(inputs.filter((p) => p.includes("node_modules"))).toEqual([]);
    expect(inputs.some((p) => p.endsWith("src/runtime/index.ts"))).toBe(true);
    expect(readFileSync(out, "utf8")).toMatch(/from "@aws-sdk\/client-s3"/);

    const mod = (await import(pathToFileURL(out).href)) as {
      handler: (e: unknown) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
      factories: string[];
    };
    expect(mod.factories).toEqual(["function", "function", "function"]);
    // Every record is filtered or fails the contract, so no AWS call is needed.
    const res = await mod.handler(kinesisEvent([{ id: "a" }, { id: 1 }, { id: "b" }]));
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: seq(2) }] });
  });
});
