// summary(): a model's layers, output shapes and parameter counts as a table (Keras's summary).
import { type Tensor, checkOptions, noGrad, zeros } from "@tapegrad/core";
import { Activation, isActivated } from "./activations.js";
import { dtypeOf, inputShapeOf, layersOf } from "./model-shape.js";
import { type Module, enterMode } from "./module.js";
import { layerClassName } from "./layer-registry.js";

/** Options of {@link summary}. */
export interface SummaryOptions {
  /** The shape of one sample, when the model does not say (default: the model's input shape). */
  readonly inputShape?: readonly number[];
}

// A table row: the layer's name, type, output shape and parameter count, as printed.
type Row = readonly [name: string, type: string, shape: string, params: string];

function typeOf(module: Module): string {
  if (isActivated(module)) {
    const name = layerClassName(module);
    return module.activationName === "identity" ? name : `${name} (${module.activationName})`;
  }
  if (module instanceof Activation) return `Activation (${module.name})`;
  return layerClassName(module);
}

const count = (module: Module): number =>
  module.parameters().reduce((sum, p) => sum + p.size, 0);

const thousands = (n: number): string => n.toLocaleString("en-US");

/** "[batch, 128]" for the sample shape [128]. */
const batchShape = (sample: readonly number[]): string => `[${["batch", ...sample].join(", ")}]`;

/** The row of `module`, named `name`, whose output is `y`. */
const rowOf = (name: string, module: Module, y: Tensor): Row =>
  [name, typeOf(module), batchShape(y.shape.slice(1)), thousands(count(module))];

/** Runs `layers` on `h` in order, adding one row per layer (nested Sequentials expanded). */
function walk(layers: readonly Module[], prefix: string, h: Tensor, rows: Row[]): Tensor {
  layers.forEach((layer, i) => {
    const name = `${prefix}${i}`;
    const inner = layersOf(layer);
    if (inner !== null) {
      h = walk(inner, `${name}.layers.`, h, rows);
      return;
    }
    h = layer.forward(h);
    rows.push(rowOf(name, layer, h));
  });
  return h;
}

/**
 * A table of `model`'s layers (name, type, output shape, parameters) and its totals, as
 * Keras's `model.summary()`. Output shapes come from one forward pass on a sample of zeros
 * shaped as the model's input (a Model's input shape, the first Dense layer's input size, or
 * `inputShape`), in evaluation mode (nothing drawn, no statistics updated), so any Sequential
 * works. Buffers (batch norm's running statistics) are counted apart from the parameters.
 * @example console.log(model.summary())
 * // layer     type               output shape    parameters
 * // layers.0  Dense (leakyRelu)  [batch, 128]       100,480
 * // ...
 */
export function summary(model: Module, options: SummaryOptions = {}): string {
  const { inputShape } = checkOptions("summary", options, ["inputShape"]);
  const shape = inputShape ?? inputShapeOf(model);
  if (shape === null) {
    throw new Error(`summary: this ${model.constructor.name} does not say its input size; pass ` +
      "{ inputShape: [features] }");
  }
  const rows: Row[] = [];
  const restore = enterMode(model, false);
  try {
    noGrad(() => {
      const x = zeros([1, ...shape], { dtype: dtypeOf(model) });
      const layers = layersOf(model);
      if (layers !== null) walk(layers, "layers.", x, rows);
      else rows.push(rowOf("model", model, model.forward(x)));
    });
  } finally {
    restore();
  }
  const header: Row = ["layer", "type", "output shape", "parameters"];
  const table = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...table.map((r) => r[c].length)));
  // Names, types and shapes aligned left; the counts right.
  const line = (r: Row) =>
    r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  const total = count(model);
  const params = model.parameters();
  const bytes = params.reduce((sum, p) => sum + p.data.BYTES_PER_ELEMENT * p.size, 0);
  const dtypes = [...new Set(params.map((p) => p.dtype))].join(" and ") || dtypeOf(model);
  const buffers = model.buffers().reduce((sum, b) => sum + b.size, 0);
  const rule = "─".repeat(line(header).length);
  return [
    line(header), rule, ...rows.map(line), rule,
    `input ${batchShape(shape)}; ${thousands(total)} parameters ` +
      `(${formatBytes(bytes)} of ${dtypes})` +
      (buffers === 0 ? "" : `; ${thousands(buffers)} buffer values (running statistics)`),
  ].join("\n");
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
