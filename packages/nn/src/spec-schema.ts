// The model spec's zod/mini schema (tree-shakable: only what validation uses is bundled) and types.
import * as z from "zod/mini";
import { ACTIVATIONS } from "./activations.js";
import { INITIALIZERS } from "./init.js";

/** The message of a layer whose `type` is not a known layer type. */
export const LAYER_TYPE_MESSAGE = "must be one of dense, activation";

// Every message below completes "<path> …", e.g. "layers[2].units must be a positive integer".
const positiveInt = (): z.ZodMiniInt => {
  const error = "must be a positive integer";
  return z.int({ error }).check(z.positive({ error }));
};
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(", ")}` });
// zod numbers are finite: Infinity and NaN fail with this message.
const finite = (): z.ZodMiniNumber => z.number({ error: "must be a finite number" });
// A strict object: unknown keys are errors that list the valid keys.
const strict = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== "unrecognized_keys") return "must be an object";
      return unknownKeysMessage(issue.keys, Object.keys(shape));
    },
  });

/** `has unknown key "size"; valid keys: …`, with at most 5 keys of at most 40 characters. */
export function unknownKeysMessage(keys: readonly string[], valid: readonly string[]): string {
  const shown = keys.slice(0, 5).map((k) => {
    const text = JSON.stringify(k);
    return text.length > 40 ? `${text.slice(0, 37)}..."` : text;
  });
  const more = keys.length > shown.length ? ` and ${keys.length - shown.length} more` : "";
  const s = keys.length === 1 ? "" : "s";
  return `has unknown key${s} ${shown.join(", ")}${more}; valid keys: ${valid.join(", ")}`;
}

const activationName = oneOf(ACTIVATIONS);
const alpha = finite();

/** Schema of a dense layer: `units` outputs, its input size chained from the previous layer. */
export const denseLayerSchema = strict({
  type: z.literal("dense"),
  units: positiveInt(),
  activation: z.optional(activationName),
  alpha: z.optional(alpha),
  init: z.optional(oneOf(INITIALIZERS)),
  biasInit: z.optional(oneOf(INITIALIZERS)),
  useBias: z.optional(z.boolean({ error: "must be true or false" })),
});

/** Schema of a parameter-free activation layer. */
export const activationLayerSchema = strict({
  type: z.literal("activation"),
  activation: activationName,
  alpha: z.optional(alpha),
});

/** Schema of one layer: a union discriminated on `type`. */
export const layerSpecSchema = z.discriminatedUnion("type", [
  denseLayerSchema, activationLayerSchema,
], {
  error: (issue) => (issue.code === "invalid_union" ? LAYER_TYPE_MESSAGE : "must be an object"),
});

// The top-level fields around a given schema for `layers`.
const specSchemaWith = <L extends z.core.SomeType>(layers: L) => strict({
  $schema: z.optional(z.string({ error: "must be a string" })),
  input: positiveInt(),
  layers,
  seed: z.optional(z.int({ error: "must be an integer" })),
  dtype: z.optional(oneOf(["float32", "float64"])),
});

/**
 * The model spec schema. The single source of truth: {@link parseSpec} validates with it,
 * {@link ModelSpec} is inferred from it and `model-spec.schema.json` is generated from it.
 */
export const modelSpecSchema = specSchemaWith(
  z.array(layerSpecSchema, { error: "must be an array of layers" })
    .check(z.minLength(1, { error: "must list at least one layer" })),
);

/** A model spec: plain JSON data describing a Sequential of Dense and Activation layers. */
export type ModelSpec = z.infer<typeof modelSpecSchema>;
/** One layer of a {@link ModelSpec}. */
export type LayerSpec = z.infer<typeof layerSpecSchema>;
/** A dense layer of a {@link ModelSpec}. */
export type DenseLayerSpec = z.infer<typeof denseLayerSchema>;
/** An activation layer of a {@link ModelSpec}. */
export type ActivationLayerSpec = z.infer<typeof activationLayerSchema>;

/** The top-level fields only, for a spec whose `layers` were already validated. */
export const topLevelSchema = specSchemaWith(z.custom<LayerSpec[]>(() => true));
