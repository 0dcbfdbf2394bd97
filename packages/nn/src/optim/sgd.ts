// SGD with optional momentum, Nesterov momentum and L2 weight decay.
import { type Tensor, checkOptions, getBackend } from "@tapegrad/core";
import type { ClipOptions } from "./clip.js";
import { Optimizer, type Schedule } from "./optimizer.js";

/** Options of SGD, with gradient clipping (clipGradNorm, clipGradValue) applied each step. */
export interface SgdOptions extends ClipOptions {
  readonly learningRate: number | Schedule;
  /** Momentum coefficient in [0, 1) (default 0: plain gradient descent). */
  readonly momentum?: number;
  /** Use Nesterov momentum (needs momentum > 0). */
  readonly nesterov?: boolean;
  /** L2 penalty added to the gradient: g + weightDecay·w (default 0). */
  readonly weightDecay?: number;
}

/**
 * Stochastic gradient descent, PyTorch's formulation: v ← μv + g; w ← w − lr·v (Nesterov:
 * w ← w − lr·(g + μv)). With no momentum it is exactly w ← w − lr·g, the seed's update.
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(params: readonly Tensor[], options: SgdOptions) {
    options = checkOptions("SGD", options, [
      "learningRate", "momentum", "nesterov", "weightDecay", "clipGradNorm", "clipGradValue",
    ]);
    const momentum = options.momentum ?? 0;
    const weightDecay = options.weightDecay ?? 0;
    if (!(momentum >= 0 && momentum < 1)) {
      throw new RangeError(`SGD: momentum must be in [0, 1); got ${momentum}`);
    }
    if (!(weightDecay >= 0)) {
      throw new RangeError(`SGD: weightDecay must be ≥ 0; got ${weightDecay}`);
    }
    if (options.nesterov && momentum === 0) {
      throw new RangeError("SGD: nesterov needs momentum > 0; got 0");
    }
    super(params, options.learningRate, options);
    this.momentum = momentum;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = weightDecay;
  }

  protected initSingle(param: Tensor): Record<string, Float64Array> {
    return { velocity: new Float64Array(param.size) };
  }

  protected applySingle(
    w: Float32Array | Float64Array, g: Float32Array | Float64Array,
    state: Record<string, Float64Array>, lr: number, step: number,
  ): void {
    const { momentum: mu, weightDecay: wd, nesterov } = this;
    if (mu === 0 && wd === 0) {
      // Plain descent, the common case: the backend's kernel (WebAssembly SIMD for float32).
      if (w instanceof Float32Array === g instanceof Float32Array) {
        return getBackend().descend({ w, g, learningRate: lr });
      }
    }
    const v = state.velocity;
    for (let i = 0; i < w.length; i++) {
      let d = g[i] + wd * w[i];
      if (mu !== 0) {
        v[i] = step === 1 ? d : mu * v[i] + d;
        d = nesterov ? d + mu * v[i] : v[i];
      }
      w[i] -= lr * d;
    }
  }
}
