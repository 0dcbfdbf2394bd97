// Public surface of @tapegrad/mnist: explicit named re-exports only.
export {
  parseIdx, encodeIdx, isGzip, gunzipIfNeeded, IDX_MAX_RANK, IDX_MAX_ELEMENTS,
  type IdxDtype, type IdxArray, type EncodeIdxOptions,
} from "./idx.js";
export {
  MNIST_FILES, defaultDataDir, readMnistFiles, type MnistFiles, type MnistSplit,
} from "./files.js";
export {
  toImageTensor, splitMnist, loadMnist, batches, batchCount, splitSize, labelFrequencies,
  type DataSplit, type MnistData, type Batch, type DataOptions,
} from "./dataset.js";
export {
  predictedClasses, emptyConfusion, addToConfusion, perClassAccuracy, bceBaseline,
  crossEntropyBaseline,
} from "./metrics.js";
export {
  train, evaluate, lossKindFor, modelLogits, classificationLoss, baselineLoss,
  type ClassifierModel, type LossKind, type EpochRecord, type TrainHistory, type StepInfo,
  type StepContext, type TrainingMonitor, type TrainOptions, type Evaluation,
} from "./train.js";
