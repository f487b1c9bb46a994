import { writeFileSync } from "node:fs";
import { schemaText } from "../validate/assemble-schema.ts";
import { SCHEMA_PATH } from "../validate/validate.ts";
import { kindReadmes } from "./kind-docs.ts";
import { assetPath } from "../assets.ts";

/** Writes schemas/pipeline.schema.json and every kind README from the schema fragments (`npm run schema`). */
writeFileSync(SCHEMA_PATH, schemaText());
for (const r of kindReadmes()) writeFileSync(assetPath(`src/kinds/${r.path}`), r.content);
