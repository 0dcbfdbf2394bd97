// Random bits for kernels: the xoshiro128** step on a state held in a Uint32Array (shared with
// Rng, so kernels advance the same generator) and a counter-based hash for dropout masks.
import type { FloatArray } from "../dtype.js";

/** Advances xoshiro128** state s[0..3] by one step and returns the output (unsigned 32-bit). */
export function xoshiroNext(s: Uint32Array): number {
  const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
  const t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** 32 well-mixed bits of (key, counter): two rounds of the murmur3 finaliser. */
function mix(key: number, counter: number): number {
  let h = (Math.imul(counter, 0x9e3779b9) ^ key) >>> 0;
  for (let round = 0; round < 2; round++) {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    h = (h + key) >>> 0;
  }
  return h >>> 0;
}

/** Arguments of `dropoutMask`. */
export interface DropoutMaskArgs {
  /** A generator's xoshiro128** state; advanced by two draws per call. */
  readonly state: Uint32Array;
  /** Overwritten: 1/(1 − p) where kept (probability 1 − p), else 0. */
  readonly out: FloatArray;
  /** Drop probability in [0, 1). */
  readonly p: number;
}

/**
 * A dropout mask: draws two keys from `state` (two xoshiro steps), then keeps element i when
 * the hash of (k0, i xor k1), read as a fraction of 2³², is ≥ p; kept elements get 1/(1 − p).
 */
export function dropoutMask(a: DropoutMaskArgs): void {
  const { state, out, p } = a;
  const k0 = xoshiroNext(state);
  const k1 = xoshiroNext(state);
  const threshold = p * 4294967296;
  const scale = 1 / (1 - p);
  for (let i = 0; i < out.length; i++) {
    out[i] = mix(k0, (i ^ k1) >>> 0) < threshold ? 0 : scale;
  }
}
