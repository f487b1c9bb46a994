import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { schemaText } from "../validate/assemble-schema.ts";
import { SCHEMA_URL } from "../validate/validate.ts";

/** Writes schemas/pipeline.schema.json from the root and kind fragments (`npm run schema`). */
writeFileSync(fileURLToPath(SCHEMA_URL), schemaText());
