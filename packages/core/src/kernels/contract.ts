// The kernel contract: what every backend provides, each kernel taking one named-argument record.
import type { DType, FloatArray } from "../dtype.js";
import type {
  ChannelSumArgs, Conv2dArgs, Conv2dInputGradArgs, Conv2dWeightGradArgs, ConvGeometry,
  PadPlanesArgs,
} from "./conv.js";
import type {
  ClassProbabilitiesArgs, EmbeddingArgs, EmbeddingBackwardArgs,
} from "./lookup.js";
import type {
  BatchNormBackwardArgs, BatchNormEvalArgs, BatchNormForwardArgs, BatchNormUpdateArgs,
} from "./norm.js";
import type {
  AvgPool2dArgs, AvgPool2dBackwardArgs, MaxPool2dArgs, MaxPool2dBackwardArgs,
  MaxPool2dGatherArgs, PoolGeometry,
} from "./pool.js";
import type { DropoutMaskArgs } from "./random-bits.js";

// The convolutional-network kernels' records live beside their TypeScript loops.
export type {
  AvgPool2dArgs, AvgPool2dBackwardArgs, BatchNormBackwardArgs, BatchNormEvalArgs,
  BatchNormForwardArgs, BatchNormUpdateArgs, ChannelSumArgs, ClassProbabilitiesArgs, Conv2dArgs,
  Conv2dInputGradArgs, Conv2dWeightGradArgs, ConvGeometry, DropoutMaskArgs, EmbeddingArgs,
  EmbeddingBackwardArgs,
  MaxPool2dArgs, MaxPool2dBackwardArgs, MaxPool2dGatherArgs, PadPlanesArgs, PoolGeometry,
};

/** Unary maps; `p` and `q` carry parameters (leakyRelu slope, clamp bounds, pow exponent). */
export type UnaryKernel =
  | "neg" | "exp" | "log" | "sqrt" | "abs" | "sign" | "sigmoid" | "tanh" | "relu" | "leakyRelu"
  | "softplus" | "clamp" | "clampMask" | "powScalar" | "square" | "reciprocal" | "step"
  | "leakyStep" | "finiteOrZero" | "log1p" | "expm1";

/** Broadcast binary zips; comparisons produce 1 or 0. */
export type BinaryKernel =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum"
  | "greater" | "greaterEqual" | "less" | "lessEqual" | "equal" | "notEqual";

/** Reductions over any set of axes. */
export type ReduceKernel = "sum" | "max" | "min";

/** Activations the dense-layer kernels fuse; "leakyRelu" takes its slope. */
export type FusedActivation = "identity" | "relu" | "leakyRelu";

/**
 * Row indices as kernels read them: a tensor's data (read when the kernel runs, so a compiled
 * step replays with the indices of each call) or a copy of an index array made by the op.
 */
export type IndexArray = FloatArray | Int32Array;

/**
 * out[m, n] = op(a) @ op(b), overwriting out[outOffset, outOffset + m·n). op(a) is a: [m, k],
 * or aᵀ when transA (a is then [k, m]); op(b) is b: [k, n], or bᵀ when transB (b is [n, k]).
 * Offsets (in elements) address one matrix inside a batch.
 */
export interface MatmulArgs {
  readonly a: FloatArray;
  readonly b: FloatArray;
  readonly out: FloatArray;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA?: boolean;
  readonly transB?: boolean;
  readonly aOffset?: number;
  readonly bOffset?: number;
  readonly outOffset?: number;
}

/** out[i] = op(x[i]) with parameters p, q; out may be x. */
export interface UnaryArgs {
  readonly op: UnaryKernel;
  readonly x: FloatArray;
  readonly out: FloatArray;
  readonly p?: number;
  readonly q?: number;
}

/** out = op(a, b) over `shape`, a and b read through broadcast strides (0 on stretched axes). */
export interface BinaryArgs {
  readonly op: BinaryKernel;
  readonly a: FloatArray;
  readonly b: FloatArray;
  readonly out: FloatArray;
  readonly shape: readonly number[];
  readonly aStrides: readonly number[];
  readonly bStrides: readonly number[];
}

/** out = cond ≠ 0 ? a : b over `shape`, all three read through broadcast strides. */
export interface SelectArgs {
  readonly cond: FloatArray;
  readonly a: FloatArray;
  readonly b: FloatArray;
  readonly out: FloatArray;
  readonly shape: readonly number[];
  readonly condStrides: readonly number[];
  readonly aStrides: readonly number[];
  readonly bStrides: readonly number[];
}

/** In place over out: [rows, cols], out = act(out + bias) (no bias add when bias is null). */
export interface BiasActivationArgs {
  readonly out: FloatArray;
  readonly bias: FloatArray | null;
  readonly rows: number;
  readonly cols: number;
  readonly activation: FusedActivation;
  /** leakyRelu's negative-side slope. */
  readonly slope: number;
}

/** out[m, n] = act(x @ w + bias) for x: [m, k], w: [k, n], bias: [n] or null; overwrites out. */
export interface LinearArgs {
  readonly x: FloatArray;
  readonly w: FloatArray;
  readonly bias: FloatArray | null;
  readonly out: FloatArray;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly activation: FusedActivation;
  readonly slope: number;
}

/**
 * out[i] = dy[i] · (y[i] > 0 ? 1 : slope): the backward of relu (slope 0) and leakyRelu read off
 * their output. A NaN in y counts as positive when `nanAsPositive` (relu, as PyTorch's threshold
 * backward), else as negative (leakyRelu).
 */
export interface LeakyStepMulArgs {
  readonly dy: FloatArray;
  readonly y: FloatArray;
  readonly out: FloatArray;
  readonly slope: number;
  readonly nanAsPositive: boolean;
}

/** out = softplus(x) − t·x per element: binary cross-entropy on logits. */
export interface BceLogitsArgs {
  readonly x: FloatArray;
  readonly t: FloatArray;
  readonly out: FloatArray;
}

/** out = (sigmoid(x) − t)·dy: the gradient of `bceLogits` with respect to x. */
export interface BceLogitsGradArgs {
  readonly x: FloatArray;
  readonly t: FloatArray;
  readonly dy: FloatArray;
  readonly out: FloatArray;
}

/**
 * Reduces x (of `shape`) into out, addressed by `outStrides` (the output's strides laid over
 * x's axes, 0 on reduced axes); overwrites out.
 */
export interface ReduceArgs {
  readonly op: ReduceKernel;
  readonly x: FloatArray;
  readonly shape: readonly number[];
  readonly out: FloatArray;
  readonly outStrides: readonly number[];
}

/** Index of the extreme along the middle axis of x viewed as [outer, axisSize, inner]. */
export interface ArgReduceArgs {
  readonly op: "argmax" | "argmin";
  readonly x: FloatArray;
  readonly outer: number;
  readonly axisSize: number;
  readonly inner: number;
  readonly out: FloatArray;
}

/** out[i] = x[offset + Σ index_d · strides_d] for every index of `shape`, in row-major order. */
export interface StridedCopyArgs {
  readonly x: FloatArray;
  readonly offset: number;
  readonly strides: readonly number[];
  readonly out: FloatArray;
  readonly shape: readonly number[];
}

/** The adjoint of a strided copy: out[offset + Σ index_d · strides_d] += src[i]. */
export interface StridedAddArgs {
  readonly src: FloatArray;
  readonly out: FloatArray;
  readonly offset: number;
  readonly strides: readonly number[];
  readonly shape: readonly number[];
}

/**
 * out row r = x row indices[r], rows of `rowSize` elements, x having `rows` rows. The kernel
 * checks every index (an integer in [0, rows)) before reading, and names `caller` if one is not.
 */
export interface GatherRowsArgs {
  readonly caller: string;
  readonly x: FloatArray;
  readonly rows: number;
  readonly rowSize: number;
  readonly indices: IndexArray;
  readonly out: FloatArray;
}

/** out row indices[r] += src row r (repeats accumulate); out has `rows` rows; checks indices. */
export interface ScatterAddRowsArgs {
  readonly caller: string;
  readonly src: FloatArray;
  readonly rowSize: number;
  readonly rows: number;
  readonly indices: IndexArray;
  readonly out: FloatArray;
}

/** out: [indices.length, classes] = 1 at each row's index, 0 elsewhere; checks indices. */
export interface OneHotArgs {
  readonly caller: string;
  readonly indices: IndexArray;
  readonly classes: number;
  readonly out: FloatArray;
}

/** out[i] = x[i], converting between dtypes (one rounding into a float32 out). */
export interface CopyArgs {
  readonly x: FloatArray;
  readonly out: FloatArray;
}

/** out[i] = value for every i. */
export interface FillArgs {
  readonly out: FloatArray;
  readonly value: number;
}

/** w ← w − learningRate · g in place: the arithmetic in float64, then one rounding into w. */
export interface DescendArgs {
  readonly w: FloatArray;
  readonly g: FloatArray;
  readonly learningRate: number;
}

/** Hyperparameters of one Adam step; `c1`, `c2` are the bias corrections 1 − βᵗ. */
export interface AdamStep {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** AdamW: decay w directly; Adam: add weightDecay·w to the gradient. */
  readonly decoupled: boolean;
  readonly c1: number;
  readonly c2: number;
}

/** One Adam/AdamW step in place over w and its float64 moments m and v. */
export interface AdamArgs extends AdamStep {
  readonly w: FloatArray;
  readonly g: FloatArray;
  readonly m: Float64Array;
  readonly v: Float64Array;
}

/**
 * Every raw loop the ops need, by name. Each takes one record of named arguments and trusts it
 * (the ops validate shapes first); index kernels check their indices themselves, because the
 * indices may be a tensor's data that only the kernel reads. What each kernel writes is in
 * `KERNEL_DESCRIPTORS` (descriptors.ts; a CNN kernel's joins it from cnn-install.ts), which
 * `compileStep` reads to replay it.
 */
export interface Kernels {
  readonly matmul: (args: MatmulArgs) => void;
  readonly unary: (args: UnaryArgs) => void;
  readonly binary: (args: BinaryArgs) => void;
  readonly select: (args: SelectArgs) => void;
  readonly biasActivation: (args: BiasActivationArgs) => void;
  readonly linear: (args: LinearArgs) => void;
  readonly leakyStepMul: (args: LeakyStepMulArgs) => void;
  readonly bceLogits: (args: BceLogitsArgs) => void;
  readonly bceLogitsGrad: (args: BceLogitsGradArgs) => void;
  readonly reduce: (args: ReduceArgs) => void;
  readonly argReduce: (args: ArgReduceArgs) => void;
  readonly stridedCopy: (args: StridedCopyArgs) => void;
  readonly stridedAdd: (args: StridedAddArgs) => void;
  readonly gatherRows: (args: GatherRowsArgs) => void;
  readonly scatterAddRows: (args: ScatterAddRowsArgs) => void;
  readonly oneHot: (args: OneHotArgs) => void;
  readonly copy: (args: CopyArgs) => void;
  readonly fill: (args: FillArgs) => void;
  readonly descend: (args: DescendArgs) => void;
  readonly adam: (args: AdamArgs) => void;
  // Convolutional networks (conv.ts, pool.ts, norm.ts, lookup.ts, random-bits.ts).
  readonly padPlanes: (args: PadPlanesArgs) => void;
  readonly conv2d: (args: Conv2dArgs) => void;
  readonly conv2dInputGrad: (args: Conv2dInputGradArgs) => void;
  readonly conv2dWeightGrad: (args: Conv2dWeightGradArgs) => void;
  readonly channelSum: (args: ChannelSumArgs) => void;
  readonly maxPool2d: (args: MaxPool2dArgs) => void;
  readonly maxPool2dBackward: (args: MaxPool2dBackwardArgs) => void;
  readonly maxPool2dGather: (args: MaxPool2dGatherArgs) => void;
  readonly avgPool2d: (args: AvgPool2dArgs) => void;
  readonly avgPool2dBackward: (args: AvgPool2dBackwardArgs) => void;
  readonly batchNormUpdate: (args: BatchNormUpdateArgs) => void;
  readonly batchNormForward: (args: BatchNormForwardArgs) => void;
  readonly batchNormBackward: (args: BatchNormBackwardArgs) => void;
  readonly batchNormEval: (args: BatchNormEvalArgs) => void;
  readonly embedding: (args: EmbeddingArgs) => void;
  readonly embeddingBackward: (args: EmbeddingBackwardArgs) => void;
  readonly classProbabilities: (args: ClassProbabilitiesArgs) => void;
  readonly dropoutMask: (args: DropoutMaskArgs) => void;
}

/** A kernel's name. */
export type KernelName = keyof Kernels;

/** The record a kernel takes. */
export type KernelArgs<K extends KernelName> = Parameters<Kernels[K]>[0];

/**
 * A backend: the kernels, plus the storage its kernels use in place. A faster backend
 * (WebAssembly SIMD, threads) provides the same kernels; ops never loop over elements
 * themselves, so swapping a backend touches no op.
 */
export interface Backend extends Kernels {
  readonly name: string;
  /**
   * Zeroed storage of `size` elements that this backend's kernels use in place (WebAssembly
   * memory), or null where it has none; `compileStep` keeps a trace's buffers there.
   */
  readonly residentStorage: (dtype: DType, size: number) => FloatArray | null;
  /** Whether `data` is storage from `residentStorage` (not released) in use now. */
  readonly isResident: (data: FloatArray) => boolean;
  /**
   * Gives storage from `residentStorage` back at once (later uses of it throw), rather than
   * after a garbage collection and a turn of the event loop; optional.
   */
  readonly releaseResident?: (data: FloatArray) => void;
  /**
   * Starts a row gather on a helper thread and returns its wait function, or null (nothing
   * started) when this backend cannot run this one there; optional.
   */
  readonly startGatherRows?: (args: GatherRowsArgs) => (() => void) | null;
}
