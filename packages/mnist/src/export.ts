// Exporting a checkpoint's model for other engines: ONNX, and safetensors in PyTorch's layout.
import { modelToSafetensors, torchModelCode } from "@tapegrad/nn";
import { writeFileAtomic } from "@tapegrad/nn/node";
import { ONNX_OPSET, exportOnnx } from "@tapegrad/nn/onnx";
import { loadCheckpointModel } from "./inference.js";
import { osReason } from "./out-folder.js";
import type { InputLimits } from "./input-limits.js";

/** Where {@link exportCheckpoint} writes; at least one file. */
export interface ExportTargets {
  /** An ONNX model (opset 17): input `[batch, 784]` (or `[batch, 1, 28, 28]` for a model whose
   * input is that shape) named "input", output named "output". */
  readonly onnx?: string;
  /** Weights as torch.nn.Sequential's state_dict (`0.weight` `[out, in]`, …). */
  readonly safetensors?: string;
}

/** What was written, for the CLI to print. */
export interface ExportResult {
  readonly checkpoint: string;
  readonly epoch: number;
  readonly files: ReadonlyArray<{ readonly format: "onnx" | "safetensors"; readonly path: string;
    readonly bytes: number }>;
  readonly opset: number;
  readonly dtype: string;
  /** The equivalent PyTorch model, as Python source. */
  readonly torch: string;
}

/**
 * Writes the model of the checkpoint in `dir` (a run's `--out` or an epoch directory) as ONNX
 * and/or PyTorch-layout safetensors, each file atomically.
 * @example await exportCheckpoint("runs/mlp", { onnx: "mlp.onnx" });
 */
export async function exportCheckpoint(
  dir: string, targets: ExportTargets, limits?: InputLimits,
): Promise<ExportResult> {
  if (targets.onnx === undefined && targets.safetensors === undefined) {
    throw new Error("exportCheckpoint: nothing to write; give onnx and/or safetensors");
  }
  const { model, dir: epochDir, epoch } = await loadCheckpointModel(dir, limits);
  const files: Array<ExportResult["files"][number]> = [];
  const docString = `tapegrad-mnist checkpoint ${epochDir} (epoch ${epoch})`;
  if (targets.onnx !== undefined) {
    const bytes = exportOnnx(model, { docString });
    await writeTarget(targets.onnx, bytes, "the ONNX file");
    files.push({ format: "onnx", path: targets.onnx, bytes: bytes.length });
  }
  if (targets.safetensors !== undefined) {
    const bytes = modelToSafetensors(model, { spec: JSON.stringify(model.toSpec()) });
    await writeTarget(targets.safetensors, bytes, "the safetensors file");
    files.push({ format: "safetensors", path: targets.safetensors, bytes: bytes.length });
  }
  return {
    checkpoint: epochDir, epoch, files, opset: ONNX_OPSET,
    dtype: model.parameters()[0]?.dtype ?? "float32", torch: torchModelCode(model),
  };
}

async function writeTarget(path: string, bytes: Uint8Array, what: string): Promise<void> {
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // The temp file beside the target is what failed to open: its folder is missing.
    const hint = code === "ENOENT" ? " (does its folder exist?)" : "";
    throw new Error(
      `exportCheckpoint: cannot write ${what} ${path}: ${osReason(error)}${hint}`, { cause: error },
    );
  }
}
