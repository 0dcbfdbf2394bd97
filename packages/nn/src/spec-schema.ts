// The model spec's valibot schema (each valibot function is bundled on its own) and its types.
// Every schema is built by calls marked free of side effects, so that a bundle carries those
// of the layer types its program has (each class holds its own as its static `specSchema`).
import * as v from "valibot";
import { ACTIVATIONS } from "./activations.js";
import { INITIALIZERS } from "./init.js";
import { type LayerSchema, layerUnion, strict } from "./spec-strict.js";

// Every message below completes "<path> …", e.g. "layers[2].units must be a positive integer".
// A pipe stops at its first failed check (parseSpec sets abortPipeEarly): one problem per field.
const positiveInt = () => {
  const error = "must be a positive integer";
  return v.pipe(
    v.number(error), v.integer(error), v.gtValue(0, error),
    v.maxValue(Number.MAX_SAFE_INTEGER, error),
  );
};
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  v.picklist(values, `must be one of ${values.join(", ")}`);
// valibot's numbers exclude NaN only: Infinity fails `finite` with the same message.
const finite = () => {
  const error = "must be a finite number";
  return v.pipe(v.number(error), v.finite(error));
};

// Builds a schema at once; marked free of side effects so that a bundler drops the schemas
// nothing uses (esbuild reads valibot's own markers only in valibot's file).
const schema = /* @__NO_SIDE_EFFECTS__ */ <T>(build: () => T): T => build();

const activationName = schema(() => oneOf(ACTIVATIONS));
const alpha = schema(finite);
const flag = () => v.boolean("must be true or false");
const integerAtLeast = (min: number, error: string) => v.pipe(
  v.number(error), v.safeInteger(error), v.minValue(min, error),
);
// A spatial size: one integer for both axes, or [height, width]. Both branches carry the same
// message, so whichever one valibot reports, the problem reads the same.
const size2 = (min: 0 | 1) => {
  const what = min === 1 ? "positive" : "non-negative";
  const error = `must be a ${what} integer or [height, width] of ${what} integers`;
  const item = integerAtLeast(min, error);
  return v.union([item, v.strictTuple([item, item], error)], error);
};
const paddingOf = <T extends v.GenericSchema>(size: T, form: string) => {
  const error = `must be ${form}, "same" or "valid"`;
  return v.union([size, v.picklist(["same", "valid"], error)], error);
};
const unitInterval = (error: string) => v.pipe(
  v.number(error), v.minValue(0, error), v.maxValue(1, error),
);
const epsilon = () => {
  const error = "must be a finite number ≥ 0";
  return v.pipe(v.number(error), v.finite(error), v.minValue(0, error));
};
const initName = () => oneOf(INITIALIZERS);

/** Schema of a dense layer: `units` outputs, its input size chained from the previous layer. */
export const denseLayerSchema = schema(() => strict({
  type: v.literal("dense"),
  units: positiveInt(),
  activation: v.optional(activationName),
  alpha: v.optional(alpha),
  init: v.optional(initName()),
  biasInit: v.optional(initName()),
  useBias: v.optional(flag()),
}));

/** Schema of a parameter-free activation layer. */
export const activationLayerSchema = schema(() => strict({
  type: v.literal("activation"),
  activation: activationName,
  alpha: v.optional(alpha),
}));

/** Schema of a 2-D convolution layer: `outChannels` filters; its input channels are inferred. */
export const conv2dLayerSchema = schema(() => strict({
  type: v.literal("conv2d"),
  outChannels: positiveInt(),
  inChannels: v.optional(positiveInt()),
  kernelSize: size2(1),
  stride: v.optional(size2(1)),
  padding: v.optional(paddingOf(size2(0),
    "a non-negative integer or [height, width] of non-negative integers")),
  dilation: v.optional(size2(1)),
  groups: v.optional(positiveInt()),
  bias: v.optional(flag()),
  activation: v.optional(activationName),
  alpha: v.optional(alpha),
  init: v.optional(initName()),
  biasInit: v.optional(initName()),
}));

/** Schema of a 1-D convolution layer over [channels, length]. */
export const conv1dLayerSchema = schema(() => strict({
  type: v.literal("conv1d"),
  outChannels: positiveInt(),
  inChannels: v.optional(positiveInt()),
  kernelSize: positiveInt(),
  stride: v.optional(positiveInt()),
  padding: v.optional(paddingOf(integerAtLeast(0, 'must be a non-negative integer, "same" or ' +
    '"valid"'), "a non-negative integer")),
  dilation: v.optional(positiveInt()),
  groups: v.optional(positiveInt()),
  bias: v.optional(flag()),
  activation: v.optional(activationName),
  alpha: v.optional(alpha),
  init: v.optional(initName()),
  biasInit: v.optional(initName()),
}));

/** Schema of a max-pooling layer. */
export const maxPool2dLayerSchema = schema(() => strict({
  type: v.literal("maxPool2d"),
  kernelSize: size2(1),
  stride: v.optional(size2(1)),
  padding: v.optional(size2(0)),
  dilation: v.optional(size2(1)),
  ceilMode: v.optional(flag()),
}));

/** Schema of an average-pooling layer. */
export const avgPool2dLayerSchema = schema(() => strict({
  type: v.literal("avgPool2d"),
  kernelSize: size2(1),
  stride: v.optional(size2(1)),
  padding: v.optional(size2(0)),
  ceilMode: v.optional(flag()),
  countIncludePad: v.optional(flag()),
}));

/** Schema of a global average-pooling layer: [channels, height, width] → [channels]. */
export const globalAvgPool2dLayerSchema = schema(() =>
  strict({ type: v.literal("globalAvgPool2d") }));

/** Schema of a flatten layer (axes counted with the batch axis 0, which stays). */
export const flattenLayerSchema = schema(() => strict({
  type: v.literal("flatten"),
  startDim: v.optional(integerAtLeast(1, "must be an integer ≥ 1 (axis 0 is the batch)")),
  endDim: v.optional(v.pipe(v.number("must be an integer"), v.safeInteger("must be an integer"))),
}));

/** Schema of a dropout layer. */
export const dropoutLayerSchema = schema(() => strict({
  type: v.literal("dropout"),
  p: v.optional(unitInterval("must be a number in [0, 1]")),
}));

const batchNormEntries = () => ({
  numFeatures: v.optional(positiveInt()),
  eps: v.optional(epsilon()),
  momentum: v.optional(v.nullable(unitInterval("must be a number in [0, 1] or null"))),
  affine: v.optional(flag()),
  trackRunningStats: v.optional(flag()),
});

/** Schema of a batch-normalization layer over [features] or [channels, length]. */
export const batchNorm1dLayerSchema = schema(() => strict({
  type: v.literal("batchNorm1d"), ...batchNormEntries(),
}));

/** Schema of a batch-normalization layer over [channels, height, width]. */
export const batchNorm2dLayerSchema = schema(() => strict({
  type: v.literal("batchNorm2d"), ...batchNormEntries(),
}));

/** Schema of a layer-normalization layer (default: over the last axis). */
export const layerNormLayerSchema = schema(() => strict({
  type: v.literal("layerNorm"),
  normalizedShape: v.optional(v.union([
    positiveInt(),
    v.pipe(v.array(positiveInt(), "must be a positive integer or a list of them"),
      v.minLength(1, "must be a positive integer or a list of them")),
  ], "must be a positive integer or a list of them")),
  eps: v.optional(epsilon()),
  elementwiseAffine: v.optional(flag()),
}));

/** Schema of an embedding layer: integer ids → vectors of `embeddingDim`. */
export const embeddingLayerSchema = schema(() => strict({
  type: v.literal("embedding"),
  numEmbeddings: positiveInt(),
  embeddingDim: positiveInt(),
  init: v.optional(initName()),
}));

/**
 * Schema of one layer: a union discriminated on `type`, one schema per layer type (a new
 * layer type is one more `strict({ type: v.literal(…), … })` here, its shape rule in
 * spec-shapes.ts and its class's `fromSpec`).
 */
export const layerSpecSchema = schema(() => layerUnion([
  denseLayerSchema, activationLayerSchema, conv2dLayerSchema, conv1dLayerSchema,
  maxPool2dLayerSchema, avgPool2dLayerSchema, globalAvgPool2dLayerSchema, flattenLayerSchema,
  dropoutLayerSchema, batchNorm1dLayerSchema, batchNorm2dLayerSchema, layerNormLayerSchema,
  embeddingLayerSchema,
]));

// A sample's shape: a number of features, or a shape such as [1, 28, 28] (channels first).
const INPUT = "must be a positive integer or a list of at most 8 positive integers";
const inputSchema = schema(() => v.union([
  positiveInt(),
  v.pipe(v.array(positiveInt(), INPUT), v.minLength(1, INPUT), v.maxLength(8, INPUT)),
], INPUT));

// The top-level fields around a given schema for `layers`.
const specSchemaWith = <L extends v.GenericSchema>(layers: L) => strict({
  $schema: v.optional(v.string("must be a string")),
  input: inputSchema,
  layers,
  seed: v.optional(v.pipe(
    v.number("must be an integer"), v.safeInteger("must be an integer"),
  )),
  dtype: v.optional(oneOf(["float32", "float64"])),
});

// `layers`: at least one, each checked by `layer`.
const layersOf = <L extends v.GenericSchema>(layer: L) => v.pipe(
  v.array(layer, "must be an array of layers"),
  v.minLength(1, "must list at least one layer"),
);

/**
 * The model spec schema. The single source of truth: {@link parseSpec} validates with it,
 * {@link ModelSpec} is inferred from it and `model-spec.schema.json` is generated from it.
 */
export const modelSpecSchema = schema(() => specSchemaWith(layersOf(layerSpecSchema)));

/** A model spec: plain JSON data describing a Sequential of layers. */
export type ModelSpec = v.InferOutput<typeof modelSpecSchema>;
/** One layer of a {@link ModelSpec}. */
export type LayerSpec = v.InferOutput<typeof layerSpecSchema>;
/** A dense layer of a {@link ModelSpec}. */
export type DenseLayerSpec = v.InferOutput<typeof denseLayerSchema>;
/** An activation layer of a {@link ModelSpec}. */
export type ActivationLayerSpec = v.InferOutput<typeof activationLayerSchema>;
/** A conv2d layer of a {@link ModelSpec}. */
export type Conv2dLayerSpec = v.InferOutput<typeof conv2dLayerSchema>;
/** A conv1d layer of a {@link ModelSpec}. */
export type Conv1dLayerSpec = v.InferOutput<typeof conv1dLayerSchema>;
/** A maxPool2d layer of a {@link ModelSpec}. */
export type MaxPool2dLayerSpec = v.InferOutput<typeof maxPool2dLayerSchema>;
/** An avgPool2d layer of a {@link ModelSpec}. */
export type AvgPool2dLayerSpec = v.InferOutput<typeof avgPool2dLayerSchema>;
/** A globalAvgPool2d layer of a {@link ModelSpec}. */
export type GlobalAvgPool2dLayerSpec = v.InferOutput<typeof globalAvgPool2dLayerSchema>;
/** A flatten layer of a {@link ModelSpec}. */
export type FlattenLayerSpec = v.InferOutput<typeof flattenLayerSchema>;
/** A dropout layer of a {@link ModelSpec}. */
export type DropoutLayerSpec = v.InferOutput<typeof dropoutLayerSchema>;
/** A batchNorm1d or batchNorm2d layer of a {@link ModelSpec}. */
export type BatchNormLayerSpec = Extract<LayerSpec, { type: "batchNorm1d" | "batchNorm2d" }>;
/** A layerNorm layer of a {@link ModelSpec}. */
export type LayerNormLayerSpec = v.InferOutput<typeof layerNormLayerSchema>;
/** An embedding layer of a {@link ModelSpec}. */
export type EmbeddingLayerSpec = v.InferOutput<typeof embeddingLayerSchema>;
/** The layer types a spec can name. */
export type LayerType = LayerSpec["type"];

/**
 * The model spec schema with layers of the given types only: what parseSpec runs, with the
 * layer types whose classes the program has (`layers[0] is a conv2d layer, whose class this
 * program does not include …` for another).
 */
export function modelSpecSchemaOf(
  layers: readonly [LayerSchema, ...LayerSchema[]],
): typeof modelSpecSchema {
  return specSchemaWith(layersOf(layerUnion(layers))) as unknown as typeof modelSpecSchema;
}

/** The top-level fields only, for a spec whose `layers` were already validated. */
export const topLevelSchema = schema(() => specSchemaWith(v.custom<LayerSpec[]>(() => true)));
