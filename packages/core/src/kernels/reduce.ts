// Reduction kernels: sum/max/min over any set of axes, and argmax/argmin along one axis.
import type { FloatArray } from "../dtype.js";
import type { ArgReduceArgs, ReduceArgs, ReduceKernel } from "./contract.js";

/**
 * Reduces `x` (of `shape`) into `out`, which is addressed by `outStrides` — the output's
 * strides laid over the input's axes, 0 on reduced axes. `out` is initialised here.
 */
export function reduce({ op, x, shape, out, outStrides }: ReduceArgs): void {
  out.fill(op === "sum" ? 0 : op === "max" ? -Infinity : Infinity);
  let rank = shape.length;
  if (rank === 0) {
    reduceRun(op, x, 0, 1, out, 0, 0);
    return;
  }
  // Trailing reduced axes are one run: a full sum is one loop, not one call per row, and a
  // float32 result is rounded once per output whatever the shape (not once per row).
  let inner = shape[rank - 1];
  while (rank > 1 && outStrides[rank - 1] === 0 && outStrides[rank - 2] === 0) {
    rank--;
    inner *= shape[rank - 1];
  }
  const os = outStrides[rank - 1];
  if (rank === 1) {
    reduceRun(op, x, 0, inner, out, 0, os);
    return;
  }
  const outer = x.length / Math.max(inner, 1);
  const index = new Array<number>(rank).fill(0);
  let oo = 0;
  for (let run = 0; run < outer; run++) {
    reduceRun(op, x, run * inner, inner, out, oo, os);
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      oo += outStrides[d];
      if (index[d] < shape[d]) break;
      oo -= outStrides[d] * shape[d];
      index[d] = 0;
    }
  }
}

function reduceRun(
  op: ReduceKernel, x: FloatArray, xo: number, n: number,
  out: FloatArray, oo: number, os: number,
): void {
  if (os === 0) {
    // The innermost axis is reduced: fold the run into one accumulator.
    // NaN wins (v !== v), as in NumPy's max/min.
    let acc = out[oo];
    if (op === "sum") for (let i = 0; i < n; i++) acc += x[xo + i];
    else if (op === "max") {
      for (let i = 0; i < n; i++) {
        const v = x[xo + i];
        if (v > acc || v !== v) acc = v;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = x[xo + i];
        if (v < acc || v !== v) acc = v;
      }
    }
    out[oo] = acc;
    return;
  }
  if (op === "sum") for (let i = 0; i < n; i++) out[oo + i * os] += x[xo + i];
  else if (op === "max") {
    for (let i = 0; i < n; i++) {
      const v = x[xo + i];
      if (v > out[oo + i * os] || v !== v) out[oo + i * os] = v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = x[xo + i];
      if (v < out[oo + i * os] || v !== v) out[oo + i * os] = v;
    }
  }
}

/**
 * Index of the largest (or smallest) value along the middle axis of x viewed as
 * [outer, axisSize, inner]; the first occurrence wins ties, NaN wins over numbers.
 */
export function argReduce({ op, x, outer, axisSize, inner, out }: ArgReduceArgs): void {
  const sign = op === "argmax" ? 1 : -1;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * axisSize * inner + j;
      let best = 0;
      let bestValue = x[base];
      for (let a = 1; a < axisSize && bestValue === bestValue; a++) {
        const v = x[base + a * inner];
        if (sign * (v - bestValue) > 0 || v !== v) {
          best = a;
          bestValue = v;
        }
      }
      out[o * inner + j] = best;
    }
  }
}
