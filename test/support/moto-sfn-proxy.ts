/**
 * Step Functions on moto: a proxy for the two calls moto_server does not route, and helpers to run
 * a state machine on moto's interpreter.
 *
 * WHY A PROXY: moto_server 5.2.1 routes neither `ValidateStateMachineDefinition` (the AWS provider
 * calls it for every new or changed aws_sfn_state_machine definition) nor `ListStateMachineVersions`
 * (called on every read). It answers them with an error the provider retries until the apply times
 * out, so a module with a state machine cannot even be planned against plain moto.
 *
 * WHAT IT ANSWERS: exactly the calls listed in MOTO_UNROUTED_CALLS (test/support/moto-quirks.ts,
 * the one place that records them and why), recognised by their `x-amz-target` header, with the
 * answer AWS gives for the generated modules. Everything else, Step Functions calls included, is
 * forwarded to moto UNCHANGED (method, path, headers, body) and moto's answer is passed back as it
 * is. The proxy listens on 127.0.0.1 on a port the kernel picks; close() stops it. Only the
 * provider's `sfn` endpoint goes through it (routeSfnThroughProxy); the tests call moto directly.
 *
 * RUNNING EXECUTIONS: startMotoForStepFunctions() starts moto with its interpreter on
 * (`stepfunctions.execute_state_machine`) and, optionally, moto's Retry waits scaled down
 * (MOTO_SFN_RETRY_WAIT_SCALE, below); runExecution() starts one execution through the API and
 * follows it to its end.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { MOTO_SERVICES } from "./emulated-module.ts";
import type { MotoServer } from "./moto.ts";
import { startMoto } from "./moto.ts";
import { MOTO_UNROUTED_CALLS } from "./moto-quirks.ts";

export interface MotoSfnProxy {
  /** Base URL of the proxy, e.g. http://127.0.0.1:40111 */
  endpoint: string;
  /** How many times each unrouted call was answered by the proxy (the rest went to moto). */
  answered(): Record<string, number>;
  /** Stop listening, drop open connections and wait until the server is closed. Idempotent. */
  close(): Promise<void>;
}

/** Start the proxy in front of `motoEndpoint`; prints what it answers instead of moto and why. */
export async function startMotoSfnProxy(motoEndpoint: string): Promise<MotoSfnProxy> {
  const target = new URL(motoEndpoint);
  const answers = new Map<string, object>(MOTO_UNROUTED_CALLS.map((c) => [c.target, c.answer]));
  const counts: Record<string, number> = Object.fromEntries(MOTO_UNROUTED_CALLS.map((c) => [c.target, 0]));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const call = String(req.headers["x-amz-target"]);
      const answer = answers.get(call);
      if (answer) {
        counts[call] = (counts[call] ?? 0) + 1;
        res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify(answer));
        return;
      }
      const fwd = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      fwd.on("error", (e) => {
        res.writeHead(502);
        res.end(`moto-sfn-proxy: forwarding to ${motoEndpoint} failed: ${String(e)}`);
      });
      fwd.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(
    `moto-sfn-proxy on ${endpoint} answers instead of moto (everything else forwarded unchanged):\n` +
      MOTO_UNROUTED_CALLS.map((c) => `  ${c.target} → ${JSON.stringify(c.answer)} — ${c.reason}`).join("\n"),
  );
  let closing: Promise<void> | undefined;
  return {
    endpoint,
    answered: () => ({ ...counts }),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/**
 * Sends the provider's Step Functions calls of the emulated module in `dir` through the proxy: an
 * override file merged after prepareModuleForMoto's replaces its `endpoints` block, identical but
 * for `sfn`.
 */
export function routeSfnThroughProxy(dir: string, motoEndpoint: string, proxyEndpoint: string): void {
  const width = Math.max(...MOTO_SERVICES.map((s) => s.length));
  const endpoints = MOTO_SERVICES.map((s) => `    ${s.padEnd(width)} = "${s === "sfn" ? proxyEndpoint : motoEndpoint}"`);
  writeFileSync(
    join(dir, "pipegen_moto_sfn_override.tf"),
    `# Test-only: Step Functions through test/support/moto-sfn-proxy.ts.\nprovider "aws" {\n  endpoints {\n${endpoints.join("\n")}\n  }\n}\n`,
  );
}

// ---------------------------------------------------------------------------
// Running executions on moto's interpreter
// ---------------------------------------------------------------------------

/**
 * Factor applied to the Retry waits of moto's Step Functions interpreter when a test asks for it
 * (startMotoForStepFunctions({ scaleRetryWaits: true })). Not an emulator difference but a harness
 * one, recorded here with its reason and printed when used: moto waits a Retry's interval with a
 * real `time.sleep` (moto/stepfunctions/parser/asl/component/common/retry/retrier_decl.py), so a
 * definition retrying after 300 s and 600 s would hold the test for 15 minutes. Scaled, the
 * attempts, their order and the backoff ratio are unchanged; only the wall-clock waits shrink.
 */
export const MOTO_SFN_RETRY_WAIT_SCALE = 0.01;

const RETRY_MODULE = "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl";
const SCALE_MARKER = "pipegen-moto-sfn: Retry waits scaled by";

/**
 * Python startup hook for moto_server (a `sitecustomize` on PYTHONPATH) replacing the `time` the
 * retrier module sleeps with by one that sleeps `scale` times as long. It exits moto_server
 * (SystemExit is not swallowed by site.py) when the module or its `time` is not there any more, so
 * a moto upgrade cannot silently turn the scaling off.
 */
function retryScaleHook(scale: number): string {
  return `import importlib, sys, time as _time, types
try:
    _m = importlib.import_module(${JSON.stringify(RETRY_MODULE)})
    assert getattr(_m, "time", None) is _time, "retrier_decl no longer sleeps with the time module"
except Exception as e:
    sys.stderr.write("pipegen-moto-sfn: cannot scale moto's Retry waits: %r\\n" % (e,))
    raise SystemExit(3)
_m.time = types.SimpleNamespace(sleep=lambda s: _time.sleep(s * ${scale}))
sys.stderr.write("${SCALE_MARKER} ${scale}\\n")
`;
}

export interface MotoSfnOptions {
  /** Scale moto's Retry waits by MOTO_SFN_RETRY_WAIT_SCALE (see there). Default false. */
  scaleRetryWaits?: boolean;
}

/** startMoto() with moto's Step Functions interpreter on (definitions parsed on create, executions run). */
export async function startMotoForStepFunctions(options: MotoSfnOptions = {}): Promise<MotoServer> {
  let moto: MotoServer;
  if (options.scaleRetryWaits) {
    const hookDir = mkdtempSync(join(tmpdir(), "pipegen-moto-sfn-"));
    writeFileSync(join(hookDir, "sitecustomize.py"), retryScaleHook(MOTO_SFN_RETRY_WAIT_SCALE));
    const saved = process.env.PYTHONPATH;
    process.env.PYTHONPATH = saved ? `${hookDir}${delimiter}${saved}` : hookDir;
    try {
      moto = await startMoto();
    } finally {
      if (saved === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = saved;
      rmSync(hookDir, { recursive: true, force: true });
    }
    if (!moto.logs().includes(`${SCALE_MARKER} ${MOTO_SFN_RETRY_WAIT_SCALE}`)) {
      await moto.stop();
      throw new Error(`moto_server started without the Retry-wait scaling hook.\n--- moto_server output ---\n${moto.logs()}`);
    }
    console.log(
      `moto's Step Functions Retry waits scaled by ${MOTO_SFN_RETRY_WAIT_SCALE} (harness, not the module): moto sleeps each Retry interval for real, so the applied definition's waits would hold the test for their full length; attempts, order and backoff are unchanged.`,
    );
  } else {
    moto = await startMoto();
  }
  const config = await fetch(`${moto.endpoint}/moto-api/config`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
  });
  if (config.status !== 201) {
    await moto.stop();
    throw new Error(`moto refused to turn its Step Functions interpreter on: ${config.status} ${await config.text()}`);
  }
  return moto;
}

const JSON_PROTOCOL = {
  states: { prefix: "AWSStepFunctions", version: "1.0" },
  glue: { prefix: "AWSGlue", version: "1.1" },
  athena: { prefix: "AmazonAthena", version: "1.1" },
} as const;

/** A JSON-protocol AWS call (Step Functions, Glue, Athena) straight to moto, which does not check signatures. */
export async function awsJson(endpoint: string, service: keyof typeof JSON_PROTOCOL, action: string, body: object): Promise<any> {
  const { prefix, version } = JSON_PROTOCOL[service];
  const res = await fetch(`${endpoint}/`, {
    method: "POST",
    headers: {
      "content-type": `application/x-amz-json-${version}`,
      "x-amz-target": `${prefix}.${action}`,
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${service} ${action} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : {};
}

export interface ExecutionRun {
  executionArn: string;
  /** DescribeExecution once the execution left RUNNING. */
  described: Record<string, any>;
  /** GetExecutionHistory, oldest event first. */
  history: Array<Record<string, any>>;
}

/** StartExecution through the API, then DescribeExecution until it is no longer RUNNING (throws at the deadline). */
export async function runExecution(endpoint: string, stateMachineArn: string, name: string, timeoutMs = 120_000): Promise<ExecutionRun> {
  const { executionArn } = (await awsJson(endpoint, "states", "StartExecution", { stateMachineArn, name, input: "{}" })) as { executionArn: string };
  const deadline = Date.now() + timeoutMs;
  let described: Record<string, any>;
  for (;;) {
    described = await awsJson(endpoint, "states", "DescribeExecution", { executionArn });
    if (described.status !== "RUNNING") break;
    if (Date.now() > deadline) {
      const history = await awsJson(endpoint, "states", "GetExecutionHistory", { executionArn, maxResults: 1000 });
      throw new Error(`execution ${executionArn} still RUNNING after ${timeoutMs} ms; history so far:\n${JSON.stringify(history.events, null, 1)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const history = (await awsJson(endpoint, "states", "GetExecutionHistory", { executionArn, maxResults: 1000 })).events as Array<Record<string, any>>;
  return { executionArn, described, history };
}
