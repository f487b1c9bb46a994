import { readFileSync } from "node:fs";
import { assetPath } from "../assets.ts";

/** Reads a kind's schema.json from its folder (path relative to the package root). */
export function loadSchema(kindDir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(assetPath(`${kindDir}/schema.json`), "utf8")) as Record<string, unknown>;
}
