// The row-sparse path of the wasm products (sparse-rows-module.ts): when a product takes it
// (the left operand's share of nonzeros, learned per product shape) and its run, on the
// calling thread or split by rows over the threads.
import type { KernelExports } from "./kernel-module.js";
import type { SliceKernels } from "./slices.js";
import { EPILOGUE_NAMES, type State } from "./state.js";

/**
 * Left operands with at most this share of nonzero values take the row-sparse path: it costs
 * about 1.3 × the dense kernel per nonzero, and the dense kernel skips only the steps where
 * its whole panel of rows is zero.
 */
const SPARSE_DENSITY = 0.5;
/** A shape found too dense is tried again every this many products (its data may change). */
const RETRY = 64;
/**
 * The lists take room for every value of A (sparseScratchBytes), per thread: products whose
 * A is larger than this many values stay dense, so a big product's first call (which tries
 * the path) cannot leave a huge scratch block behind. W1's A has 100,352.
 */
const MAX_VALUES = 1 << 21;

/** What was learned about one product shape's left operand. */
export interface SparseHint {
  /** Its share of nonzero values when last measured (1 until then). */
  density: number;
  calls: number;
}

/**
 * The hint of this product shape (`key`, see productKey) if the product should take the
 * row-sparse path, else null: it needs zero skipping, B's columns contiguous (no transB), n a
 * multiple of 4 and A of at most MAX_VALUES values. A new shape tries it once; a dense one
 * again every RETRY calls.
 *
 * NOTE: the dense kernel sums each element in order of p, one k block after another, except
 * in a last column panel narrower than NR when there are several k blocks: there each block's
 * sum is added to C's. The row-sparse path always sums in order, so it leaves that case to the
 * dense kernel and the bits never depend on the path.
 */
export function sparseHint(
  st: State, key: number, m: number, k: number, n: number, transB: boolean,
): SparseHint | null {
  const { skipZeros, vectors, kc } = st.config;
  if (!skipZeros || transB || n % 4 !== 0 || m * k > MAX_VALUES) return null;
  if (n % (4 * vectors) !== 0 && k > kc) return null;
  let hint = st.sparse.get(key);
  if (hint === undefined) {
    if (st.sparse.size >= 4096) st.sparse.clear();
    hint = { density: 1, calls: 0 };
    st.sparse.set(key, hint);
    return hint;
  }
  hint.calls++;
  return hint.density <= SPARSE_DENSITY || hint.calls % RETRY === 0 ? hint : null;
}

/**
 * One product in wasm memory, pointers and strides in bytes: C[m, n] (row stride ldc) = A @ B
 * with A(i, p) at a + i·ars + p·acs and B(p, j) at b + p·brs + j·bcs (bcs = 4 on the sparse
 * path, and acs = 4 or ars = 4), then the epilogue (its number, −1 for none) with `bias` and
 * `slope`.
 */
export interface ProductPlan {
  a: number; ars: number; acs: number; b: number; brs: number; bcs: number;
  c: number; ldc: number;
  m: number; n: number; k: number;
  epilogue: number; bias: number; slope: number;
  /** Per-thread scratch: thread t's at scratch + t·perThread (packed panels, or lists). */
  scratch: number; perThread: number;
}

/**
 * Runs `plan` on `exports` (the calling thread), or split by rows in `slices` slices over the
 * pool (pool-runs.ts) with the share learned for `key` (see productKey); learns the density
 * into `hint`. Returns false, with C not (fully) written, when B holds a ±∞ or NaN: skipping
 * zeros is then not exact and the dense path must run.
 */
export function runSparse(
  st: State, plan: ProductPlan, hint: SparseHint, exports: KernelExports, slices: number,
  key: number,
): boolean {
  const { a, ars, acs, b, brs, c, ldc, m, n, k, epilogue, bias, slope } = plan;
  let used: number | null;
  if (slices === 1) {
    if (exports.finite(b, k * n) === 0) return false;
    used = exports.sparseGemm(a, ars, acs, b, brs, c, ldc, m, n, k, plan.scratch);
    if (epilogue >= 0) {
      const run = exports[EPILOGUE_NAMES[epilogue]] as SliceKernels["epilogues"][number];
      run(c, bias, m, n, slope, ldc);
    }
  } else {
    used = st.pool!.runs.sparse(st, plan, slices, key);
    if (used === null) return false;
  }
  hint.density = used / (m * k);
  return true;
}
