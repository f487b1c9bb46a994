import { readFileSync } from "node:fs";

/** Reads a kind's schema.json that sits beside its kind.ts. */
export function loadSchema(kindUrl: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL("./schema.json", kindUrl), "utf8")) as Record<string, unknown>;
}
