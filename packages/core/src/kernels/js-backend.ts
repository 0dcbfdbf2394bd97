// The portable TypeScript kernels as one backend: always available, the float64 reference.
import type { Backend } from "./contract.js";
import {
  bceLogits, bceLogitsGrad, biasActivation, binary, leakyStepMul, select,
} from "./elementwise.js";
import { linear } from "./linear.js";
import {
  copy, fill, gatherRows, oneHot, scatterAddRows, stridedAdd, stridedCopy,
} from "./layout.js";
import { unary } from "./maps.js";
import { matmul } from "./matmul.js";
import { argReduce, reduce } from "./reduce.js";
import { guardReleased } from "./released.js";
import { adam, descend } from "./update.js";
import { cnnKernels } from "./cnn-kernels.js";

/** The portable TypeScript kernels: always available, and the reference for float64. */
export const jsBackend: Backend = guardReleased({
  name: "js",
  residentStorage: () => null,
  isResident: () => false,
  matmul,
  unary,
  binary,
  select,
  biasActivation,
  linear,
  leakyStepMul,
  bceLogits,
  bceLogitsGrad,
  reduce,
  argReduce,
  stridedCopy,
  stridedAdd,
  gatherRows,
  scatterAddRows,
  oneHot,
  copy,
  fill,
  descend,
  adam,
  ...cnnKernels,
});
