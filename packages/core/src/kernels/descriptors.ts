// One descriptor per kernel: the record fields it writes and whether a call overwrites them all.
// `compileStep` reads these to replay kernels; a kernel missing here (or, for a CNN kernel, from
// its installer in cnn-install.ts) is a type error.
import type { FloatArray } from "../dtype.js";
import { CNN_KERNEL_NAMES, type CnnKernelName } from "./cnn-kernels.js";
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

/** Overwrites what it writes, on every call. */
export const always = (): boolean => true;
/** Reads what it writes (adds into it, updates it in place). */
export const never = (): boolean => false;
/** Writes `out` whole. */
export const overwritesOut = { writes: ["out"], overwrites: always } as const;

/** Descriptors by kernel name, for the kernels named. */
export type KernelDescriptors<N extends KernelName> = {
  readonly [K in N]: KernelDescriptor<KernelArgs<K>>;
};

const descriptors: KernelDescriptors<Exclude<KernelName, CnnKernelName>> = {
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
};

/**
 * Every kernel's descriptor, by name. The convolutional-network kernels' descriptors join it
 * with their implementations (`describeCnnKernels`, called by cnn-install.ts), so a program
 * without those ops carries none of them; a kernel runs, and so is traced, only once installed.
 */
export const KERNEL_DESCRIPTORS = descriptors as KernelDescriptors<KernelName>;

/** Adds the descriptors of convolutional-network kernels being installed. */
export function describeCnnKernels<N extends CnnKernelName>(cnn: KernelDescriptors<N>): void {
  Object.assign(descriptors, cnn);
}

/** The kernel names, in the contract's order. */
export const KERNEL_NAMES = [...Object.keys(descriptors), ...CNN_KERNEL_NAMES] as KernelName[];
