// Every layer class a spec can name besides dense and activation, for programs that build any
// spec they are given (a CLI, a checkpoint loader) whatever classes they name themselves.
import { AvgPool2d } from "./avg-pool2d.js";
import { BatchNorm1d, BatchNorm2d } from "./batch-norm.js";
import { Conv1d } from "./conv1d.js";
import { Conv2d } from "./conv2d.js";
import { Dropout } from "./dropout.js";
import { Embedding } from "./embedding.js";
import { Flatten } from "./flatten.js";
import { GlobalAvgPool2d } from "./global-avg-pool2d.js";
import type { SpecLayerClass } from "./layer-registry.js";
import { LayerNorm } from "./layer-norm.js";
import { MaxPool2d } from "./max-pool2d.js";

/**
 * The layer classes of every spec layer type besides dense and activation. Naming them in
 * `fromSpec(spec, { layers: SPEC_LAYERS })` makes a bundle carry all of them (and their
 * kernels), so it builds any spec; a page that knows its layers names only those.
 * @example
 * const model = fromSpec(await (await fetch("model.json")).json(), { layers: SPEC_LAYERS });
 */
export const SPEC_LAYERS: readonly SpecLayerClass[] = [
  Conv2d, Conv1d, MaxPool2d, AvgPool2d, GlobalAvgPool2d, Flatten, Dropout, BatchNorm1d,
  BatchNorm2d, LayerNorm, Embedding,
];
