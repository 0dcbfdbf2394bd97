// Declarative model spec: one zod schema for validation, the TS type and the JSON Schema; fromSpec.
import { Rng } from "@tapegrad/core";
import { z } from "zod";
import { ACTIVATIONS, Activation } from "./activations.js";
import { Dense } from "./dense.js";
import { INITIALIZERS } from "./init.js";
import type { Module } from "./module.js";
import { Sequential } from "./sequential.js";

const LAYER_TYPE_MESSAGE = "must be one of dense, activation";

// Every message below completes "<path> …", e.g. "layers[2].units must be a positive integer".
const positiveInt = (): z.ZodInt =>
  z.int({ error: "must be a positive integer" }).positive({ error: "must be a positive integer" });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(", ")}` });
const finite = (): z.ZodNumber => z.number({ error: "must be a finite number" });
// A strict object: unknown keys are errors that list the valid keys.
const strict = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== "unrecognized_keys") return "must be an object";
      const keys = issue.keys.map((k) => JSON.stringify(k)).join(", ");
      const s = issue.keys.length === 1 ? "" : "s";
      return `has unknown key${s} ${keys}; valid keys: ${Object.keys(shape).join(", ")}`;
    },
  });

const activationName = oneOf(ACTIVATIONS);
const alpha = finite().meta({ description: "Negative-side slope of leakyRelu (default 0.01)." });

/** Schema of a dense layer: `units` outputs, its input size chained from the previous layer. */
export const denseLayerSchema = strict({
  type: z.literal("dense"),
  units: positiveInt().meta({ description: "Number of outputs." }),
  activation: activationName.optional()
    .meta({ description: "Applied to x·W + b.", default: "identity" }),
  alpha: alpha.optional(),
  init: oneOf(INITIALIZERS).optional()
    .meta({ description: "Weight initialiser.", default: "glorotUniform" }),
  biasInit: oneOf(INITIALIZERS).optional()
    .meta({ description: "Bias initialiser.", default: "zeros" }),
  useBias: z.boolean({ error: "must be true or false" }).optional()
    .meta({ description: "false drops the bias.", default: true }),
}).meta({ title: "Dense layer" });

/** Schema of a parameter-free activation layer. */
export const activationLayerSchema = strict({
  type: z.literal("activation"),
  activation: activationName,
  alpha: alpha.optional(),
}).meta({ title: "Activation layer" });

const layerSchemas = [denseLayerSchema, activationLayerSchema] as const;
/** Schema of one layer: a union discriminated on `type`. */
export const layerSpecSchema = z.discriminatedUnion("type", layerSchemas, {
  error: (issue) => (issue.code === "invalid_union" ? LAYER_TYPE_MESSAGE : "must be an object"),
});

/**
 * The model spec schema. The single source of truth: {@link parseSpec} validates with it,
 * {@link ModelSpec} is inferred from it and `model-spec.schema.json` is generated from it.
 */
export const modelSpecSchema = strict({
  $schema: z.string({ error: "must be a string" }).optional()
    .meta({ description: "JSON Schema reference for editors; ignored when building." }),
  input: positiveInt().meta({ description: "Number of input features." }),
  layers: z.array(layerSpecSchema, { error: "must be an array of layers" })
    .min(1, { error: "must list at least one layer" }),
  seed: z.int({ error: "must be an integer" }).optional()
    .meta({ description: "Seed of the generator all initial weights are drawn from.", default: 0 }),
  dtype: oneOf(["float32", "float64"]).optional()
    .meta({ description: "Parameter dtype.", default: "float32" }),
}).meta({
  title: "tapegrad model spec",
  description: "A feed-forward model for @tapegrad/nn fromSpec: input size, then layers in order.",
});

/** A model spec: plain JSON data describing a Sequential of Dense and Activation layers. */
export type ModelSpec = z.infer<typeof modelSpecSchema>;
/** One layer of a {@link ModelSpec}. */
export type LayerSpec = z.infer<typeof layerSpecSchema>;
export type DenseLayerSpec = z.infer<typeof denseLayerSchema>;
export type ActivationLayerSpec = z.infer<typeof activationLayerSchema>;

/** The JSON Schema (draft 2020-12) of {@link ModelSpec}, as shipped in model-spec.schema.json. */
export function modelSpecJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(modelSpecSchema) as Record<string, unknown>;
}

/** One validation problem: where (`layers[2].units`), what is wrong, and the value found. */
export interface SpecProblem {
  readonly path: string;
  readonly message: string;
}

/** An invalid model spec; `problems` lists every issue, the message shows one per line. */
export class SpecError extends Error {
  override name = "SpecError";
  constructor(
    readonly problems: readonly SpecProblem[],
    source = "parseSpec",
  ) {
    const n = problems.length;
    super(
      `${source}: invalid model spec (${n} problem${n === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  ${p.message}`).join("\n"),
    );
  }
}

/**
 * Validates `json` as a {@link ModelSpec} and returns a deep copy. Throws one SpecError listing
 * every problem with its path and value, e.g. `layers[2].units must be a positive integer; got -3`.
 * `source` (a file name, say) prefixes the error message.
 * @example const spec = parseSpec(JSON.parse(await readFile("spec.json", "utf8")));
 */
export function parseSpec(json: unknown, source?: string): ModelSpec {
  const result = modelSpecSchema.safeParse(json);
  if (result.success) return result.data;
  throw new SpecError(result.error.issues.map((issue) => toProblem(issue, json)), source);
}

function toProblem(issue: z.core.$ZodIssue, root: unknown): SpecProblem {
  const path = formatPath(issue.path);
  let parent: unknown;
  let value: unknown = root;
  for (const key of issue.path) {
    parent = value;
    value = isRecord(value) ? value[key as string] : undefined;
  }
  const key = issue.path[issue.path.length - 1];
  const missing = isRecord(parent) && !Object.hasOwn(parent, key as string);
  const message = issue.code === "unrecognized_keys" ? `${path} ${issue.message}`
    : missing ? `${path} is missing; it ${issue.message}`
    : `${path} ${issue.message}; got ${describe(value)}`;
  return { path, message };
}

// ["layers", 2, "units"] -> "layers[2].units"; the root is "spec".
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "spec";
  const part = (k: PropertyKey, i: number): string =>
    typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`;
  return path.map(part).join("");
}

function isRecord(x: unknown): x is Record<string | number, unknown> {
  return typeof x === "object" && x !== null;
}

function describe(x: unknown): string {
  if (typeof x === "number" || typeof x === "bigint" || x === undefined) return String(x);
  const text = JSON.stringify(x) ?? String(x);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * A Sequential built from a {@link ModelSpec}, which it keeps: `toSpec()` gives it back.
 * Parameters are named `layers.<i>.weight` / `layers.<i>.bias` by layer index.
 */
export class Model extends Sequential {
  readonly #spec: ModelSpec;

  /** Validates `spec` (throwing SpecError) and builds its layers; prefer {@link fromSpec}. */
  constructor(spec: ModelSpec) {
    const valid = parseSpec(spec);
    super(buildLayers(valid));
    this.#spec = valid;
  }

  /** Number of input features. */
  get inputSize(): number {
    return this.#spec.input;
  }

  /** Number of outputs: the units of the last dense layer. */
  get outputSize(): number {
    const dense = this.#spec.layers.filter((l) => l.type === "dense");
    return dense.length === 0 ? this.#spec.input : dense[dense.length - 1].units;
  }

  /** A deep copy of the spec this model was built from (exactly as given, no defaults added). */
  toSpec(): ModelSpec {
    return structuredClone(this.#spec);
  }
}

// All initial weights come from one generator, in layer order: same seed, same model.
function buildLayers(spec: ModelSpec): Module[] {
  const rng = new Rng(spec.seed ?? 0);
  const dtype = spec.dtype ?? "float32";
  let inputSize = spec.input;
  return spec.layers.map((layer): Module => {
    const alpha = layer.alpha === undefined ? {} : { alpha: layer.alpha };
    if (layer.type === "activation") return new Activation(layer.activation, alpha);
    const dense = new Dense({
      inputSize, outputSize: layer.units, activation: layer.activation, ...alpha,
      init: layer.init, biasInit: layer.biasInit, useBias: layer.useBias, rng, dtype,
    });
    inputSize = layer.units;
    return dense;
  });
}

/**
 * Validates a spec and builds its model (throws SpecError listing every problem).
 * @example
 * const model = fromSpec({ input: 2, layers: [
 *   { type: "dense", units: 16, activation: "tanh" },
 *   { type: "dense", units: 1, activation: "sigmoid" } ], seed: 1 });
 */
export function fromSpec(spec: ModelSpec): Model {
  return new Model(spec);
}

/**
 * The network of the seed question (784 → 128 → 64 → 10, leakyRelu hidden layers, sigmoid
 * outputs), with the fix: He-normal hidden weights instead of zeros, so symmetry is broken.
 */
export function seedSpec(): ModelSpec {
  return {
    input: 784,
    layers: [
      { type: "dense", units: 128, activation: "leakyRelu", alpha: 0.01, init: "heNormal" },
      { type: "dense", units: 64, activation: "leakyRelu", alpha: 0.01, init: "heNormal" },
      { type: "dense", units: 10, activation: "sigmoid", init: "glorotUniform" },
    ],
    seed: 42,
  };
}
