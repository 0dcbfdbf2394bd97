// Optimizer steps on the generated module: SGD's descend and Adam/AdamW, in place on resident
// arrays and split over the threads when long; the TypeScript kernel otherwise.
import type { AdamArgs } from "../contract.js";
import { adam } from "../update.js";
import { runPairKernel } from "./map-runner.js";
import { wholeResident } from "./resident.js";
import { wasmSimdAvailable } from "./runtime.js";
import { load } from "./state.js";
import { stageShared } from "./transfers.js";

/**
 * w[i] ← w[i] − learningRate · g[i] in place, in float32 on WebAssembly SIMD with the
 * arithmetic in f64: the same values as the TypeScript `descend`.
 */
export function wasmDescend(w: Float32Array, g: Float32Array, learningRate: number): void {
  runPairKernel("descend", w, g, w, learningRate);
}

/**
 * One Adam/AdamW step in place on WebAssembly SIMD when w (float32) and the moments m, v
 * (float64) are whole resident arrays (g, float32, is copied next to them if it is not); else
 * the TypeScript kernel. The same bits either way.
 */
export function wasmAdam(h: AdamArgs): void {
  const { w, g, m, v } = h;
  const st = wasmSimdAvailable() && w instanceof Float32Array && g instanceof Float32Array
    ? load()
    : undefined;
  // What it updates in place must be resident; a gradient that is not is copied next to it.
  const staged = st !== undefined && wholeResident(st, w as Float32Array, m, v)
    ? stageShared(st, [g])
    : null;
  if (st === undefined || staged === null) {
    adam(h);
    return;
  }
  const scalars = [h.learningRate, h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.c1, h.c2, h.eps,
    h.decoupled ? h.learningRate * h.weightDecay : h.weightDecay];
  const at = (start: number) =>
    [w.byteOffset + 4 * start, staged[0] + 4 * start, m.byteOffset + 8 * start,
      v.byteOffset + 8 * start];
  const kind = h.decoupled ? "adamW" : "adamL2";
  const split = st.pool?.runs.elementwise(st, w.length, w.length, 4, kind, scalars,
    (start, n) => [...at(start), n]);
  if (split) return;
  const e = st.threaded.exports;
  const [wp, gp, mp, vp] = at(0);
  (h.decoupled ? e.adamW : e.adamL2)(wp, gp, mp, vp, w.length, ...scalars);
}
