// Public surface of @tapegrad/mnist: explicit named re-exports only.
export {
  parseIdx, encodeIdx, readIdxHeader, isGzip, IDX_MAX_RANK, IDX_MAX_ELEMENTS,
  IDX_DEFAULT_MAX_BYTES, type IdxDtype, type IdxArray, type IdxHeader, type IdxLimits,
} from "./idx.js";
export { gunzipIdx, decodeIdx, encodeIdxGzip } from "./idx-gzip.js";
export {
  MNIST_FILES, defaultDataDir, readMnistFiles, readIdxFile, type MnistFiles, type MnistSplit,
  type ReadMnistOptions,
} from "./files.js";
export { mnistFromBytes, type MnistBytes } from "./mnist-bytes.js";
export {
  toImageTensor, splitMnist, loadMnist, splitData, splitSize, labelFrequencies,
  type DataSplit, type MnistData, type DataOptions,
} from "./dataset.js";
export {
  saveCheckpoint, loadCheckpoint, resolveCheckpointDir, CHECKPOINT_FILES, CHECKPOINT_POINTER,
  type CheckpointState, type CheckpointContents, type LoadedCheckpoint,
} from "./checkpoint.js";
export {
  runTraining, parseModelFile, validateSettings, buildOptimizer, DEFAULT_SETTINGS, OPTIMIZERS,
  SCHEDULES, LOSS_CURVE_FILE, type TrainingSettings, type RunConfig, type ModelFile,
  type RunOptions, type RunStart, type RunResult, type OptimizerName, type ScheduleName,
} from "./run.js";
export {
  lossCurveSvg, type LossCurveOptions, type LossCurveData, type LossCurveEpoch,
} from "./svg.js";
export {
  loadCheckpointModel, evaluateCheckpoint, predictCheckpoint, predictImage, classProbabilities,
  asciiArt, type CheckpointModel, type Prediction,
} from "./inference.js";
export { runDoctor, zeroInitSpec, type DoctorOptions } from "./doctor.js";
export { exportCheckpoint, type ExportTargets, type ExportResult } from "./export.js";
export {
  readCheckpointState, cleanCheckpointFolder, type LoadCheckpointOptions,
} from "./checkpoint.js";
export { resumePlan, type ResumePlan, type ScheduleChange } from "./resume.js";
export { readModelFile } from "./model-file.js";
export type { InputLimits } from "./input-limits.js";
export { doctorVerdict } from "./doctor.js";
