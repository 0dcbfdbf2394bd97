// Matrix products on the generated module: blocking, scratch layout, copies of operands that are
// not resident and the fused bias + activation epilogue (the split over threads: pool-runs.ts).
import type { FusedActivation, LinearArgs, MatmulArgs } from "../contract.js";
import { biasActivation } from "../elementwise.js";
import { productKey } from "./balance.js";
import { epilogueName } from "./kernel-module.js";
import { compactPanelBytes } from "./sparse-module.js";
import { GEMM_ARGS } from "./slot-layout.js";
import type { SliceKernels } from "./slices.js";
import { type ProductPlan, runSparse, sparseHint } from "./sparse-runner.js";
import { sparseScratchBytes } from "./sparse-rows-module.js";
import {
  EPILOGUE_NAMES, type Space, type WasmMatmulConfig, dataStart, isResident, load, reserve,
  roundUp, threadedScratch,
} from "./state.js";
import { slice } from "./transfers.js";

const args = new Array<number>(GEMM_ARGS).fill(0);

/** Equal blocks (mc and nc rounded to whole tiles) for an m×k by k×n product: [kc, mc, nc]. */
function blocks(config: WasmMatmulConfig, m: number, k: number, n: number): number[] {
  const nr = 4 * config.vectors;
  const kc = Math.ceil(k / Math.ceil(k / config.kc));
  const mc = Math.ceil(Math.ceil(m / Math.ceil(m / config.mc)) / config.mr) * config.mr;
  const nc = Math.ceil(Math.ceil(n / Math.ceil(n / config.nc)) / nr) * nr;
  return [kc, mc, nc];
}

/**
 * Scratch of one thread for any slice of at most m×k by k×n, starting at `base`: the packed A,
 * packed B and edge tile pointers (the compacted A panels follow the edge tile), then the end.
 */
export function scratchLayout(
  config: WasmMatmulConfig, m: number, k: number, n: number, base: number,
): [number, number, number, number] {
  // blocks() gives kc ≤ min(k, kc), mc ≤ min(m, mc) and nc ≤ min(n, nc), rounded to tiles.
  const { mr, vectors } = config;
  const nr = 4 * vectors;
  const kc = Math.min(k, config.kc);
  const mc = Math.ceil(Math.min(m, config.mc) / mr) * mr;
  const nc = Math.ceil(Math.min(n, config.nc) / nr) * nr;
  const pb = base + roundUp(4 * kc * mc);
  const tmp = pb + roundUp(4 * kc * nc);
  const compact = config.skipZeros ? (mc / mr) * compactPanelBytes(mr, kc) : 0;
  return [base, pb, tmp, tmp + roundUp(4 * mr * nr + compact)];
}

/** A slice of a product: C's rows [lo, hi), or its columns when `splitN`. */
export interface ProductSlice {
  lo: number;
  hi: number;
  splitN: boolean;
}

/**
 * Fills `into` (GEMM_ARGS words) with the gemm export's arguments for `slice` of `p`, its
 * scratch at `at`: pointers and strides, sizes, blocking and scratch pointers.
 */
export function gemmSliceArgs(
  into: number[], config: WasmMatmulConfig, p: ProductPlan, slice: ProductSlice, at: number,
): void {
  const { lo, hi, splitN } = slice;
  const { m, n, k } = p;
  const sm = splitN ? m : hi - lo;
  const sn = splitN ? hi - lo : n;
  const [kc, mc, nc] = sm > 0 && sn > 0 ? blocks(config, sm, k, sn) : [1, 1, 1];
  into[0] = p.a + (splitN ? 0 : lo * p.ars);
  into[1] = p.ars; into[2] = p.acs;
  into[3] = p.b + (splitN ? lo * p.bcs : 0);
  into[4] = p.brs; into[5] = p.bcs;
  into[6] = p.c + 4 * (splitN ? lo : lo * n);
  into[7] = 4 * n;
  into[8] = sm; into[9] = sn; into[10] = k;
  into[11] = kc; into[12] = mc; into[13] = nc;
  [into[14], into[15], into[16]] = scratchLayout(config, sm, k, sn, at);
}

/**
 * out[m, n] = op(a) @ op(b), overwriting out, in float32 on WebAssembly SIMD: the `matmul`
 * kernel's contract (`MatmulArgs`).
 * @example wasmMatmul({ a, b, out, m: 2, k: 3, n: 4 }); // a: [2, 3], b: [3, 4], out: [2, 4]
 */
export function wasmMatmul(args: MatmulArgs & F32<"a" | "b" | "out">): void {
  const { a, b, out, m, k, n, transA = false, transB = false } = args;
  const { aOffset = 0, bOffset = 0, outOffset = 0 } = args;
  product(a, b, out, m, k, n, transA, transB, aOffset, bOffset, outOffset, null, "identity", 0);
}

/** The record with the named fields narrowed to float32 (what the wasm kernels take). */
export type F32<K extends string> = { readonly [P in K]: Float32Array };

/**
 * out[m, n] = act(x @ w + bias) for x: [m, k], w: [k, n], bias: [n] or null: the product, then
 * the bias and activation applied in WebAssembly memory before the result is copied out.
 * Rounds exactly like `matmul` followed by the TypeScript `biasActivation`.
 */
export function wasmLinear(
  args: LinearArgs & F32<"x" | "w" | "out"> & { readonly bias: Float32Array | null },
): void {
  const { x, w, bias, out, m, k, n, activation, slope } = args;
  product(x, w, out, m, k, n, false, false, 0, 0, 0, bias, activation, slope);
}

function product(
  a: Float32Array, b: Float32Array, out: Float32Array,
  m: number, k: number, n: number,
  transA: boolean, transB: boolean,
  aOffset: number, bOffset: number, outOffset: number,
  bias: Float32Array | null, act: FusedActivation, slope: number,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    out.fill(0, outOffset, outOffset + m * n);
    if (bias !== null || act !== "identity") {
      biasActivation({
        out: out.subarray(outOffset, outOffset + m * n), bias, rows: m, cols: n,
        activation: act, slope,
      });
    }
    return;
  }
  const st = load();
  const { config, pool } = st;
  const { threads } = config;
  // Split over the threads if worth a wake-up: the longer of m and n (dense) or the rows
  // (sparse path). The pool may also say no: while the helpers lose time (a busy machine), the
  // caller runs products alone; see ThreadChoice.
  const flops = 2 * m * n * k;
  const engaged = threads > 1 && flops >= config.parallelFlops;
  const slices = engaged && pool!.engage(flops) ? threads : 1;
  const key = productKey(m, k, n, transA, transB);
  const hint = sparseHint(st, key, m, k, n, transB);
  // Operands already in the shared memory are read and written there; the rest are copied in.
  const inA = isResident(st, a);
  const inB = isResident(st, b);
  const inC = isResident(st, out);
  const inBias = bias !== null && isResident(st, bias);
  const shared = slices > 1 || inA || inB || inC || inBias;
  const s = shared ? st.threaded : st.local;
  // Layout of the temporary region: copies of A, B, C and the bias that are not resident,
  // then per thread its scratch (packed A, packed B and an edge tile; or the sparse lists).
  const aBytes = inA ? 0 : roundUp(4 * m * k);
  const bBytes = inB ? 0 : roundUp(4 * k * n);
  const cBytes = inC ? 0 : roundUp(4 * m * n);
  const biasBytes = bias === null || inBias ? 0 : roundUp(4 * n);
  const perThread = Math.max(scratchLayout(config, m, k, n, 0)[3],
    hint === null ? 0 : roundUp(sparseScratchBytes(m, k)));
  const total = aBytes + bBytes + cBytes + biasBytes + slices * perThread;
  let base: number;
  if (shared && st.heap !== undefined) {
    base = threadedScratch(st, total);
  } else {
    base = dataStart(st);
    reserve(s, base + total);
  }
  const f32 = s.f32;
  const aPtr = inA ? a.byteOffset + 4 * aOffset : base;
  const bPtr = inB ? b.byteOffset + 4 * bOffset : base + aBytes;
  const cPtr = inC ? out.byteOffset + 4 * outOffset : base + aBytes + bBytes;
  const biasPtr = inBias ? bias.byteOffset : base + aBytes + bBytes + cBytes;
  const scratch = base + aBytes + bBytes + cBytes + biasBytes;
  if (!inA) f32.set(slice(a, aOffset, m * k), aPtr >> 2);
  if (!inB) f32.set(slice(b, bOffset, k * n), bPtr >> 2);
  if (bias !== null && !inBias) f32.set(bias, biasPtr >> 2);
  const epilogue = bias !== null || act !== "identity"
    ? EPILOGUE_NAMES.indexOf(epilogueName(act, bias !== null))
    : -1;
  // A(i, p) at aPtr + i·ars + p·acs and B(p, j) at bPtr + p·brs + j·bcs, in bytes.
  const ars = transA ? 4 : 4 * k;
  const acs = transA ? 4 * m : 4;
  const brs = transB ? 4 : 4 * n;
  const bcs = transB ? 4 * k : 4;
  const plan: ProductPlan = {
    a: aPtr, ars, acs, b: bPtr, brs, bcs, c: cPtr, ldc: 4 * n, m, n, k, epilogue,
    bias: biasPtr, slope, scratch, perThread,
  };
  const sparseDone = hint !== null && runSparse(st, plan, hint, s.exports, slices, key);
  if (!sparseDone && slices > 1) pool!.runs.dense(st, plan, slices, key);
  else if (!sparseDone) dense(plan, config, s);
  if (!inC) out.set(f32.subarray(cPtr >> 2, (cPtr >> 2) + m * n), outOffset);
  if (engaged && slices === 1) pool!.soloDone();
}

/** The dense (blocked, packed) product of `p` on the calling thread, then its epilogue. */
function dense(p: ProductPlan, config: WasmMatmulConfig, s: Space): void {
  gemmSliceArgs(args, config, p, { lo: 0, hi: p.m, splitN: false }, p.scratch);
  s.exports.gemm(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7],
    args[8], args[9], args[10], args[11], args[12], args[13], args[14], args[15], args[16]);
  if (p.epilogue >= 0) {
    const run = s.exports[EPILOGUE_NAMES[p.epilogue]] as SliceKernels["epilogues"][number];
    run(p.c, p.bias, p.m, p.n, p.slope, 4 * p.n);
  }
}
