// The JSON Schema of the model spec, generated from the valibot schema with editor descriptions.
// Kept apart (and called only on demand) so that a program that only validates specs does not
// bundle the generator or the descriptions.
import { type ConversionConfig, toJsonSchema } from "@valibot/to-json-schema";
import type { GenericSchema } from "valibot";
import { activationLayerSchema, denseLayerSchema, modelSpecSchema } from "./spec-schema.js";

type Meta = Record<string, unknown>;

/** The JSON Schema (draft 2020-12) of {@link ModelSpec}, as shipped in model-spec.schema.json. */
export function modelSpecJsonSchema(): Record<string, unknown> {
  const top = modelSpecSchema.entries;
  const dense = denseLayerSchema.entries;
  // A field's metadata goes on its optional wrapper when it has one, so that a schema shared
  // by several fields (activation names, say) gets the description of one field only.
  const meta = new Map<unknown, Meta>();
  const add = (schema: GenericSchema, fields: Meta): void => {
    // A pipe is converted item by item: its metadata goes with its last action.
    meta.set("pipe" in schema ? (schema.pipe as unknown[]).at(-1) : schema, fields);
  };
  add(modelSpecSchema, {
    title: "tapegrad model spec",
    description:
      "A feed-forward model for @tapegrad/nn fromSpec: input size, then layers in order.",
  });
  add(top.$schema, { description: "JSON Schema reference for editors; ignored when building." });
  add(top.input, { description: "Number of input features." });
  add(top.seed, {
    description: "Seed of the generator all initial weights are drawn from.", default: 0,
  });
  add(top.dtype, { description: "Parameter dtype.", default: "float32" });
  add(denseLayerSchema, { title: "Dense layer" });
  add(dense.units, { description: "Number of outputs." });
  add(dense.activation, { description: "Applied to x·W + b.", default: "identity" });
  // alpha's number schema is shared by both layer types, as is its description.
  add(dense.alpha.wrapped, { description: "Negative-side slope of leakyRelu (default 0.01)." });
  add(dense.init, { description: "Weight initialiser.", default: "glorotUniform" });
  add(dense.biasInit, { description: "Bias initialiser.", default: "zeros" });
  add(dense.useBias, { description: "false drops the bias.", default: true });
  add(activationLayerSchema, { title: "Activation layer" });
  const config: ConversionConfig = {
    target: "draft-2020-12",
    overrideSchema: ({ valibotSchema, jsonSchema }) => {
      // A literal is a string constant (`"type": "dense"`): say so, as zod's schema did.
      const literal = valibotSchema.type === "literal" ? { type: "string" as const } : {};
      return { ...literal, ...jsonSchema, ...meta.get(valibotSchema) };
    },
    // Numbers in a spec are finite because JSON's are: "finite" needs no keyword.
    overrideAction: ({ valibotAction, jsonSchema }) =>
      meta.has(valibotAction) || valibotAction.type === "finite"
        ? { ...jsonSchema, ...meta.get(valibotAction) } : undefined,
  };
  const { $schema, ...schema } = toJsonSchema(modelSpecSchema, config);
  return { $schema, ...schema };
}
