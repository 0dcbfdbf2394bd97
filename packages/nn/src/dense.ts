// Dense (fully connected) layer: y = activation(x · W + b), batch-first.
import {
  type DType, Rng, type Tensor, formatShape, matmul, add, linear, ShapeError, checkOptions,
} from "@tapegrad/core";
import { type ActivationName, activation } from "./activations.js";
import { type InitName, type InitOptions, initialize } from "./init.js";
import { Module, checkInput } from "./module.js";

/** Options of a Dense layer. */
export interface DenseOptions {
  readonly inputSize: number;
  readonly outputSize: number;
  /** Applied to x·W + b (default "identity"). */
  readonly activation?: ActivationName;
  /** Slope for leakyRelu (default 0.01). */
  readonly alpha?: number;
  /** Weight initialiser (default "glorotUniform"), and its parameters. */
  readonly init?: InitName;
  readonly initOptions?: InitOptions;
  /** Bias initialiser (default "zeros"); `useBias: false` drops the bias. */
  readonly biasInit?: InitName;
  readonly useBias?: boolean;
  /** Generator for the initial weights; or a seed for a fresh one. */
  readonly rng?: Rng;
  readonly seed?: number;
  readonly dtype?: DType;
}

const DENSE_KEYS = [
  "inputSize", "outputSize", "activation", "alpha", "init", "initOptions", "biasInit", "useBias",
  "rng", "seed", "dtype",
];

/**
 * A fully connected layer: [batch, inputSize] → [batch, outputSize]. The weight is stored
 * [inputSize, outputSize], so the forward pass is one matmul without a transpose.
 * @example
 * new Dense({ inputSize: 784, outputSize: 128, activation: "relu", init: "heNormal", seed: 1 })
 */
export class Dense extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly activationName: ActivationName;
  readonly alpha: number;
  readonly #activate: (x: Tensor) => Tensor;

  constructor(options: DenseOptions) {
    super();
    options = checkOptions("Dense", options, DENSE_KEYS);
    const { inputSize, outputSize } = options;
    for (const [key, value] of [["inputSize", inputSize], ["outputSize", outputSize]] as const) {
      if (!Number.isInteger(value) || value <= 0) {
        throw new RangeError(`Dense: ${key} must be a positive integer; got ${value}`);
      }
    }
    this.inputSize = inputSize;
    this.outputSize = outputSize;
    this.activationName = options.activation ?? "identity";
    this.alpha = options.alpha ?? 0.01;
    this.#activate = activation(this.activationName, { alpha: this.alpha });
    const rng = options.rng ?? new Rng(options.seed ?? 0);
    const ctx = { fanIn: inputSize, fanOut: outputSize, rng, dtype: options.dtype };
    this.weight = this.registerParameter(
      "weight",
      initialize(
        options.init ?? "glorotUniform",
        { ...ctx, shape: [inputSize, outputSize] },
        options.initOptions,
      ),
    );
    this.bias = options.useBias === false ? null : this.registerParameter(
      "bias",
      initialize(options.biasInit ?? "zeros", { ...ctx, shape: [outputSize] }),
    );
  }

  /** x·W + b, before the activation (the logits when this is the last layer). */
  linear(x: Tensor): Tensor {
    checkInput("Dense.linear", x);
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inputSize) {
      throw new ShapeError(
        `Dense: input must end in ${this.inputSize} features; got ${formatShape(x.shape)}`,
      );
    }
    if (x.rank === 2) return linear(x, this.weight, this.bias);
    const y = matmul(x, this.weight);
    return this.bias ? add(y, this.bias) : y;
  }

  forward(x: Tensor): Tensor {
    checkInput("Dense", x);
    // The fused op gives the same values as the composition, in one product and one pass.
    const name = this.activationName;
    const fusable = name === "identity" || name === "relu" ||
      (name === "leakyRelu" && this.alpha >= 0);
    if (fusable && x.rank === 2 && x.shape[1] === this.inputSize) {
      return linear(x, this.weight, this.bias, { activation: name, slope: this.alpha });
    }
    return this.#activate(this.linear(x));
  }
}
