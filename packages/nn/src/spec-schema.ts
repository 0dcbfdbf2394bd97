// The model spec's valibot schema (each valibot function is bundled on its own) and its types.
import * as v from "valibot";
import { ACTIVATIONS } from "./activations.js";
import { INITIALIZERS } from "./init.js";
import { layerUnion, strict } from "./spec-strict.js";

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

const activationName = oneOf(ACTIVATIONS);
const alpha = finite();

/** Schema of a dense layer: `units` outputs, its input size chained from the previous layer. */
export const denseLayerSchema = strict({
  type: v.literal("dense"),
  units: positiveInt(),
  activation: v.optional(activationName),
  alpha: v.optional(alpha),
  init: v.optional(oneOf(INITIALIZERS)),
  biasInit: v.optional(oneOf(INITIALIZERS)),
  useBias: v.optional(v.boolean("must be true or false")),
});

/** Schema of a parameter-free activation layer. */
export const activationLayerSchema = strict({
  type: v.literal("activation"),
  activation: activationName,
  alpha: v.optional(alpha),
});

/**
 * Schema of one layer: a union discriminated on `type`, one schema per layer type (a new
 * layer type is one more `strict({ type: v.literal(…), … })` here and a case in fromSpec).
 */
export const layerSpecSchema = layerUnion([denseLayerSchema, activationLayerSchema]);

// The top-level fields around a given schema for `layers`.
const specSchemaWith = <L extends v.GenericSchema>(layers: L) => strict({
  $schema: v.optional(v.string("must be a string")),
  input: positiveInt(),
  layers,
  seed: v.optional(v.pipe(
    v.number("must be an integer"), v.safeInteger("must be an integer"),
  )),
  dtype: v.optional(oneOf(["float32", "float64"])),
});

/**
 * The model spec schema. The single source of truth: {@link parseSpec} validates with it,
 * {@link ModelSpec} is inferred from it and `model-spec.schema.json` is generated from it.
 */
export const modelSpecSchema = specSchemaWith(v.pipe(
  v.array(layerSpecSchema, "must be an array of layers"),
  v.minLength(1, "must list at least one layer"),
));

/** A model spec: plain JSON data describing a Sequential of Dense and Activation layers. */
export type ModelSpec = v.InferOutput<typeof modelSpecSchema>;
/** One layer of a {@link ModelSpec}. */
export type LayerSpec = v.InferOutput<typeof layerSpecSchema>;
/** A dense layer of a {@link ModelSpec}. */
export type DenseLayerSpec = v.InferOutput<typeof denseLayerSchema>;
/** An activation layer of a {@link ModelSpec}. */
export type ActivationLayerSpec = v.InferOutput<typeof activationLayerSchema>;

/** The top-level fields only, for a spec whose `layers` were already validated. */
export const topLevelSchema = specSchemaWith(v.custom<LayerSpec[]>(() => true));
