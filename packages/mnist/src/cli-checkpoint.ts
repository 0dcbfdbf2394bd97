// `tapegrad-mnist evaluate | predict | export`: the commands that use a saved checkpoint.
import { percent } from "@tapegrad/nn";
import {
  IDX_LIMIT_OPTIONS, NAME, SPEC_LIMIT_OPTIONS, UsageError, integer, limitsHelp, out, parse,
  readLimits, required,
} from "./cli-args.js";
import { exportCheckpoint } from "./export.js";
import { asciiArt, evaluateCheckpoint, predictCheckpoint } from "./inference.js";
import { evaluationReport } from "./report.js";

const EVALUATE_HELP = `Usage: ${NAME} evaluate --checkpoint DIR [options]

Test accuracy, per-class accuracy and the confusion matrix of a saved checkpoint.

  --checkpoint DIR      a train --out directory (or one of its epoch-N directories)
  --data-dir DIR        test data folder (default: the one the run trained on)
  --json                print one JSON object on stdout
  --verbose             show stack traces on errors
  -h, --help            show this help

${limitsHelp(true)}`;

const PREDICT_HELP = `Usage: ${NAME} predict --checkpoint DIR --index N [options]

Shows test image N as text art with the model's class probabilities and the true label.

  --checkpoint DIR      a train --out directory (or one of its epoch-N directories)
  --index N             test image index, 0-based
  --data-dir DIR        test data folder (default: the one the run trained on)
  --json                print one JSON object on stdout
  --verbose             show stack traces on errors
  -h, --help            show this help

${limitsHelp(true)}`;

const EXPORT_HELP = `Usage: ${NAME} export --checkpoint DIR (--onnx FILE | --safetensors FILE)

Writes a checkpoint's model for other engines.

  --checkpoint DIR      a train --out directory (or one of its epoch-N directories)
  --onnx FILE           an ONNX model (opset 17) for onnxruntime and others: input "input"
                        [batch, 784], output "output" [batch, 10] (the model's outputs,
                        after its final activation)
  --safetensors FILE    the weights as PyTorch's nn.Sequential state_dict (0.weight [out, in])
                        for load_state_dict(..., strict=True); prints the nn.Sequential
  --json                print one JSON object on stdout
  --verbose             show stack traces on errors
  -h, --help            show this help

${limitsHelp(false)}`;

const READS_DATA = {
  checkpoint: { type: "string" }, "data-dir": { type: "string" }, ...SPEC_LIMIT_OPTIONS,
  ...IDX_LIMIT_OPTIONS,
} as const;

/** Runs `evaluate` with `args`. */
export async function evaluateCommand(args: string[]): Promise<void> {
  const v = parse("evaluate", args, READS_DATA);
  if (v.help) return out(EVALUATE_HELP);
  const dir = required(v, "checkpoint", "evaluate");
  const { checkpoint, evaluation: e } =
    await evaluateCheckpoint(dir, v["data-dir"] as string | undefined, readLimits(v));
  if (v.json) {
    return out(JSON.stringify({
      command: "evaluate", checkpoint: checkpoint.dir, epoch: checkpoint.epoch,
      accuracy: e.accuracy, loss: e.loss, count: e.count, perClassAccuracy: e.perClassAccuracy,
      confusion: e.confusion,
    }));
  }
  out(`checkpoint ${checkpoint.dir} (epoch ${checkpoint.epoch})`);
  out(evaluationReport("test", e));
}

/** Runs `predict` with `args`. */
export async function predictCommand(args: string[]): Promise<void> {
  const v = parse("predict", args, { ...READS_DATA, index: { type: "string" } });
  if (v.help) return out(PREDICT_HELP);
  const dir = required(v, "checkpoint", "predict");
  required(v, "index", "predict");
  const index = integer(v, "index") as number;
  const { prediction: p } =
    await predictCheckpoint(dir, index, v["data-dir"] as string | undefined, readLimits(v));
  if (v.json) {
    return out(JSON.stringify({
      command: "predict", index: p.index, label: p.label, predicted: p.predicted,
      probabilities: p.probabilities,
    }));
  }
  out(asciiArt(p.pixels, p.rows, p.cols));
  const best = Math.max(...p.probabilities);
  p.probabilities.forEach((prob, k) => {
    const bar = "#".repeat(Math.round(prob * 40));
    out(`  ${k}  ${percent(prob).padStart(7)}  ${bar}${prob === best ? "  <- predicted" : ""}`);
  });
  const verdict = p.predicted === p.label ? "correct" : "wrong";
  out(`test image ${p.index}: label ${p.label}, predicted ${p.predicted} (${verdict})`);
}

/** Runs `export` with `args`. */
export async function exportCommand(args: string[]): Promise<void> {
  const v = parse("export", args, {
    checkpoint: { type: "string" }, onnx: { type: "string" }, safetensors: { type: "string" },
    ...SPEC_LIMIT_OPTIONS,
  });
  if (v.help) return out(EXPORT_HELP);
  const dir = required(v, "checkpoint", "export");
  const onnx = v.onnx === undefined ? undefined : required(v, "onnx", "export");
  const safetensors = v.safetensors === undefined ? undefined
    : required(v, "safetensors", "export");
  if (onnx === undefined && safetensors === undefined) {
    throw new UsageError("export: give --onnx FILE and/or --safetensors FILE");
  }
  const result = await exportCheckpoint(dir, { onnx, safetensors }, readLimits(v));
  if (v.json) return out(JSON.stringify({ command: "export", ...result }));
  out(`checkpoint ${result.checkpoint} (epoch ${result.epoch}, ${result.dtype})`);
  for (const f of result.files) {
    const what = f.format === "onnx" ? `ONNX opset ${result.opset}` : "PyTorch state_dict";
    out(`wrote ${f.path} (${what}, ${f.bytes} bytes)`);
  }
  if (safetensors !== undefined) out(`PyTorch model for load_state_dict:\n${result.torch}`);
}
