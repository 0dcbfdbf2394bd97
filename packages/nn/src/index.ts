// Public surface of @tapegrad/nn: explicit named re-exports only.
export { Module, checkInput } from "./module.js";
export { Dense, type DenseOptions } from "./dense.js";
export { Sequential } from "./sequential.js";
export {
  Activation, activation, ACTIVATIONS, type ActivationName, type ActivationOptions,
} from "./activations.js";
export { bce, bceWithLogits, crossEntropy, mse, type Reduction, type LossOptions } from "./loss.js";
export { modelLoss, type LossName } from "./model-loss.js";
export {
  initialize, INITIALIZERS, type InitName, type InitOptions, type InitContext,
} from "./init.js";
export { Optimizer, type OptimizerState, type Schedule } from "./optim/optimizer.js";
export { SGD, type SgdOptions } from "./optim/sgd.js";
export { Adam, AdamW, type AdamOptions } from "./optim/adam.js";
export {
  constant, stepDecay, cosineDecay, type StepDecayOptions, type CosineDecayOptions,
} from "./optim/schedule.js";
export {
  encodeSafetensors, decodeSafetensors, type SafeDType, type SafeTensor,
  type DecodeSafetensorsOptions, type DecodedSafetensors,
} from "./safetensors.js";
export { writeFileAtomic, writeFileAtomicSync } from "./atomic-write.js";
export {
  Model, SpecError, fromSpec, parseSpec, seedSpec, modelSpecSchema, layerSpecSchema,
  denseLayerSchema, activationLayerSchema, modelSpecJsonSchema, type ModelSpec, type LayerSpec,
  type DenseLayerSpec, type ActivationLayerSpec, type SpecProblem,
} from "./spec.js";
export {
  saveModel, loadModel, modelToSafetensors, loadSafetensorsInto, WEIGHTS_FORMAT, WEIGHTS_VERSION,
  SPEC_FILE, WEIGHTS_FILE,
} from "./weights.js";
export {
  diagnose, formatFindings, baselineLoss, frequencyBaseline, targetMeans, type BaselineOptions,
  type DiagnoseLoss, type DiagnoseOptions, type Finding, type FindingCode, type Severity,
} from "./diagnose.js";
export { TrainingMonitor, type MonitorOptions } from "./monitor.js";
