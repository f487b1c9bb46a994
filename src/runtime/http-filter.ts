/** Turning validated query parameters into DynamoDB Query/Scan inputs. */
import type { QueryCommandInput, ScanCommandInput } from "@aws-sdk/lib-dynamodb";

/**
 * Query strings are untyped, so a filter matches the string value, or the number/boolean it spells.
 * The partition key goes to a Query as a string first (see http-api.ts for the numeric fallback).
 */
export function candidates(v: string): Array<string | number | boolean> {
  const out: Array<string | number | boolean> = [v];
  if (v.trim() !== "" && Number.isFinite(Number(v))) out.push(Number(v));
  if (v === "true" || v === "false") out.push(v === "true");
  return out;
}

interface Exprs {
  names: Record<string, string>;
  values: Record<string, unknown>;
  filter?: string;
}

function filterExprs(filters: ReadonlyArray<[string, string]>, projection: readonly string[]): Exprs {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clauses: string[] = [];
  filters.forEach(([field, raw], i) => {
    names[`#f${i}`] = field;
    const ors = candidates(raw).map((c, j) => {
      values[`:f${i}_${j}`] = c;
      return `#f${i} = :f${i}_${j}`;
    });
    clauses.push(ors.length > 1 ? `(${ors.join(" OR ")})` : ors[0]!);
  });
  projection.forEach((p, i) => (names[`#p${i}`] = p));
  return { names, values, ...(clauses.length ? { filter: clauses.join(" AND ") } : {}) };
}

/** Scan with equality filters, projecting only the fields the answer needs. */
export function scanInput(table: string, filters: ReadonlyArray<[string, string]>, projection: readonly string[]): ScanCommandInput {
  const e = filterExprs(filters, projection);
  return {
    TableName: table,
    ProjectionExpression: projection.map((_, i) => `#p${i}`).join(", "),
    ExpressionAttributeNames: e.names,
    ...(e.filter ? { FilterExpression: e.filter, ExpressionAttributeValues: e.values } : {}),
  };
}

/** Query on the partition key (typed value given) plus equality filters on the other fields. */
export function queryInput(table: string, pk: string, pkValue: string | number, filters: ReadonlyArray<[string, string]>, projection: readonly string[]): QueryCommandInput {
  const e = filterExprs(filters, projection);
  return {
    TableName: table,
    KeyConditionExpression: "#pk = :pk",
    ProjectionExpression: projection.map((_, i) => `#p${i}`).join(", "),
    ExpressionAttributeNames: { ...e.names, "#pk": pk },
    ExpressionAttributeValues: { ...e.values, ":pk": pkValue },
    ...(e.filter ? { FilterExpression: e.filter } : {}),
  };
}
