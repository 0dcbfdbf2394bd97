// The portable TypeScript kernels as one backend: always available, the float64 reference.
import type { Backend } from "./backend.js";
import {
  bceLogits, bceLogitsGrad, biasActivation, binary, leakyStepMul, select, unary,
} from "./elementwise.js";
import { linear } from "./linear.js";
import { gatherRows, scatterAddRows, stridedAdd, stridedCopy } from "./layout.js";
import { matmul } from "./matmul.js";
import { argReduce, reduce } from "./reduce.js";
import { adam, descend } from "./update.js";
import { cnnKernels } from "./cnn-kernels.js";

/** The portable TypeScript kernels: always available, and the reference for float64. */
export const jsBackend: Backend = {
  name: "js",
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
  descend,
  adam,
  ...cnnKernels,
};
