// The runners' paths over several threads: elementwise kernels, products (dense and row-sparse)
// and background gathers cut into pool slices. The pool carries them (`GemmPool.runs`), so a
// program without threads bundles only the runners' single-thread paths.
import { shareCuts } from "./balance.js";
import { type ProductSlice, gemmSliceArgs, scratchLayout } from "./gemm-runner.js";
import { GEMM_ARGS, SLOTS, SliceKind } from "./slot-layout.js";
import type { ProductPlan } from "./sparse-runner.js";
import { type State, gatherInFlight, isResident, refresh } from "./state.js";

/** Elementwise work of at least this many elements is split over the threads. */
export const PARALLEL_ELEMENTS = 32768;
/** Roughly the flops of a product that take as long as an element of an SGD update. */
const ELEMENT_FLOPS = 16;

/** A dense slice's gemm arguments, filled before the pool copies them into its slot. */
const args = new Array<number>(GEMM_ARGS).fill(0);

/** The kinds of slice an elementwise kernel runs as (slot-layout.ts `SliceKind`). */
export type ElementwiseKind = "descend" | "adamW" | "adamL2" | "gatherRows" | "map" | "call";

/**
 * Runs a kernel over `count` items in one slice per thread (slice starts a multiple of
 * `align`), with `args(start, n)` the slice's integer arguments and `scalars` its shared float
 * ones (or in one slice on the caller while the pool keeps rounds there; see ThreadChoice);
 * false (nothing run) when the `work` (in elements of an SGD update) is too little to pay for
 * a round.
 */
function elementwise(
  st: State, work: number, count: number, align: number, kind: ElementwiseKind,
  scalars: readonly number[], sliceArgs: (start: number, n: number) => number[],
): boolean {
  const pool = st.pool!;
  if (work < PARALLEL_ELEMENTS) return false;
  if (!pool.engage(work * ELEMENT_FLOPS)) {
    pool.setSlice(0, sliceArgs(0, count), SliceKind[kind]);
    pool.setScalars(scalars);
    pool.runAlone(st.kernels);
    return true;
  }
  const balance = kind === "map" ? pool.balances.maps : pool.balances.updates;
  const cuts = shareCuts(count, pool.threads, balance.share(), align);
  for (let t = 0; t < pool.threads; t++) {
    pool.setSlice(t, sliceArgs(cuts[t], cuts[t + 1] - cuts[t]), SliceKind[kind]);
  }
  pool.setScalars(scalars);
  pool.run(pool.threads, st.kernels, balance, cuts[1] / count);
  return true;
}

/**
 * The dense product of `p` split into `slices` slices (by columns when n > m, else by rows),
 * each applying the epilogue to its own block of C while that is in cache. `key` is the
 * product's productKey, whose balance it learns.
 */
function dense(st: State, p: ProductPlan, slices: number, key: number): void {
  const { config } = st;
  const pool = st.pool!;
  const { m, n, k, epilogue } = p;
  // On a tie of m and n the rows, so each thread packs (and compacts) only its own rows of A.
  // In alternating runs that made the MNIST layer-1 product 6 % faster than splitting columns.
  const splitN = n > m;
  const length = splitN ? n : m;
  const balance = pool.balances.product(key);
  const cuts = shareCuts(length, slices, balance.share(), splitN ? 4 * config.vectors : config.mr);
  for (let t = slices - 1; t >= 0; t--) {
    const slice: ProductSlice = { lo: cuts[t], hi: cuts[t + 1], splitN };
    gemmSliceArgs(args, config, p, slice, p.scratch + t * p.perThread);
    // The slice's own words 14–15 (its scratch is the thread's): epilogue + 1 and bias.
    args[14] = epilogue + 1;
    args[15] = p.bias + (splitN ? 4 * slice.lo : 0);
    pool.setSlice(t, args, SliceKind.gemm);
    // Any thread may run any slice, so its scratch is laid out for the largest one.
    const [pa, pb, tmp] = scratchLayout(config, m, k, n, p.scratch + t * p.perThread);
    pool.setScratch(t, pa, pb, tmp);
  }
  // Every thread, this one included, claims slices until none is left.
  if (epilogue >= 0) pool.setScalars([p.slope]);
  pool.run(slices, st.kernels, balance, cuts[1] / length);
}

/**
 * The row-sparse product of `plan` (sparse-runner.ts) split by rows into `slices` slices, with
 * the share learned for `key`: the nonzeros of A it used, or null (C not fully written) when B
 * holds a ±∞ or NaN.
 */
function sparse(st: State, plan: ProductPlan, slices: number, key: number): number | null {
  const { a, ars, acs, b, brs, c, ldc, m, n, k, epilogue, bias, slope } = plan;
  const pool = st.pool!;
  // Its own balance: the sparse path's rows cost differently from the dense path's tiles.
  const balance = pool.balances.product(-1 - key);
  const cuts = shareCuts(m, slices, balance.share(), 1);
  // Each slice checks a span of B (whole vectors), so the check is split too.
  const vectors = (k * n) / 4;
  for (let t = 0; t < slices; t++) {
    const [lo, hi] = [cuts[t], cuts[t + 1]];
    const from = Math.floor((vectors * t) / slices);
    const to = Math.floor((vectors * (t + 1)) / slices);
    pool.setSlice(t, [a + lo * ars, ars, acs, b, brs, c + lo * ldc, ldc, hi - lo, n, k,
      b + 16 * from, 4 * (to - from), epilogue + 1, bias, 0, 0], SliceKind.sparse);
    pool.setScratch(t, plan.scratch + t * plan.perThread, 0, 0);
  }
  pool.setScalars([slope]);
  pool.run(slices, st.kernels, balance, cuts[1] / m);
  let used = 0;
  for (let t = 0; t < slices; t++) {
    if (pool.sliceResult(t, SLOTS.sparseFinite) === 0) return null;
    used += pool.sliceResult(t, SLOTS.sparseUsed);
  }
  return used;
}

/**
 * Starts gathering `indices`' rows of resident x into resident out on a helper thread; the
 * function that waits for it, or null (nothing started) while the pool keeps rounds on the
 * caller (a busy machine: helpers sleep, and no gather waits for one to wake) or when an
 * array is not resident.
 */
function startGather(
  st: State, x: Float32Array, rowSize: number, indices: ArrayLike<number>, out: Float32Array,
): (() => void) | null {
  const { heap } = st;
  const pool = st.pool!;
  if (heap === undefined || !isResident(st, x) || !isResident(st, out) || !pool.engaged) {
    return null;
  }
  gatherInFlight.finish?.();
  const count = indices.length;
  const index = heap.alloc(4 * Math.max(count, 1)); // its own block: the scratch gets reused
  refresh(st);
  new Int32Array(st.threaded.memory.buffer, index, count).set(indices);
  pool.postBackground([x.byteOffset, 4 * rowSize, index, count, out.byteOffset]);
  const finish = (): void => {
    if (gatherInFlight.finish !== finish) return;
    gatherInFlight.finish = undefined;
    try {
      pool.finishBackground(st.kernels);
    } finally {
      heap.free(index);
    }
  };
  gatherInFlight.finish = finish;
  return finish;
}

/** The runs a `GemmPool` carries: each takes the state whose pool it is. */
export const POOL_RUNS = { elementwise, dense, sparse, startGather };
/** What `GemmPool.runs` offers the runners. */
export type PoolRuns = typeof POOL_RUNS;
