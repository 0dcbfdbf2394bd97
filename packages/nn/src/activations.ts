// Activations by name, as functions and as a layer.
import {
  type Tensor, checkOptions, leakyRelu, relu, sigmoid, softmax, tanh,
} from "@tapegrad/core";
import { Module, checkInput } from "./module.js";

/** The activations a spec can name. */
export const ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "leakyRelu", "softmax"] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** Parameters some activations take. */
export interface ActivationOptions {
  /** Negative-side slope of leakyRelu (default 0.01). */
  readonly alpha?: number;
}

/** The function for an activation name. */
export function activation(
  name: ActivationName, options: ActivationOptions = {},
): (x: Tensor) => Tensor {
  checkOptions("activation", options, ["alpha"]);
  switch (name) {
    case "identity": return (x) => x;
    case "sigmoid": return sigmoid;
    case "tanh": return tanh;
    case "relu": return relu;
    case "leakyRelu": {
      const alpha = options.alpha ?? 0.01;
      return (x) => leakyRelu(x, alpha);
    }
    case "softmax": return (x) => softmax(x, -1);
  }
  throw new RangeError(
    `activation: unknown name ${JSON.stringify(name)}; valid: ${ACTIVATIONS.join(", ")}`,
  );
}

/**
 * A layer that applies an activation last and can give its output before it (`linear`):
 * Dense, Conv2d, Conv1d. Sequential's `logits` and `outputActivation` read it.
 */
export interface ActivatedLayer {
  readonly activationName: ActivationName;
  readonly alpha: number;
  /** The output before the activation. */
  linear(x: Tensor): Tensor;
}

/** Whether `layer` is an {@link ActivatedLayer}. */
export function isActivated(layer: unknown): layer is ActivatedLayer {
  const l = layer as Partial<ActivatedLayer> | null;
  return typeof l === "object" && l !== null && typeof l.activationName === "string" &&
    typeof l.linear === "function";
}

/** An activation as a layer, for Sequential. */
export class Activation extends Module {
  readonly #fn: (x: Tensor) => Tensor;
  constructor(
    readonly name: ActivationName,
    readonly options: ActivationOptions = {},
  ) {
    super();
    checkOptions("Activation", options, ["alpha"]);
    this.#fn = activation(name, options);
  }
  forward(x: Tensor): Tensor {
    return this.#fn(checkInput(`Activation(${this.name})`, x));
  }
}
