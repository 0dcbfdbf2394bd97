// Adam (with optional L2 weight decay) and AdamW (decoupled weight decay).
import { type Tensor, checkOptions, getBackend, residentStorage } from "@tapegrad/core";
import type { ClipOptions } from "./clip.js";
import { Optimizer, type Schedule } from "./optimizer.js";

/** Options of Adam and AdamW, with gradient clipping (clipGradNorm, clipGradValue). */
export interface AdamOptions extends ClipOptions {
  /** Step size, or a schedule (default 1e-3). */
  readonly learningRate?: number | Schedule;
  /** Decay of the first-moment (mean) estimate, in [0, 1) (default 0.9). */
  readonly beta1?: number;
  /** Decay of the second-moment (uncentred variance) estimate, in [0, 1) (default 0.999). */
  readonly beta2?: number;
  /** Added to √v̂ so the step stays finite (default 1e-8). */
  readonly eps?: number;
  /**
   * Adam: L2 penalty added to the gradient, g + weightDecay·w (default 0).
   * AdamW: decoupled decay, w ← w − lr·weightDecay·w before the Adam step (default 0.01).
   */
  readonly weightDecay?: number;
}

interface AdamConfig {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

function validate(name: string, options: AdamOptions, defaultDecay: number): AdamConfig {
  checkOptions(name, options, [
    "learningRate", "beta1", "beta2", "eps", "weightDecay", "clipGradNorm", "clipGradValue",
  ]);
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = defaultDecay } = options;
  for (const [key, value] of [["beta1", beta1], ["beta2", beta2]] as const) {
    if (!(typeof value === "number" && value >= 0 && value < 1)) {
      throw new RangeError(`${name}: ${key} must be in [0, 1); got ${value}`);
    }
  }
  if (!(typeof eps === "number" && Number.isFinite(eps) && eps > 0)) {
    throw new RangeError(`${name}: eps must be a positive number; got ${eps}`);
  }
  if (!(typeof weightDecay === "number" && Number.isFinite(weightDecay) && weightDecay >= 0)) {
    throw new RangeError(`${name}: weightDecay must be ≥ 0; got ${weightDecay}`);
  }
  return { beta1, beta2, eps, weightDecay };
}

/**
 * Adam (Kingma & Ba), PyTorch's formulation: g ← g + weightDecay·w; m ← β1·m + (1−β1)·g;
 * v ← β2·v + (1−β2)·g²; m̂ = m/(1−β1ᵗ); v̂ = v/(1−β2ᵗ); w ← w − lr·m̂/(√v̂ + eps).
 * NOTE: t counts the steps that actually updated each parameter (a parameter skipped for
 * lack of a gradient keeps its own count), as in PyTorch. The arithmetic runs in float64
 * and is stored into the parameter once per step.
 * @example const opt = new Adam(model.parameters(), { learningRate: 1e-3 });
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** True for AdamW: weight decay shrinks w directly instead of joining the gradient. */
  static readonly decoupledDecay: boolean = false;
  protected readonly decoupled: boolean;

  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    const decoupled = (new.target as typeof Adam).decoupledDecay;
    const config = validate(new.target.name, options, decoupled ? 0.01 : 0);
    super(params, options.learningRate ?? 1e-3, options);
    this.beta1 = config.beta1;
    this.beta2 = config.beta2;
    this.eps = config.eps;
    this.weightDecay = config.weightDecay;
    this.decoupled = decoupled;
  }

  protected initSingle(param: Tensor): Record<string, Float64Array> {
    // step holds this parameter's own update count t (one value). The moments live where the
    // fast Adam kernel can update them in place.
    const n = param.size;
    const moment = () => residentStorage("float64", n) as Float64Array;
    return { m: moment(), v: moment(), step: new Float64Array(1) };
  }

  protected applySingle(
    w: Float32Array | Float64Array, g: Float32Array | Float64Array,
    state: Record<string, Float64Array>, lr: number,
  ): void {
    const t = ++state.step[0];
    getBackend().adam({
      w, g, m: state.m, v: state.v,
      learningRate: lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps,
      weightDecay: this.weightDecay, decoupled: this.decoupled,
      c1: 1 - this.beta1 ** t, c2: 1 - this.beta2 ** t, // bias corrections
    });
  }
}

/**
 * AdamW (Loshchilov & Hutter), as in PyTorch: w ← w − lr·weightDecay·w, then the Adam step
 * on the plain gradient. Decay defaults to 0.01 and is not scaled by the adaptive
 * denominator, unlike Adam's L2 penalty.
 * @example new AdamW(model.parameters(), { learningRate: 1e-3, weightDecay: 0.05 })
 */
export class AdamW extends Adam {
  static override readonly decoupledDecay: boolean = true;
}
