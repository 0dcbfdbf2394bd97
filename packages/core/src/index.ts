// Public surface of @tapegrad/core: explicit named re-exports only.
export { Tensor, type NestedArray } from "./tensor.js";
export { formatTensor, type PrintOptions, type Printable } from "./format.js";
export type { DType, FloatArray } from "./dtype.js";
export { type Shape, ShapeError, formatShape, sizeOf, broadcastShapes } from "./shape.js";
export { Rng, type RngState, defaultRng, manualSeed, DEFAULT_SEED } from "./random.js";
export {
  tensor, zeros, ones, full, zerosLike, onesLike, arange, eye, rand, randn, uniform,
  type TensorOptions, type RandomOptions,
} from "./creation.js";
export {
  noGrad, isGradEnabled, withGradMode, type TapeNode, type Vjp, type BackwardOptions,
} from "./tape.js";
export { grad, valueAndGrad, hvp, type ScalarFn, type ArgNums } from "./functional.js";
export { compileStep, type CompiledStep, type LossFn, type StepResult } from "./compile.js";
export { moveToResident } from "./resident-tensors.js";
export { BackwardBuffers } from "./backward-buffers.js";
export { peekGrad } from "./backward-pool.js";
export { detectAnomaly, setDetectAnomaly, AnomalyError } from "./anomaly.js";
export { checkOptions, suggestName } from "./options.js";
export { customOp, type CustomOpDefinition, type CustomOpContext } from "./custom-op.js";
export {
  add, sub, mul, div, neg, pow, square, maximum, minimum,
  exp, log, log1p, expm1, sqrt, abs, sigmoid, tanh, relu, leakyRelu, softplus, logSigmoid, clamp,
  bceLogits,
  greater, greaterEqual, less, lessEqual, equal, notEqual, where,
  matmul, matmulTransposed, linear, type LinearOptions,
  sum, mean, max, min, argmax, argmin, logsumexp, softmax, logSoftmax,
  reshape, permute, transpose, squeeze, unsqueeze, broadcastTo, sumToShape,
  slice, gather, gatherAsync, concat, stack, oneHot, astype,
  type Axis, type Indices, type GatherOptions, type PendingGather, type TensorLike,
} from "./ops/all.js";
export {
  conv2d, conv1d, maxPool2d, avgPool2d, globalAvgPool2d, flatten, batchNorm, layerNorm,
  embedding, classProbabilities, dropout,
  type Conv2dOptions, type Conv1dOptions, type Size2, type Pool2dOptions, type MaxPool2dOptions,
  type AvgPool2dOptions, type BatchNormOptions, type LayerNormOptions,
  type ClassProbabilitiesOptions, type DropoutOptions,
} from "./ops/all.js";
export { getBackend, setBackend } from "./kernels/backend.js";
// The kernel contract: the Backend interface and every type it names, for custom backends.
export type * from "./kernels/contract.js";
export { jsBackend } from "./kernels/js-backend.js";
export {
  wasmBackend, setSkipZeros, residentStorage, releaseStorage,
} from "./kernels/wasm-backend.js";
export { setNumThreads, getNumThreads, threadsReady } from "./kernels/threads.js";
