// Browser-safe surface of @tapegrad/mnist (no Node built-in): IDX bytes, MNIST from the four
// files' bytes, and the splits that fit takes. Explicit named re-exports only.
export {
  parseIdx, encodeIdx, readIdxHeader, isGzip, IDX_MAX_RANK, IDX_MAX_ELEMENTS,
  IDX_DEFAULT_MAX_BYTES, type IdxDtype, type IdxArray, type IdxHeader, type IdxLimits,
} from "./idx.js";
export {
  MNIST_FILES, mnistFromBytes, type MnistBytes, type MnistFiles, type MnistSplit,
} from "./mnist-bytes.js";
export {
  toImageTensor, splitMnist, splitData, splitSize, labelFrequencies, type DataSplit,
  type MnistData, type DataOptions,
} from "./splits.js";
