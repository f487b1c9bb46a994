/** API Gateway HTTP API (payload v2) handler answering weighted averages from a DynamoDB table. */
import type { ApiGatewayV2Event, ApiGatewayV2Result } from "./events.ts";
import { dynamoDocClient } from "./clients.ts";
import { requireEnv } from "./env.ts";
import { errorReason, logJson } from "./log.ts";
import { readAll } from "./dynamodb-read.ts";
import { queryInput, scanInput } from "./http-filter.ts";
import { weightedAverage } from "./weighted.ts";

/** One GET route: the averaged field, its optional count weight and the allowed filters. */
export interface HttpRoute {
  method: "GET";
  path: string;
  average: string;
  weight?: string;
  /** Query parameters allowed, each a record field; the table partition key is served by Query. */
  filters: string[];
}

/** Options of {@link httpApiHandler}. */
export interface HttpApiOptions {
  tableEnv: string;
  partitionKey: string;
  routes: HttpRoute[];
}

function json(statusCode: number, body: unknown): ApiGatewayV2Result {
  return { statusCode, headers: { "content-type": "application/json", "cache-control": "no-store" }, body: JSON.stringify(body) };
}

function normalizePath(p: string): string {
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

/** Matches the request to a route by method and path; payload v2 carries both in requestContext.http. */
export function matchRoute(routes: readonly HttpRoute[], event: ApiGatewayV2Event): HttpRoute | undefined {
  const method = (event.requestContext?.http?.method ?? event.routeKey.split(" ")[0] ?? "").toUpperCase();
  const path = normalizePath(event.rawPath ?? event.requestContext?.http?.path ?? "");
  return routes.find((r) => r.method === method && normalizePath(r.path) === path);
}

/** Validates query parameters: each must be an allowed filter with a non-empty value. */
export function parseFilters(route: HttpRoute, params: Record<string, string | undefined> | null | undefined): { ok: true; filters: Array<[string, string]> } | { ok: false; error: string } {
  const allowed = route.filters.length ? route.filters.join(", ") : "(none)";
  const filters: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(params ?? {})) {
    if (!route.filters.includes(name)) return { ok: false, error: `unknown query parameter '${name}'; allowed: ${allowed}` };
    if (value === undefined || value === "") return { ok: false, error: `query parameter '${name}' is empty; allowed: ${allowed}` };
    filters.push([name, value]);
  }
  return { ok: true, filters };
}

function isValidationError(err: unknown): boolean {
  return err instanceof Error && err.name === "ValidationException";
}

/** GET handler: `{average, count, ...filters}`; 404 for unknown routes, 400 for bad parameters. */
export function httpApiHandler(o: HttpApiOptions): (event: ApiGatewayV2Event) => Promise<ApiGatewayV2Result> {
  return async (event) => {
    const route = matchRoute(o.routes, event);
    if (!route) return json(404, { error: `no route for ${event.requestContext?.http?.method ?? "?"} ${event.rawPath}` });
    const parsed = parseFilters(route, event.queryStringParameters);
    if (!parsed.ok) return json(400, { error: parsed.error });
    const table = requireEnv(o.tableEnv);
    const client = dynamoDocClient();
    const projection = route.weight === undefined ? [route.average] : [route.average, route.weight];
    const pk = parsed.filters.find(([f]) => f === o.partitionKey);
    const rest = parsed.filters.filter(([f]) => f !== o.partitionKey);
    try {
      let items;
      if (pk === undefined) items = await readAll(client, { scan: scanInput(table, rest, projection) });
      else {
        try {
          items = await readAll(client, { query: queryInput(table, o.partitionKey, pk[1], rest, projection) });
        } catch (err) {
          // The key's type is fixed by the table; a numeric key rejects a string value, so retry as a number.
          if (!isValidationError(err) || !Number.isFinite(Number(pk[1]))) throw err;
          items = await readAll(client, { query: queryInput(table, o.partitionKey, Number(pk[1]), rest, projection) });
        }
      }
      const { average, count } = weightedAverage(items, route.average, route.weight);
      return json(200, { average, count, ...Object.fromEntries(parsed.filters) });
    } catch (err) {
      logJson("error", "api_read_failed", { path: route.path, reason: errorReason(err) });
      return json(500, { error: "internal error" });
    }
  };
}
