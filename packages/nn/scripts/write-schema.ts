// Writes model-spec.schema.json (shipped in the package) from the valibot schema (spec-schema.ts).
// Run: pnpm --filter @tapegrad/nn schema. spec.test.ts fails when the committed file is stale.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { modelSpecJsonSchema } from "../src/spec-json-schema.js";

const target = fileURLToPath(new URL("../model-spec.schema.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(modelSpecJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
