/**
 * The pipeline's HTTP API on 127.0.0.1: each request becomes an API Gateway v2 event for the bundled
 * API handler, and its response becomes the HTTP answer. Unlike the deployed API, requests are not
 * SigV4-authorized here: the server only listens on the loopback interface.
 */
import { createServer, type Server } from "node:http";
import type { ApiRoute } from "./api.ts";
import { callApi, findRoute } from "./api.ts";
import type { Handler } from "./bundles.ts";
import type { FunctionStats } from "./stats.ts";

export interface LocalApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1:`port` (0 = any free port). */
export async function serveApi(o: { port: number; routes: readonly ApiRoute[]; handlerOf(unitId: string): Promise<Handler>; stats(unitId: string): FunctionStats; notice(m: string): void }): Promise<LocalApi> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const method = req.method ?? "GET";
        const url = req.url ?? "/";
        try {
          const answer = await callApi(o.handlerOf, o.routes, { method, url, headers: req.headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
          const unit = findRoute(o.routes, method, decodeURIComponent(new URL(url, "http://localhost").pathname))?.unitId ?? o.routes[0]?.unitId;
          if (unit) {
            const st = o.stats(unit);
            st.requests++;
            if (answer.status >= 500) st.answered5xx++;
            else if (answer.status >= 400) st.answered4xx++;
            else st.answered2xx++;
            st.absorb(answer.logs);
          }
          for (const l of answer.logs) if (l.level === "error") o.notice(`api: ${l.text.slice(0, 300)}`);
          res.writeHead(answer.status, answer.headers);
          res.end(method === "HEAD" ? undefined : answer.body);
        } catch (err) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: "Internal Server Error" }));
          o.notice(`api: ${(err as Error).message}`);
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "EADDRINUSE" ? new Error(`port ${o.port} on 127.0.0.1 is in use; pass another with --port (0 picks a free one)`) : e));
    server.listen({ host: "127.0.0.1", port: o.port }, () => resolve());
  });
  const addr = server.address();
  const port = addr && typeof addr === "object" ? addr.port : o.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
