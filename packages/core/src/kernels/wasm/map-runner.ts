// Elementwise maps on the generated module (softplus, sigmoid, the BCE pair, the relu/leakyRelu
// backward mask, column sums): in place on resident arrays, split over threads when long,
// through local memory otherwise.
import { MAP_KERNELS } from "./slot-layout.js";
import { wholeResident } from "./resident.js";
import { type Space, isResident, load } from "./state.js";
import { stageShared, throughLocal } from "./transfers.js";

/** An element of a map (exp and log in f64) costs about as much as this many of an update. */
const MAP_COST = 32;

/**
 * out[i] = dy[i] · (y[i] > 0 ? 1 : p) in float32 on WebAssembly SIMD, a NaN in y counting as
 * positive when `nanAsPositive`: the same values as the TypeScript `leakyStepMul` (p rounded to
 * float32, one rounding per product).
 */
export function wasmLeakyStepMul(
  dy: Float32Array, y: Float32Array, out: Float32Array, p: number, nanAsPositive: boolean,
): void {
  runPairKernel(nanAsPositive ? "stepMulRelu" : "stepMul", dy, y, out, p);
}

/**
 * out = softplus(x) or sigmoid(x) in float32 on WebAssembly SIMD (f64 inside, one rounding).
 * Equal to the TypeScript kernels except, rarely, by one unit in the last place.
 */
export function wasmActivation(
  name: "softplus" | "sigmoid", x: Float32Array, out: Float32Array,
): void {
  runMap(name, [x], out);
}

/**
 * out = softplus(x) − t·x (with `dy`: out = (sigmoid(x) − t)·dy) in float32 on WebAssembly
 * SIMD, f64 inside and one rounding. Equal to the TypeScript `bceLogits`/`bceLogitsGrad`
 * except, rarely, by one unit in the last place.
 */
export function wasmBceLogits(
  x: Float32Array, t: Float32Array, dy: Float32Array | null, out: Float32Array,
): void {
  if (dy === null) runMap("bceLogits", [x, t], out);
  else runMap("bceLogitsGrad", [x, t, dy], out);
}

/**
 * Runs the map export `name(...inputPtrs, outPtr, count)` (activation-module.ts): in place for
 * whole resident arrays, else on copies in local memory, the result over the first input's copy.
 */
function runMap(
  name: "softplus" | "sigmoid" | "bceLogits" | "bceLogitsGrad",
  inputs: readonly Float32Array[], out: Float32Array,
): void {
  const count = out.length;
  if (count === 0) return;
  const st = load();
  const run = (s: Space, pointers: number[], outPtr: number): void =>
    (s.exports[name] as (...args: number[]) => void)(...pointers, outPtr, count);
  if (wholeResident(st, ...inputs, out)) {
    const pointers = inputs.map((x) => x.byteOffset);
    const at = (start: number, n: number): number[] => [
      MAP_KERNELS.indexOf(name),
      ...[0, 1, 2].map((i) => (i < pointers.length ? pointers[i] + 4 * start : 0)),
      out.byteOffset + 4 * start, n,
    ];
    if (!st.pool?.runs.elementwise(st, MAP_COST * count, count, 4, "map", [], at)) {
      run(st.threaded, pointers, out.byteOffset);
    }
    return;
  }
  throughLocal(st, inputs, out, 0, (s, pointers) => {
    run(s, pointers.slice(0, inputs.length), pointers[0]);
    return pointers[0];
  });
}

/**
 * Runs the elementwise export `name(aPtr, bPtr, outPtr, count, scalar)` (descend has no outPtr
 * and writes over a). A whole resident out is written in place (a and b copied into the shared
 * scratch if they are not resident); otherwise a and b are copied into local memory, the result
 * is written over a's copy and copied into out.
 */
export function runPairKernel(
  name: "stepMul" | "stepMulRelu" | "descend", a: Float32Array, b: Float32Array,
  out: Float32Array,
  scalar: number,
): void {
  const count = out.length;
  if (count === 0) return;
  const st = load();
  // With out resident (descend's w, say: a parameter) the other operands are copied next to
  // it, and the kernel runs in place there; else all of them go through local memory.
  const staged = wholeResident(st, out) ? stageShared(st, [a, b]) : null;
  if (staged === null) {
    throughLocal(st, [a, b], out, 0, (s, [aPtr, bPtr]) => {
      if (name === "descend") s.exports.descend(aPtr, bPtr, count, scalar);
      else s.exports[name](aPtr, bPtr, aPtr, count, scalar);
      return aPtr;
    });
    return;
  }
  const e = st.threaded.exports;
  const [aPtr, bPtr] = staged;
  const runs = st.pool?.runs;
  if (name !== "descend") {
    // Split over the threads by a call slice, whose arguments are integers: relu's slope 0.
    const split = Number.isInteger(scalar) && runs?.elementwise(st, count, count, 4, "call", [],
      (start, n) => [st.calls.indexOf(name), aPtr + 4 * start, bPtr + 4 * start,
        out.byteOffset + 4 * start, n, scalar]);
    if (!split) e[name](aPtr, bPtr, out.byteOffset, count, scalar);
  } else if (!runs?.elementwise(st, count, count, 4, "descend", [scalar],
    (start, n) => [aPtr + 4 * start, bPtr + 4 * start, n])) {
    e.descend(aPtr, bPtr, count, scalar);
  }
}

/**
 * out[j] = Σ_i x[i, j] for x: [rows, cols] in float32 on WebAssembly SIMD, rows in order with
 * one rounding per addition: the same values as the TypeScript `reduce` on that layout.
 */
export function wasmColumnSum(
  x: Float32Array, out: Float32Array, rows: number, cols: number,
): void {
  if (cols === 0) return;
  const st = load();
  if (isResident(st, x) && isResident(st, out)) {
    st.threaded.exports.colSum(x.byteOffset, out.byteOffset, rows, cols);
    return;
  }
  throughLocal(st, [x], out, 4 * cols, (s, [xPtr, outPtr]) => {
    s.exports.colSum(xPtr, outPtr, rows, cols);
    return outPtr;
  });
}
