import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { schemaText } from "../validate/assemble-schema.ts";
import { SCHEMA_URL } from "../validate/validate.ts";
import { kindReadmes } from "./kind-docs.ts";

/** Writes schemas/pipeline.schema.json and every kind README from the schema fragments (`npm run schema`). */
writeFileSync(fileURLToPath(SCHEMA_URL), schemaText());
for (const r of kindReadmes()) writeFileSync(fileURLToPath(new URL(`../kinds/${r.path}`, import.meta.url)), r.content);
