// Sequential: layers applied in order, with access to the final pre-activation output.
import type { Tensor } from "@tapegrad/core";
import { Activation, type ActivationName, isActivated } from "./activations.js";
import { Module, checkInput } from "./module.js";
import { type SummaryOptions, summary } from "./summary.js";

/** Layers applied one after another; parameters are named `layers.<i>.<name>`. */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(layers: readonly Module[]) {
    super();
    if (!Array.isArray(layers)) {
      throw new TypeError(`Sequential: layers must be an array of Modules; got ${typeof layers}`);
    }
    layers.forEach((layer, i) => {
      if (!(layer instanceof Module)) {
        throw new TypeError(`Sequential: layers[${i}] is not a Module`);
      }
      this.registerModule(`layers.${i}`, layer);
    });
    this.layers = [...layers];
  }

  forward(x: Tensor): Tensor {
    checkInput(this.constructor.name || "Sequential", x);
    return this.layers.reduce((h, layer) => layer.forward(h), x);
  }

  /**
   * The activation applied last ("identity" when the model ends in a linear output). Losses
   * use it to pick a stable path: sigmoid + BCE trains on logits.
   */
  get outputActivation(): ActivationName {
    const last = this.layers[this.layers.length - 1];
    if (last instanceof Activation) return last.name;
    if (isActivated(last)) return last.activationName;
    if (last instanceof Sequential) return last.outputActivation; // nested: look inside
    return "identity";
  }

  /**
   * The layers, their output shapes and parameter counts as a table (see `summary`).
   * @example console.log(model.summary())
   */
  summary(options?: SummaryOptions): string {
    return summary(this, options);
  }

  /** The output before the final activation (the logits). */
  logits(x: Tensor): Tensor {
    checkInput(`${this.constructor.name || "Sequential"}.logits`, x);
    const last = this.layers[this.layers.length - 1];
    const body = this.layers.slice(0, -1).reduce((h, layer) => layer.forward(h), x);
    if (last instanceof Activation) return body;
    if (isActivated(last)) return last.linear(body);
    if (last instanceof Sequential) return last.logits(body);
    return last ? last.forward(body) : body;
  }
}
