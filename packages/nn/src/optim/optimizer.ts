// Optimizer base: parameter list, zeroGrad, per-parameter state, learning-rate schedules.
import { Tensor, noGrad, peekGrad } from "@tapegrad/core";
import { type ClipOptions, applyClipping, checkClipOptions } from "./clip.js";
import { describeValue } from "../describe.js";

/** A learning rate as a function of the step number (0-based). */
export type Schedule = (step: number) => number;

/** Serialisable optimizer state, for checkpoints and resuming. */
export interface OptimizerState {
  readonly type: string;
  readonly step: number;
  /** Per-parameter buffers by parameter index, as plain number arrays. */
  readonly buffers: Array<Record<string, number[]>>;
  /** The factor on the rate (see `learningRateScale`); absent means 1. */
  readonly learningRateScale?: number;
}

/**
 * Base class: subclasses implement `initSingle` (state for one parameter) and
 * `applySingle` (its update), in the manner of MLX's optimizers. Updates are in place
 * under noGrad; parameters without a gradient are skipped.
 */
export abstract class Optimizer {
  readonly params: readonly Tensor[];
  /** Number of steps taken. */
  stepCount = 0;
  /**
   * A factor on the learning rate (or on the schedule's value), 1 by default: what
   * `reduceLrOnPlateau` lowers. Saved by `stateDict`.
   */
  learningRateScale = 1;
  /** Gradient clipping applied at every step (see clipGradNorm and clipGradValue). */
  readonly clip: ClipOptions;
  readonly #rate: number | Schedule;
  protected readonly state: Array<Record<string, Float64Array>>;

  constructor(params: readonly Tensor[], learningRate: number | Schedule, clip: ClipOptions = {}) {
    const name = this.constructor.name;
    if (typeof learningRate === "number" && !(Number.isFinite(learningRate) && learningRate > 0)) {
      throw new RangeError(
        `${name}: learningRate must be a positive number; got ${learningRate}`,
      );
    }
    if (typeof learningRate !== "number" && typeof learningRate !== "function") {
      throw new TypeError(
        `${name}: learningRate must be a number or a schedule function`,
      );
    }
    if (!Array.isArray(params)) {
      throw new TypeError(`${name}: params must be an array of tensors, e.g. ` +
        `model.parameters(); got ${describeValue(params)}`);
    }
    params.forEach((p: unknown, i) => {
      if (!(p instanceof Tensor)) {
        throw new TypeError(`${name}: params[${i}] is not a Tensor; got ${describeValue(p)}`);
      }
      if (!p.requiresGrad) {
        throw new TypeError(`${name}: params[${i}] does not require grad`);
      }
    });
    this.params = [...params];
    this.#rate = learningRate;
    this.clip = checkClipOptions(name, clip);
    this.state = this.params.map((p) => this.initSingle(p));
  }

  /** The learning rate this step uses (the rate or schedule, times `learningRateScale`). */
  get learningRate(): number {
    const scale = this.learningRateScale;
    if (!(Number.isFinite(scale) && scale > 0)) {
      throw new RangeError(
        `${this.constructor.name}: learningRateScale must be a positive number; got ${scale}`,
      );
    }
    return scale === 1 ? this.#baseRate() : this.#baseRate() * scale;
  }

  #baseRate(): number {
    if (typeof this.#rate === "number") return this.#rate;
    const rate = this.#rate(this.stepCount);
    // A schedule is user code: a NaN or negative rate would silently wreck the parameters.
    if (typeof rate !== "number" || !Number.isFinite(rate) || rate < 0) {
      throw new RangeError(
        `${this.constructor.name}: the learning-rate schedule returned ${String(rate)} at step ` +
          `${this.stepCount}; it must return a finite number ≥ 0`,
      );
    }
    return rate;
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Clips the gradients if asked, then applies one update to every parameter with one. */
  step(): void {
    const lr = this.learningRate;
    if (this.clip.clipGradNorm !== undefined || this.clip.clipGradValue !== undefined) {
      applyClipping(this.params, this.clip);
    }
    this.stepCount++;
    noGrad(() => {
      this.params.forEach((p, i) => {
        // Peeked, not read: the next backward pass may then write its gradient in place.
        const grad = peekGrad(p);
        if (grad !== null) this.applySingle(p.data, grad.data, this.state[i], lr, this.stepCount);
      });
    });
  }

  /** State for one parameter: named buffers of its size. */
  protected abstract initSingle(param: Tensor): Record<string, Float64Array>;

  /** Updates `param` in place from `grad`; `step` counts from 1. */
  protected abstract applySingle(
    param: Float32Array | Float64Array,
    grad: Float32Array | Float64Array,
    state: Record<string, Float64Array>,
    learningRate: number,
    step: number,
  ): void;

  /** The state as plain data (JSON-serialisable). */
  stateDict(): OptimizerState {
    return {
      type: this.constructor.name,
      step: this.stepCount,
      buffers: this.state.map(
        (s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Array.from(v)])),
      ),
      ...(this.learningRateScale === 1 ? {} : { learningRateScale: this.learningRateScale }),
    };
  }

  /** Restores a state saved by `stateDict`, checking the type and buffer sizes. */
  loadStateDict(saved: OptimizerState): void {
    const name = this.constructor.name;
    if (saved?.type !== name) {
      throw new Error(`${name}.loadStateDict: state is for ${String(saved?.type)}, not ${name}`);
    }
    if (!Array.isArray(saved.buffers) || saved.buffers.length !== this.state.length) {
      throw new Error(
        `${name}.loadStateDict: state has ${saved.buffers?.length} parameters; ` +
          `expected ${this.state.length}`,
      );
    }
    const scale = saved.learningRateScale ?? 1;
    if (!(typeof scale === "number" && Number.isFinite(scale) && scale > 0)) {
      throw new Error(
        `${name}.loadStateDict: learningRateScale must be a positive number; got ${scale}`,
      );
    }
    if (!(Number.isInteger(saved.step) && saved.step >= 0)) {
      throw new Error(
        `${name}.loadStateDict: step must be a non-negative integer; got ${saved.step}`,
      );
    }
    // Check every buffer before copying any, so a failed load leaves the state unchanged.
    saved.buffers.forEach((buffers, i) => {
      for (const [key, own] of Object.entries(this.state[i])) {
        const values = buffers?.[key];
        if (!Array.isArray(values) || values.length !== own.length) {
          throw new Error(
            `${name}.loadStateDict: params[${i}].${key} has ${values?.length} values; ` +
              `expected ${own.length}`,
          );
        }
      }
    });
    saved.buffers.forEach((buffers, i) => {
      for (const [key, own] of Object.entries(this.state[i])) own.set(buffers[key]);
    });
    this.stepCount = saved.step;
    this.learningRateScale = scale;
  }
}
