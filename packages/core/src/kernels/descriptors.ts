// One descriptor per kernel: the record fields it writes and whether a call overwrites them all.
// `compileStep` reads these to replay kernels; a kernel missing here is a type error.
import type { FloatArray } from "../dtype.js";
import type { KernelArgs, KernelName } from "./contract.js";

/** What a kernel does to its arguments, for replaying recorded calls. */
export interface KernelDescriptor<A> {
  /** The fields holding arrays the kernel writes (every other array it only reads). */
  readonly writes: ReadonlyArray<keyof A & string>;
  /**
   * Fields the kernel updates in place that may belong to no trace — running statistics, a
   * generator's state: a replay updates them again, as the eager op would (a trace may not
   * write other arrays it did not make).
   */
  readonly updates?: ReadonlyArray<keyof A & string>;
  /**
   * Whether a call overwrites every element of each array it writes without reading it first.
   * If not, a replay must first restore what the array held when the trace began.
   */
  readonly overwrites: (args: A) => boolean;
}

const always = (): boolean => true;
const never = (): boolean => false;
/** Writes `out` whole. */
const overwritesOut = { writes: ["out"], overwrites: always } as const;

/** Every kernel's descriptor, by name. */
export const KERNEL_DESCRIPTORS: {
  readonly [K in KernelName]: KernelDescriptor<KernelArgs<K>>;
} = {
  matmul: {
    writes: ["out"],
    overwrites: ({ out, m, n, outOffset }) =>
      (outOffset ?? 0) === 0 && m * n === (out as FloatArray).length,
  },
  unary: overwritesOut,
  binary: overwritesOut,
  select: overwritesOut,
  biasActivation: { writes: ["out"], overwrites: never }, // in place: reads what it writes
  linear: overwritesOut,
  leakyStepMul: overwritesOut,
  bceLogits: overwritesOut,
  bceLogitsGrad: overwritesOut,
  reduce: overwritesOut,
  argReduce: overwritesOut,
  stridedCopy: overwritesOut,
  stridedAdd: { writes: ["out"], overwrites: never },
  gatherRows: overwritesOut,
  scatterAddRows: { writes: ["out"], overwrites: never },
  oneHot: overwritesOut,
  copy: overwritesOut,
  fill: overwritesOut,
  descend: { writes: ["w"], overwrites: never },
  adam: { writes: ["w", "m", "v"], overwrites: never },
  padPlanes: overwritesOut,
  conv2d: overwritesOut,
  conv2dInputGrad: { writes: ["dx"], overwrites: always },
  conv2dWeightGrad: { writes: ["dw"], overwrites: always },
  channelSum: overwritesOut,
  maxPool2d: { writes: ["out", "indices"], overwrites: always },
  maxPool2dBackward: { writes: ["dx"], overwrites: always },
  maxPool2dGather: overwritesOut,
  avgPool2d: overwritesOut,
  avgPool2dBackward: { writes: ["dx"], overwrites: always },
  batchNormUpdate: {
    writes: [], updates: ["runningMean", "runningVar", "batches"], overwrites: never,
  },
  batchNormForward: { writes: ["out", "mean", "variance"], overwrites: always },
  batchNormBackward: { writes: ["dx", "dWeight", "dBias"], overwrites: always },
  batchNormEval: overwritesOut,
  embedding: overwritesOut,
  embeddingBackward: { writes: ["dTable"], overwrites: always },
  classProbabilities: overwritesOut,
  // state is a Uint32Array (the generator's words), which a trace never snapshots.
  dropoutMask: { writes: ["out"], updates: ["state"], overwrites: always },
};

/** The kernel names, in the contract's order. */
export const KERNEL_NAMES = Object.keys(KERNEL_DESCRIPTORS) as KernelName[];
