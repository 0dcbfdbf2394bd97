// The JSON Schema of the model spec, generated from the valibot schema with editor descriptions.
// Kept apart (and called only on demand) so that a program that only validates specs does not
// bundle the generator or the descriptions.
import { type ConversionConfig, toJsonSchema } from "@valibot/to-json-schema";
import type { GenericSchema } from "valibot";
import {
  activationLayerSchema, avgPool2dLayerSchema, batchNorm1dLayerSchema, batchNorm2dLayerSchema,
  conv1dLayerSchema, conv2dLayerSchema, denseLayerSchema, dropoutLayerSchema,
  embeddingLayerSchema, flattenLayerSchema, globalAvgPool2dLayerSchema, layerNormLayerSchema,
  maxPool2dLayerSchema, modelSpecSchema,
} from "./spec-schema.js";

type Meta = Record<string, unknown>;

const CONV: Record<string, Meta> = {
  outChannels: { description: "Number of filters (output channels)." },
  inChannels: {
    description: "Input channels; inferred from the previous layer, checked if given.",
  },
  kernelSize: { description: "Kernel size: one number, or [height, width]." },
  stride: { description: "Step between output positions.", default: 1 },
  padding: { description: 'Zeros added on each side, or "same" (stride 1) / "valid".',
    default: 0 },
  dilation: { description: "Spacing between kernel taps.", default: 1 },
  groups: { description: "Channel groups.", default: 1 },
  bias: { description: "false drops the bias.", default: true },
  activation: { description: "Applied to the output (relu is fused).", default: "identity" },
  init: { description: "Weight initialiser (fans from the kernel size).",
    default: "glorotUniform" },
  biasInit: { description: "Bias initialiser.", default: "zeros" },
};
const POOL: Record<string, Meta> = {
  kernelSize: { description: "Window size: one number, or [height, width]." },
  stride: { description: "Step between windows (default: the window size)." },
  padding: { description: "Padding on each side, at most half the window.", default: 0 },
  ceilMode: { description: "Round the output size up.", default: false },
};
const NORM: Record<string, Meta> = {
  numFeatures: { description: "Channels; inferred from the previous layer, checked if given." },
  eps: { description: "Added to the variance.", default: 1e-5 },
  momentum: { description: "Weight of each batch in the running statistics; null: their " +
    "cumulative average.", default: 0.1 },
  affine: { description: "Learn a weight and bias per channel.", default: true },
  trackRunningStats: { description: "Keep running statistics for evaluation.", default: true },
};

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
  add(top.input, {
    description: "Number of input features, or the shape of one sample, channels first " +
      "(e.g. [1, 28, 28] for grey 28×28 images).",
  });
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
  // The other layer types: a title each, and a description per field (PyTorch's meaning).
  const layers: Array<[{ entries: Record<string, GenericSchema> } & GenericSchema, string,
    Record<string, Meta>]> = [
    [conv2dLayerSchema, "Conv2d layer (input [channels, height, width])", CONV],
    [conv1dLayerSchema, "Conv1d layer (input [channels, length])", CONV],
    [maxPool2dLayerSchema, "MaxPool2d layer", POOL],
    [avgPool2dLayerSchema, "AvgPool2d layer", POOL],
    [globalAvgPool2dLayerSchema, "GlobalAvgPool2d layer ([channels, h, w] → [channels])", {}],
    [flattenLayerSchema, "Flatten layer", {
      startDim: { description: "First axis joined, counting the batch as axis 0.", default: 1 },
      endDim: { description: "Last axis joined (inclusive; negative from the end).",
        default: -1 },
    }],
    [dropoutLayerSchema, "Dropout layer (identity in evaluation)", {
      p: { description: "Probability of zeroing each element while training.", default: 0.5 },
    }],
    [batchNorm1dLayerSchema, "BatchNorm1d layer (input [features] or [channels, length])", NORM],
    [batchNorm2dLayerSchema, "BatchNorm2d layer (input [channels, height, width])", NORM],
    [layerNormLayerSchema, "LayerNorm layer", {
      normalizedShape: { description: "Trailing dimensions normalised over (default: the last)." },
      eps: { description: "Added to the variance.", default: 1e-5 },
      elementwiseAffine: { description: "Learn a weight and bias.", default: true },
    }],
    [embeddingLayerSchema, "Embedding layer (input: integer ids)", {
      numEmbeddings: { description: "Rows of the table: ids from 0 to numEmbeddings − 1." },
      embeddingDim: { description: "Length of each vector." },
      init: { description: "Table initialiser (default normal with std 1, as PyTorch)." },
    }],
  ];
  for (const [schema, title, fields] of layers) {
    add(schema, { title });
    for (const [field, m] of Object.entries(fields)) add(schema.entries[field], m);
  }
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
