// The kernel interface the ops call, and the switch that selects which implementation runs.
import type {
  bceLogits, bceLogitsGrad, biasActivation, binary, leakyStepMul, select, unary,
} from "./elementwise.js";
import { wasmBackend } from "./fast.js";
import type { linear } from "./linear.js";
import type { gatherRows, scatterAddRows, stridedAdd, stridedCopy } from "./layout.js";
import type { matmul } from "./matmul.js";
import type { argReduce, reduce } from "./reduce.js";
import type { adam, descend } from "./update.js";
import type { CnnKernels } from "./cnn-kernels.js";

/**
 * Every raw loop the ops need. A faster backend (WebAssembly SIMD, worker threads) provides
 * the same functions; ops never loop over elements themselves, so swapping a backend
 * touches no op. Kernels trust their inputs: the ops validate shapes first.
 */
export interface Backend extends CnnKernels {
  readonly name: string;
  readonly matmul: typeof matmul;
  readonly unary: typeof unary;
  readonly binary: typeof binary;
  readonly select: typeof select;
  readonly biasActivation: typeof biasActivation;
  readonly linear: typeof linear;
  readonly leakyStepMul: typeof leakyStepMul;
  readonly bceLogits: typeof bceLogits;
  readonly bceLogitsGrad: typeof bceLogitsGrad;
  readonly reduce: typeof reduce;
  readonly argReduce: typeof argReduce;
  readonly stridedCopy: typeof stridedCopy;
  readonly stridedAdd: typeof stridedAdd;
  readonly gatherRows: typeof gatherRows;
  readonly scatterAddRows: typeof scatterAddRows;
  readonly descend: typeof descend;
  readonly adam: typeof adam;
}

// The default: WebAssembly SIMD matrix products for float32 where available, else TypeScript.
let active: Backend = wasmBackend;

/** The backend the ops currently call. */
export function getBackend(): Backend {
  return active;
}

/** Selects the backend for all later ops; returns the previous one. */
export function setBackend(backend: Backend): Backend {
  const previous = active;
  active = backend;
  return previous;
}
