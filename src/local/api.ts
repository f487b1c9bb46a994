/** API Gateway HTTP API (payload v2) in front of a handler: route matching, the event, and the response. */
import type { CompiledPipeline } from "./compiled.ts";
import type { Handler } from "./bundles.ts";
import { apiEvent } from "./events.ts";
import { captured, type LogLine } from "./log-capture.ts";

/** One declared route and the function behind it. */
export interface ApiRoute {
  method: string;
  path: string;
  routeKey: string;
  /** Function unit id (= the serve component id). */
  unitId: string;
}

/** An HTTP answer. */
export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  logs: LogLine[];
}

/** Every route of every serve component of a pipeline. */
export function apiRoutes(cp: CompiledPipeline): ApiRoute[] {
  const out: ApiRoute[] = [];
  for (const c of cp.model.components.filter((x) => x.category === "serve")) {
    for (const r of (c.config.routes as Array<{ route: string }> | undefined) ?? []) {
      const [method, path] = r.route.split(" ") as [string, string];
      out.push({ method: method.toUpperCase(), path, routeKey: r.route, unitId: c.id });
    }
  }
  return out;
}

const trim = (p: string) => (p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p);

/** The route API Gateway would pick for a request, or undefined (API Gateway answers 404 itself). */
export function findRoute(routes: readonly ApiRoute[], method: string, path: string): ApiRoute | undefined {
  return routes.find((r) => r.method === method.toUpperCase() && trim(r.path) === trim(path));
}

function json(status: number, body: unknown, logs: LogLine[] = []): ApiAnswer {
  return { status, headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify(body)), logs };
}

/**
 * Sends one request through API Gateway's behaviour: unknown routes get its 404 without invoking
 * anything, a throwing handler its 500, and the handler's response (or a bare value, which payload
 * v2 turns into a 200 JSON answer) becomes the HTTP answer.
 */
export async function callApi(handlerOf: (unitId: string) => Promise<Handler>, routes: readonly ApiRoute[], req: { method: string; url: string; headers?: Record<string, string | string[] | undefined>; body?: Buffer }): Promise<ApiAnswer> {
  const path = new URL(req.url, "http://localhost").pathname;
  const route = findRoute(routes, req.method, decodeURIComponent(path));
  if (!route) return json(404, { message: "Not Found" });
  const handler = await handlerOf(route.unitId);
  const r = await captured(() => handler(apiEvent({ method: req.method, url: req.url, routeKey: route.routeKey, ...(req.headers ? { headers: req.headers } : {}), ...(req.body ? { body: req.body } : {}) })));
  if (!r.ok) return json(500, { message: "Internal Server Error" }, [...r.logs, { level: "error", text: String((r.error as Error)?.stack ?? r.error) }]);
  const v = r.value as { statusCode?: unknown; headers?: Record<string, unknown>; body?: unknown; isBase64Encoded?: boolean } | string | undefined;
  if (typeof v === "object" && v !== null && typeof v.statusCode === "number") {
    const headers: Record<string, string> = {};
    for (const [k, x] of Object.entries(v.headers ?? {})) headers[k.toLowerCase()] = String(x);
    const text = typeof v.body === "string" ? v.body : v.body === undefined ? "" : JSON.stringify(v.body);
    return { status: v.statusCode, headers, body: v.isBase64Encoded ? Buffer.from(text, "base64") : Buffer.from(text), logs: r.logs };
  }
  return json(200, v ?? null, r.logs);
}
