/** Paginated Query/Scan: DynamoDB returns at most 1 MB per page and a LastEvaluatedKey to continue. */
import { QueryCommand, ScanCommand, type QueryCommandInput, type ScanCommandInput } from "@aws-sdk/lib-dynamodb";
import type { DocSender } from "./dynamodb-batch.ts";

type Item = Record<string, unknown>;

/** Runs a Query or Scan to the last page and returns every item. */
export async function readAll(client: DocSender, input: { query: QueryCommandInput } | { scan: ScanCommandInput }): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out =
      "query" in input
        ? await client.send(new QueryCommand({ ...input.query, ExclusiveStartKey: start }))
        : await client.send(new ScanCommand({ ...input.scan, ExclusiveStartKey: start }));
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey as Item | undefined;
  } while (start !== undefined);
  return items;
}
