// The JSON Schema of the model spec, generated from the zod schema with editor descriptions.
// Kept apart (and called only on demand) so that a program that only validates specs does not
// bundle the generator or the descriptions.
import * as z from "zod/mini";
import { activationLayerSchema, denseLayerSchema, modelSpecSchema } from "./spec-schema.js";

/** The JSON Schema (draft 2020-12) of {@link ModelSpec}, as shipped in model-spec.schema.json. */
export function modelSpecJsonSchema(): Record<string, unknown> {
  const meta = z.registry<z.core.JSONSchemaMeta>();
  const top = modelSpecSchema.shape;
  const dense = denseLayerSchema.shape;
  meta.add(modelSpecSchema, {
    title: "tapegrad model spec",
    description:
      "A feed-forward model for @tapegrad/nn fromSpec: input size, then layers in order.",
  });
  meta.add(top.$schema, {
    description: "JSON Schema reference for editors; ignored when building.",
  });
  meta.add(top.input, { description: "Number of input features." });
  meta.add(top.seed, {
    description: "Seed of the generator all initial weights are drawn from.", default: 0,
  });
  meta.add(top.dtype, { description: "Parameter dtype.", default: "float32" });
  meta.add(denseLayerSchema, { title: "Dense layer" });
  meta.add(dense.units, { description: "Number of outputs." });
  meta.add(dense.activation, { description: "Applied to x·W + b.", default: "identity" });
  // alpha's number schema is shared by both layer types, as is its description.
  meta.add(dense.alpha.def.innerType, {
    description: "Negative-side slope of leakyRelu (default 0.01).",
  });
  meta.add(dense.init, { description: "Weight initialiser.", default: "glorotUniform" });
  meta.add(dense.biasInit, { description: "Bias initialiser.", default: "zeros" });
  meta.add(dense.useBias, { description: "false drops the bias.", default: true });
  meta.add(activationLayerSchema, { title: "Activation layer" });
  return z.toJSONSchema(modelSpecSchema, { metadata: meta }) as Record<string, unknown>;
}
