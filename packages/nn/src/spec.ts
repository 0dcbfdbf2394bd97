// Declarative model specs: parseSpec (validated once, bounded in size), parseSpecText, fromSpec.
import { Rng, checkOptions } from "@tapegrad/core";
import { safeParse } from "valibot";
import { Activation } from "./activations.js";
import { Dense } from "./dense.js";
import {
  type SpecLayerClass, missingClassMessage, registerLayers, registeredLayer, registeredLayers,
} from "./layer-registry.js";
import type { Module } from "./module.js";
import { Sequential } from "./sequential.js";
import { SpecError, type SpecProblem, describe, isRecord, toProblem } from "./spec-problems.js";
import {
  type ModelSpec, activationLayerSchema, denseLayerSchema, type modelSpecSchema, modelSpecSchemaOf,
  topLevelSchema,
} from "./spec-schema.js";
import { type SpecShapes, inferShapes } from "./spec-shapes.js";
import { describeBytes } from "./bytes-input.js";
import { duplicateKeyMessage, findDuplicateKey } from "./json-text.js";

/**
 * The default bounds on a spec. 100 M float32 parameters are 400 MB (1.6 GB with gradients and
 * Adam's moments, within WebAssembly's 4 GiB) and build in about 2 s; 10,000 layers build in
 * well under a second, and their JSON is about 1 MB (text is refused past 16 MiB). Raise them
 * with the `maxParameters`, `maxLayers` and (for text) `maxBytes` options.
 */
export const SPEC_LIMITS = {
  maxParameters: 100_000_000, maxLayers: 10_000, maxBytes: 16 * 1024 * 1024,
} as const;

/** Options of {@link parseSpec} and {@link parseSpecText}. */
export interface SpecOptions {
  /** Prefixes error messages, e.g. a file name. */
  readonly source?: string;
  /** Most parameters (weights and biases) the model may have; default 100,000,000. */
  readonly maxParameters?: number;
  /** Most layers the spec may list; default 10,000. */
  readonly maxLayers?: number;
  /**
   * Layer classes for the spec's layer types besides dense and activation (Conv2d,
   * MaxPool2d, …): a type is checked and built by its class. Every class in the program
   * registers itself; a bundler, though, leaves out classes nothing names, so a page that
   * checks or builds a spec it fetches names them here.
   */
  readonly layers?: readonly SpecLayerClass[];
}

/** Options of {@link parseSpecText}: those of parseSpec and a bound on the text's size. */
export interface SpecTextOptions extends SpecOptions {
  /** Longest text accepted, in bytes (or UTF-16 units for a string); default 16 MiB. */
  readonly maxBytes?: number;
}

interface Limits {
  readonly maxParameters: number;
  readonly maxLayers: number;
}

// What parseSpec returned, deep-frozen so that it is still valid when it comes back (fromSpec
// after parseSpec validates once), with the limits it was accepted under. A spec built around
// accepted layers (`{ ...spec, seed }`) has only its top-level fields checked.
const acceptedSpecs = new WeakMap<object, Limits>();
const acceptedLayers = new WeakMap<object, Limits>();

// Every problem of the spec, but one per field (a pipe stops at its first failed check); given
// explicitly so that valibot's global configuration (setGlobalConfig) cannot change it.
const EVERY_PROBLEM = { abortEarly: false, abortPipeEarly: true } as const;

/**
 * Validates `json` as a {@link ModelSpec} and returns a deep copy, frozen (copy it with
 * `structuredClone` to edit); a spec it returned before comes back as is, without a second
 * validation. Throws one SpecError listing every problem with its path and value,
 * e.g. `layers[2].units must be a positive integer; got -3`, and refuses a spec over the limits
 * ({@link SPEC_LIMITS}) naming the layer that crosses them. `options` may be just the source.
 * @example const spec = parseSpec(JSON.parse(text), { source: "spec.json" });
 */
export function parseSpec(json: unknown, options: string | SpecOptions = {}): ModelSpec {
  const { source, explicit, limits } = resolve("parseSpec", options);
  const accepted = isRecord(json) ? acceptedSpecs.get(json) : undefined;
  if (accepted !== undefined) {
    if (explicit) {
      const bounds = { ...accepted, ...explicit };
      checkLayerCount((json as ModelSpec).layers.length, bounds, source);
      checkLimits(json as ModelSpec, bounds, source);
    }
    return json as ModelSpec;
  }
  const layers = isRecord(json) ? json.layers : undefined;
  const acceptedFor = isRecord(layers) ? acceptedLayers.get(layers) : undefined;
  const bounds = acceptedFor === undefined ? limits : { ...acceptedFor, ...explicit };
  // Before validating each layer: 100,000 of them are refused at once.
  if (Array.isArray(layers)) checkLayerCount(layers.length, bounds, source);
  if (typeof json === "string") {
    throw new SpecError([{ path: "spec", message: `spec must be an object; got ` +
      `${describe(json)} (JSON text: read it with parseSpecText)` }], source);
  }
  const schema = acceptedFor === undefined ? specSchema() : topLevelSchema;
  const result = safeParse(schema, json, EVERY_PROBLEM);
  if (!result.success) {
    throw new SpecError(result.issues.map((issue) => toProblem(issue, json)), source);
  }
  const spec = result.output as ModelSpec;
  const shapes = checkLimits(spec, bounds, source);
  if (acceptedFor === undefined) {
    for (const layer of spec.layers) Object.freeze(layer);
    acceptedLayers.set(Object.freeze(spec.layers), bounds);
  }
  acceptedSpecs.set(Object.freeze(spec), bounds);
  shapeCache.set(spec, shapes);
  return spec;
}

/**
 * Reads a spec from JSON text or UTF-8 bytes (a leading byte-order mark is allowed) and
 * validates it as {@link parseSpec} does. Errors name `options.source` (say, the file).
 * @example const spec = parseSpecText(await readFile("spec.json"), { source: "spec.json" });
 */
export function parseSpecText(
  text: string | Uint8Array, options: string | SpecTextOptions = {},
): ModelSpec {
  const given: SpecTextOptions = typeof options === "string" ? { source: options } : options;
  const { maxBytes: max, ...specOptions } =
    checkOptions("parseSpecText", given, [...SPEC_KEYS, "maxBytes"]);
  const where = given.source ?? "parseSpecText: text";
  const maxBytes = max === undefined ? SPEC_LIMITS.maxBytes
    : limit("parseSpecText", "maxBytes", max);
  if (typeof text !== "string" && !(text instanceof Uint8Array)) {
    const got = describeBytes(text);
    throw new TypeError(`parseSpecText: text must be a string or a Uint8Array; got ${got}`);
  }
  if (text.length > maxBytes) {
    throw new Error(
      `${where} is ${text.length} ${typeof text === "string" ? "characters" : "bytes"} long; ` +
        `the limit is ${maxBytes} (raise the maxBytes option)`,
    );
  }
  let decoded: string;
  if (typeof text === "string") {
    decoded = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } else {
    try {
      decoded = new TextDecoder("utf-8", { fatal: true }).decode(text); // drops a BOM
    } catch (err) {
      throw new Error(`${where} is not valid UTF-8 text`, { cause: err });
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(decoded);
  } catch (err) {
    throw new Error(`${where} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const repeated = findDuplicateKey(decoded);
  if (repeated !== undefined) {
    throw new SpecError([{ path: repeated, message: duplicateKeyMessage(repeated) }],
      given.source ?? "parseSpecText");
  }
  return parseSpec(json, { ...specOptions, source: given.source ?? "parseSpecText" });
}

// The keys of SpecOptions (and FromSpecOptions); parseSpecText also takes maxBytes.
const SPEC_KEYS = ["source", "maxParameters", "maxLayers", "layers"];

function resolve(where: string, options: string | SpecOptions) {
  const given: SpecOptions = typeof options === "string" ? { source: options } : options;
  const { source, maxParameters, maxLayers, layers } = checkOptions(where, given, SPEC_KEYS);
  if (layers !== undefined) registerLayers(...layers);
  const explicit: { maxParameters?: number; maxLayers?: number } = {};
  if (maxParameters !== undefined) {
    explicit.maxParameters = limit(where, "maxParameters", maxParameters);
  }
  if (maxLayers !== undefined) explicit.maxLayers = limit(where, "maxLayers", maxLayers);
  const any = maxParameters !== undefined || maxLayers !== undefined;
  return { source, explicit: any ? explicit : undefined, limits: { ...SPEC_LIMITS, ...explicit } };
}

function limit(where: string, name: string, value: unknown): number {
  if (value === Infinity || (Number.isSafeInteger(value) && (value as number) > 0)) {
    return value as number;
  }
  throw new RangeError(
    `${where}: ${name} must be a positive integer or Infinity; got ${describe(value)}`,
  );
}

// The field that sets a layer type's parameter count, named when the model grows too large.
const SIZE_KEYS: Readonly<Record<string, string>> = {
  dense: "units", conv2d: "outChannels", conv1d: "outChannels", embedding: "numEmbeddings",
};

// Infers the shapes through the layers (a layer that cannot take its input is a problem naming
// it), counting parameters layer by layer and naming the layer that crosses the limit.
function checkLimits(spec: ModelSpec, limits: Limits, source: string | undefined): SpecShapes {
  let total = 0;
  const inferred = inferShapes(spec, (i, { parameters }) => {
    total += parameters;
    if (total <= limits.maxParameters) return;
    const layer = spec.layers[i] as Record<string, unknown>;
    const key = SIZE_KEYS[layer.type as string];
    const at = key === undefined ? `layers[${i}]` : `layers[${i}].${key}`;
    const problem: SpecProblem = {
      path: at,
      message: `${at} makes the model too large: ${total} parameters with it, over the limit ` +
        `of ${limits.maxParameters} (raise the maxParameters option); got ` +
        (key === undefined ? `a ${String(layer.type)} layer` : String(layer[key])),
    };
    throw new SpecError([problem], source);
  });
  if ("problem" in inferred) throw new SpecError([inferred.problem], source);
  return inferred.shapes;
}

function checkLayerCount(count: number, limits: Limits, source: string | undefined): void {
  if (count <= limits.maxLayers) return;
  throw new SpecError([{
    path: "layers",
    message: `layers must list at most ${limits.maxLayers} layers (raise the maxLayers option); ` +
      `got ${count}`,
  }], source);
}

/** Options of {@link fromSpec}: those of parseSpec (limits, layer classes to build with). */
export type FromSpecOptions = SpecOptions;

// parseSpec's schema: dense, activation and the types of the registered classes, rebuilt when
// one registers (every class in the program does as its module loads).
let checking: { version: number; schema: typeof modelSpecSchema } | undefined;

/** The schema parseSpec validates a spec with (for tests: spy on its "~run"). */
export function specSchema(): typeof modelSpecSchema {
  const { classes, version } = registeredLayers();
  if (checking?.version !== version) {
    const schemas = classes.map((c) => c.specSchema);
    checking = { version, schema: modelSpecSchemaOf([denseLayerSchema, activationLayerSchema,
      ...schemas]) };
  }
  return checking.schema;
}

/**
 * A Sequential built from a {@link ModelSpec}, which it keeps: `toSpec()` gives it back.
 * Parameters are named `layers.<i>.weight` / `layers.<i>.bias` by layer index.
 */
export class Model extends Sequential {
  readonly #spec: ModelSpec;
  readonly #shapes: SpecShapes;
  /** The generator the model's dropout layers draw their masks from (seeded by spec.seed). */
  readonly dropoutRng: Rng;

  /** Validates `spec` (throwing SpecError) and builds its layers; prefer {@link fromSpec}. */
  constructor(spec: ModelSpec, options: FromSpecOptions = {}) {
    const specOptions = checkOptions("fromSpec", options, SPEC_KEYS);
    const valid = parseSpec(spec, { source: "fromSpec", ...specOptions });
    const shapes = shapesOf(valid);
    const built = buildLayers(valid, shapes, specOptions.source ?? "fromSpec");
    super(built.layers);
    this.#spec = valid;
    this.#shapes = shapes;
    this.dropoutRng = built.dropoutRng;
  }

  /** The shape of one input sample: [features], or the spec's shape such as [1, 28, 28]. */
  get inputShape(): number[] {
    return [...this.#shapes.input];
  }

  /** Number of input values per sample (the features, or the product of the input shape). */
  get inputSize(): number {
    return this.#shapes.input.reduce((a, b) => a * b, 1);
  }

  /** The shape of one output sample, e.g. [10]. */
  get outputShape(): number[] {
    return [...(this.#shapes.layers.at(-1)?.shape ?? this.#shapes.input)];
  }

  /** Number of outputs: the last dimension of the output shape. */
  get outputSize(): number {
    const shape = this.outputShape;
    return shape[shape.length - 1];
  }

  /** The dtype of the model's parameters and computations (the spec's, default float32). */
  get dtype(): "float32" | "float64" {
    return this.#spec.dtype ?? "float32";
  }

  /** Each layer's output shape for one sample (inferred from the spec, as summary() shows). */
  layerShapes(): number[][] {
    return this.#shapes.layers.map((l) => [...l.shape]);
  }

  /** A deep copy of the spec this model was built from (exactly as given, no defaults added). */
  toSpec(): ModelSpec {
    return structuredClone(this.#spec);
  }
}

// The shapes of a spec parseSpec accepted (so they infer without a problem).
const shapeCache = new WeakMap<ModelSpec, SpecShapes>();
function shapesOf(spec: ModelSpec): SpecShapes {
  let shapes = shapeCache.get(spec);
  if (shapes === undefined) {
    const inferred = inferShapes(spec);
    if ("problem" in inferred) throw new SpecError([inferred.problem]);
    shapes = inferred.shapes;
    shapeCache.set(spec, shapes);
  }
  return shapes;
}

// All initial weights come from one generator, in layer order: same seed, same model. Dropout
// masks come from a second one, seeded from the first, so adding dropout changes no weight.
function buildLayers(
  spec: ModelSpec, shapes: SpecShapes, source: string,
): { layers: Module[]; dropoutRng: Rng } {
  const rng = new Rng(spec.seed ?? 0);
  const dropoutRng = new Rng(rng.clone().nextUint32());
  const dtype = spec.dtype ?? "float32";
  const layers = spec.layers.map((layer, i): Module => {
    const input = i === 0 ? shapes.input : shapes.layers[i - 1].shape;
    if (layer.type === "activation") {
      return new Activation(layer.activation, layer.alpha === undefined ? {}
        : { alpha: layer.alpha });
    }
    if (layer.type === "dense") {
      const { type: _, units, ...options } = layer;
      return new Dense({
        ...options, inputSize: input[input.length - 1], outputSize: units, rng, dtype,
      });
    }
    const type = registeredLayer(layer.type);
    if (type === undefined) {
      throw new Error(`${source}: layers[${i}] ${missingClassMessage(layer.type)}`);
    }
    return type.fromSpec(layer as never, { input, rng, dropoutRng, dtype });
  });
  return { layers, dropoutRng };
}

/**
 * Validates a spec (once: a spec returned by {@link parseSpec} is not checked again), infers
 * the shapes through its layers and builds its model; throws SpecError listing every problem,
 * or naming the first layer that cannot take its input. `options` raise the size limits.
 * @example
 * const model = fromSpec({ input: 2, layers: [
 *   { type: "dense", units: 16, activation: "tanh" },
 *   { type: "dense", units: 1, activation: "sigmoid" } ], seed: 1 });
 */
export function fromSpec(spec: ModelSpec, options?: FromSpecOptions): Model {
  return new Model(spec, options);
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
