// Public surface of @tapegrad/nn: explicit named re-exports only; no Node built-in is reached.
export { Module, checkInput, enterMode, preservingState } from "./module.js";
export { Dense, type DenseOptions } from "./dense.js";
export { Sequential } from "./sequential.js";
export {
  Activation, activation, ACTIVATIONS, isActivated, type ActivationName, type ActivationOptions,
  type ActivatedLayer,
} from "./activations.js";
export { Conv2d, type Conv2dLayerOptions } from "./conv2d.js";
export { Conv1d, type Conv1dLayerOptions } from "./conv1d.js";
export { MaxPool2d, type MaxPool2dLayerOptions } from "./max-pool2d.js";
export { AvgPool2d, type AvgPool2dLayerOptions } from "./avg-pool2d.js";
export { GlobalAvgPool2d } from "./global-avg-pool2d.js";
export { Flatten, type FlattenLayerOptions } from "./flatten.js";
export { Dropout, type DropoutLayerOptions } from "./dropout.js";
export {
  BatchNorm, BatchNorm1d, BatchNorm2d, type BatchNormLayerOptions,
} from "./batch-norm.js";
export { LayerNorm, type LayerNormLayerOptions } from "./layer-norm.js";
export { Embedding, type EmbeddingLayerOptions } from "./embedding.js";
export {
  bce, bceWithLogits, crossEntropy, mse, type Reduction, type LossOptions, type CrossEntropyOptions,
} from "./loss.js";
export { modelLoss } from "./model-loss.js";
export {
  resolveObjective, predictionOf, objectiveLoss, labelBaseline, outputActivationOf, isOneHot,
  targetKindOf, LOSSES, TASKS, type LossName, type Task, type TargetKind, type Objective,
  type ObjectiveOptions,
} from "./objective.js";
export { inputSizeOf, outputSizeOf } from "./model-shape.js";
export { summary, type SummaryOptions } from "./summary.js";
export {
  prepareData, splitValidation, type Data, type Dataset, type Values,
} from "./data.js";
export {
  batches, batchCount, BatchTargets, type Batch, type BatchOptions, type BatchTarget,
} from "./batches.js";
export {
  predictedClasses, predictLabels, emptyConfusion, addToConfusion, perClassAccuracy,
  MetricAccumulator,
} from "./metrics.js";
export {
  evaluate, evaluateDataset, datasetBaseline, type Evaluation, type EvaluateOptions,
} from "./evaluate.js";
export { fit, NonFiniteError, type FitOptions } from "./fit.js";
export {
  MONITORED, type Monitored, type EpochRecord, type History, type StopRecord, type StepInfo,
  type StepContext, type FitRun, type Callback,
} from "./fit-types.js";
export {
  earlyStopping, checkpoint, reduceLrOnPlateau, monitorTraining, type MonitorMode,
  type EarlyStoppingOptions, type Snapshot, type CheckpointOptions, type ReduceLrOptions,
  type MonitorTrainingOptions,
} from "./callbacks.js";
export {
  progress, ProgressBar, epochLine, percent, duration, type TextSink, type ProgressOptions,
  type ProgressCallback,
} from "./progress.js";
export {
  isAllFinite, countNonFinite, FiniteCheck, nonFiniteFinding, type TrainingPosition,
  type NonFiniteEvidence,
} from "./finite.js";
export {
  initialize, weightFans, INITIALIZERS, type InitName, type InitOptions, type InitContext,
} from "./init.js";
export { Optimizer, type OptimizerState, type Schedule } from "./optim/optimizer.js";
export {
  clipGradNorm, clipGradValue, type ClipNormOptions, type ClipOptions,
} from "./optim/clip.js";
export { SGD, type SgdOptions } from "./optim/sgd.js";
export { Adam, AdamW, type AdamOptions } from "./optim/adam.js";
export {
  constant, stepDecay, cosineDecay, type StepDecayOptions, type CosineDecayOptions,
} from "./optim/schedule.js";
export {
  encodeSafetensors, decodeSafetensors, type SafeDType, type SafeTensor,
  type DecodeSafetensorsOptions, type DecodedSafetensors,
} from "./safetensors.js";
export {
  Model, fromSpec, parseSpec, parseSpecText, seedSpec, SPEC_LIMITS, type SpecOptions,
  type SpecTextOptions, type FromSpecOptions,
} from "./spec.js";
export { SPEC_LAYERS } from "./spec-layers.js";
export {
  registerLayers, type SpecLayerClass, type LayerContext,
} from "./layer-registry.js";
export type { LayerShape } from "./spec-shapes.js";
export type { LayerSchema } from "./spec-strict.js";
export {
  modelSpecSchema, layerSpecSchema, denseLayerSchema, activationLayerSchema, type ModelSpec,
  type LayerSpec, type DenseLayerSpec, type ActivationLayerSpec, type BatchNormLayerSpec,
} from "./spec-schema.js";
export { SpecError, type SpecProblem } from "./spec-problems.js";
export { modelSpecJsonSchema } from "./spec-json-schema.js";
export { duplicateKeyMessage, findDuplicateKey } from "./json-text.js";
export {
  modelToSafetensors, loadSafetensorsInto, WEIGHTS_FORMAT, WEIGHTS_VERSION, SPEC_FILE, WEIGHTS_FILE,
  type ModelToSafetensorsOptions,
} from "./weights.js";
// saveModel, loadModel and writeFileAtomic touch the file system: they are in ./node.ts.
export {
  WEIGHTS_LAYOUTS, TORCH_LAYOUT_METADATA, TAPEGRAD_LAYOUT_METADATA, type WeightsLayout,
} from "./weight-layouts.js";
export {
  torchModules, torchModelCode, torchModuleCode, torchStateEntries, TORCH_LAYERS,
  type TorchStateEntry,
} from "./torch-layout.js";
export type { TorchModule, TorchTensor, TorchArg, TorchLayer } from "./torch-modules.js";
export {
  diagnose, formatFindings, baselineLoss, frequencyBaseline, targetMeans, type BaselineOptions,
  type DiagnoseOptions, type Finding, type FindingCode, type Severity,
} from "./diagnose.js";
export { TrainingMonitor, type MonitorOptions, type StepState } from "./monitor.js";
