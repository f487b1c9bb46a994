import type { Kind } from "./kind.ts";
import type { Category, Component } from "../model/types.ts";
import { aggregate } from "./transforms/aggregate/kind.ts";
import { dynamodb } from "./sinks/dynamodb/kind.ts";
import { eventbridge } from "./sinks/eventbridge/kind.ts";
import { filter } from "./transforms/filter/kind.ts";
import { fn } from "./transforms/function/kind.ts";
import { generator } from "./sources/generator/kind.ts";
import { glueJob } from "./transforms/glue_job/kind.ts";
import { httpApi } from "./serve/http_api/kind.ts";
import { httpIngest } from "./sources/http_ingest/kind.ts";
import { kinesis } from "./sources/kinesis/kind.ts";
import { map } from "./transforms/map/kind.ts";
import { msk } from "./sources/msk/kind.ts";
import { opensearch } from "./sinks/opensearch/kind.ts";
import { s3 } from "./sinks/s3/kind.ts";
import { s3Source } from "./sources/s3/kind.ts";
import { sns } from "./sinks/sns/kind.ts";

/** The registry: one line per kind, sorted by category then name. */
export const KINDS: readonly Kind[] = [
  generator,
  httpIngest,
  kinesis,
  msk,
  s3Source,
  aggregate,
  filter,
  fn,
  glueJob,
  map,
  dynamodb,
  eventbridge,
  opensearch,
  s3,
  sns,
  httpApi,
];

/** Kinds of one category, by name. */
export function kindsOf(category: Category): Kind[] {
  return KINDS.filter((k) => k.category === category);
}

/** The kind of a validated component (validation guarantees it exists). */
export function kindOf(c: Pick<Component, "category" | "type">): Kind {
  const k = KINDS.find((k) => k.category === c.category && k.name === c.type);
  if (!k) throw new Error(`no kind ${c.category}/${c.type}`);
  return k;
}
