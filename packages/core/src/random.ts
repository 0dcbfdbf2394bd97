// A small seeded generator (xoshiro128**) so every random tensor is reproducible.
import { xoshiroNext } from "./kernels/random-bits.js";
import { assertNotTracing } from "./tracing.js";

// Each generator's state words, which kernels advance in place (dropout masks): a kernel that
// draws from a generator inside compileStep draws anew on every replay.
const stateWords = new WeakMap<Rng, Uint32Array>();

/** The live state of `rng` (four xoshiro128** words), for kernels that draw from it. */
export function rngStateWords(rng: Rng): Uint32Array {
  return stateWords.get(rng)!;
}

/** The full generator state: four 32-bit words, plus a cached normal deviate. */
export interface RngState {
  readonly s: readonly [number, number, number, number];
  readonly spareNormal: number | null;
}

/**
 * Seeded pseudo-random generator (xoshiro128**, 32-bit words). Library code never calls
 * `Math.random`; every random draw goes through one of these, passed in explicitly.
 */
export class Rng {
  private readonly s = new Uint32Array(4);
  #spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`Rng: seed must be a safe integer; got ${seed}`);
    }
    // splitmix32 spreads any seed (including 0) over the four state words.
    let x = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let i = 0; i < 4; i++) this.s[i] = next();
    stateWords.set(this, this.s);
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    assertNotTracing("Rng");
    return xoshiroNext(this.s);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Uniform in [low, high), by default [0, 1) (then the same value as `next()`).
   * @example new Rng(1).uniform(-1, 1)
   */
  uniform(low = 0, high = 1): number {
    if (!(Number.isFinite(low) && Number.isFinite(high) && low <= high)) {
      throw new RangeError(
        `Rng.uniform: low and high must be finite with low ≤ high; got ${low}, ${high}`,
      );
    }
    return low + (high - low) * this.next();
  }

  /** Standard normal deviate (Box–Muller; the second deviate is cached). */
  normal(): number {
    if (this.#spare !== null) {
      const z = this.#spare;
      this.#spare = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^32]; got ${n}`);
    }
    return Math.floor(this.next() * n);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A snapshot of the state, JSON-serialisable, for checkpoints. */
  getState(): RngState {
    return {
      s: [this.s[0], this.s[1], this.s[2], this.s[3]],
      spareNormal: this.#spare,
    };
  }

  /** Restores a snapshot taken with `getState`. */
  setState(state: RngState): void {
    const ok =
      Array.isArray(state?.s) &&
      state.s.length === 4 &&
      state.s.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) &&
      (state.spareNormal === null || typeof state.spareNormal === "number");
    if (!ok) throw new TypeError(`Rng.setState: not an RngState; got ${JSON.stringify(state)}`);
    this.s.set(state.s);
    this.#spare = state.spareNormal;
  }

  /** A generator with a copy of this one's state. */
  clone(): Rng {
    const copy = new Rng(0);
    copy.setState(this.getState());
    return copy;
  }
}

/** The seed the process-wide generator starts from (fixed, so quick scripts are repeatable). */
export const DEFAULT_SEED = 0x5eed;

let fallback: Rng | null = null;

/**
 * The process-wide generator that APIs taking an optional `rng` or `seed` (such as `fit`'s
 * shuffling) draw from when given neither. It starts from {@link DEFAULT_SEED}, so a script
 * gives the same results on every run; {@link manualSeed} restarts it. Passing an explicit
 * seed or Rng stays the documented way: this one is shared by everything that falls back to it.
 * @example manualSeed(1); const r = defaultRng().next();
 */
export function defaultRng(): Rng {
  fallback ??= new Rng(DEFAULT_SEED);
  return fallback;
}

/**
 * Restarts the process-wide generator from `seed` (as PyTorch's `torch.manual_seed`) and
 * returns it.
 * @example manualSeed(42); // later fit() calls without a seed shuffle the same way each run
 */
export function manualSeed(seed: number): Rng {
  fallback = new Rng(seed);
  return fallback;
}
