// Matrix products on the generated module: blocking, scratch layout, copies of operands that are
// not resident, the split over threads and the fused bias + activation epilogue.
import type { FusedActivation, LinearArgs, MatmulArgs } from "../contract.js";
import { biasActivation } from "../elementwise.js";
import { productKey, shareCuts } from "./balance.js";
import { epilogueName } from "./kernel-module.js";
import { compactPanelBytes } from "./sparse-module.js";
import { GEMM_ARGS, SliceKind } from "./slot-layout.js";
import type { SliceKernels } from "./slices.js";
import { type ProductPlan, runSparse, sparseHint } from "./sparse-runner.js";
import { sparseScratchBytes } from "./sparse-rows-module.js";
import {
  EPILOGUE_NAMES, type Space, type State, type WasmMatmulConfig, dataStart, isResident, load,
  reserve, roundUp, threadedScratch,
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
function scratchLayout(
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

/** Fills args[8..16]: sizes, blocking and scratch pointers of one slice. */
function gemmArgs(config: WasmMatmulConfig, m: number, k: number, n: number, at: number): void {
  const [kc, mc, nc] = m > 0 && n > 0 ? blocks(config, m, k, n) : [1, 1, 1];
  args[8] = m; args[9] = n; args[10] = k;
  args[11] = kc; args[12] = mc; args[13] = nc;
  [args[14], args[15], args[16]] = scratchLayout(config, m, k, n, at);
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
  // Its own balance: the sparse path's rows cost differently from the dense path's tiles.
  const sparseDone = hint !== null && runSparse(st, plan, hint, s.exports, slices,
    slices > 1 ? pool!.balances.product(-1 - key) : undefined);
  if (!sparseDone) dense(st, plan, slices, s, key);
  if (!inC) out.set(f32.subarray(cPtr >> 2, (cPtr >> 2) + m * n), outOffset);
  if (engaged && slices === 1) pool!.soloDone();
}

/** The dense (blocked, packed) product of `p` in `slices` slices, then its epilogue. */
function dense(
  st: State, p: ProductPlan, slices: number, s: Space, key: number,
): void {
  const { config, pool } = st;
  const { m, n, k, epilogue, ars, brs, bcs } = p;
  const nr = 4 * config.vectors;
  // On a tie of m and n the rows, so each thread packs (and compacts) only its own rows of A.
  // In alternating runs that made the MNIST layer-1 product 6 % faster than splitting columns.
  const splitN = n > m;
  const length = splitN ? n : m;
  const balance = slices > 1 ? pool!.balances.product(key) : undefined;
  const cuts = shareCuts(length, slices, balance?.share() ?? 1, splitN ? nr : config.mr);
  // Each slice applies the epilogue to its own block of C while that is in cache.
  const fused = slices > 1 && epilogue >= 0;
  for (let t = slices - 1; t >= 0; t--) {
    const [lo, hi] = [cuts[t], cuts[t + 1]];
    const sm = splitN ? m : hi - lo;
    const sn = splitN ? hi - lo : n;
    gemmArgs(config, sm, k, sn, p.scratch + t * p.perThread);
    args[0] = p.a + (splitN ? 0 : lo * ars);
    args[1] = ars; args[2] = p.acs;
    args[3] = p.b + (splitN ? lo * bcs : 0);
    args[4] = brs; args[5] = bcs;
    args[6] = p.c + 4 * (splitN ? lo : lo * n);
    args[7] = 4 * n;
    if (slices > 1) {
      // The slice's own words 14–15 (its scratch is the thread's): epilogue + 1 and bias.
      args[14] = fused ? epilogue + 1 : 0;
      args[15] = p.bias + (splitN ? 4 * lo : 0);
      pool!.setSlice(t, args, SliceKind.gemm);
      // Any thread may run any slice, so its scratch is laid out for the largest one.
      const [pa, pb, tmp] = scratchLayout(config, m, k, n, p.scratch + t * p.perThread);
      pool!.setScratch(t, pa, pb, tmp);
    } else {
      s.exports.gemm(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7],
        args[8], args[9], args[10], args[11], args[12], args[13], args[14], args[15], args[16]);
    }
  }
  // Every thread, this one included, claims slices until none is left.
  if (slices > 1) {
    if (fused) pool!.setScalars([p.slope]);
    pool!.run(slices, st.kernels, balance, cuts[1] / length);
  }
  if (epilogue >= 0 && !fused) {
    const run = s.exports[EPILOGUE_NAMES[epilogue]] as SliceKernels["epilogues"][number];
    run(p.c, p.bias, m, n, p.slope, 4 * n);
  }
}
