// What resuming a run will do: continue it, extend it (re-planning a cosine schedule), or nothing.
import { cosineDecay } from "@tapegrad/nn";
import type { CheckpointState } from "./checkpoint.js";
import type { TrainingSettings } from "./run.js";

/** How extending a run changes its cosine learning-rate schedule. */
export interface ScheduleChange {
  /** Epochs the schedule was planned over, and over which it is now planned. */
  readonly fromEpochs: number;
  readonly toEpochs: number;
  /** The first epoch trained under the new plan. */
  readonly nextEpoch: number;
  /** The rate of that epoch's first step under the old plan and under the new one. */
  readonly rateBefore: number;
  readonly rateAfter: number;
  /** The schedule's starting rate (the run's learning rate). */
  readonly initial: number;
}

/** What resuming a checkpoint for a total of `epochs` epochs does. */
export interface ResumePlan {
  /** Epochs the checkpoint has finished. */
  readonly epochsDone: number;
  /** The total the run was planned for, and the total it now trains to. */
  readonly plannedEpochs: number;
  readonly epochs: number;
  /** True when the run already has `epochs` epochs: there is nothing to train. */
  readonly nothingToDo: boolean;
  /** Set when a cosine schedule is re-planned over a new total (the rate jumps). */
  readonly scheduleChange?: ScheduleChange;
}

/**
 * Plans a resume of the run whose checkpoint state is `state`, to `epochs` epochs in total
 * (default: the planned total). Throws a RangeError when `epochs` is fewer than the epochs done.
 * @example resumePlan(state, 12).scheduleChange?.rateAfter // 0.00025 after 8 of a cosine plan
 */
export function resumePlan(
  state: CheckpointState<TrainingSettings>, epochs?: number, where = "resume",
): ResumePlan {
  const done = state.epoch;
  const planned = state.config.epochs;
  const total = epochs ?? planned;
  if (total < done) {
    throw new RangeError(
      `${where}: epochs ${total} is fewer than the ${done} epochs the run has finished; ` +
        `give more than ${done} to extend it`,
    );
  }
  const plan = { epochsDone: done, plannedEpochs: planned, epochs: total };
  if (total === done) return { ...plan, nothingToDo: true };
  if (state.config.schedule !== "cosine" || total === planned) {
    return { ...plan, nothingToDo: false };
  }
  // Every epoch takes the same number of steps, so the steps so far give the epoch's count.
  const stepsPerEpoch = Math.max(1, Math.round(state.optimizer.step / Math.max(1, done)));
  const initial = state.config.learningRate;
  const rate = (epochCount: number) =>
    cosineDecay({ initial, totalSteps: epochCount * stepsPerEpoch })(state.optimizer.step);
  return {
    ...plan,
    nothingToDo: false,
    scheduleChange: {
      fromEpochs: planned, toEpochs: total, nextEpoch: done + 1,
      rateBefore: rate(planned), rateAfter: rate(total), initial,
    },
  };
}

const short = (x: number): string => String(Number(x.toPrecision(3)));

/**
 * The warning for a re-planned cosine schedule, naming both plans and what happens to the rate.
 * @example "--epochs 12 re-plans the cosine schedule of runs/a (planned over 8 epochs): …"
 */
export function describeScheduleChange(change: ScheduleChange, dir: string, flag: string): string {
  const { fromEpochs, toEpochs, nextEpoch, rateBefore, rateAfter, initial } = change;
  const way = rateAfter > rateBefore ? "up" : "down";
  return `${flag} ${toEpochs} re-plans the cosine schedule of ${dir} (planned over ` +
    `${fromEpochs} epochs): the rate at epoch ${nextEpoch} goes ${way} from ${short(rateBefore)} ` +
    `to ${short(rateAfter)} (of lr ${short(initial)}) and now decays to 0 at epoch ${toEpochs}. ` +
    `The result differs from a ${toEpochs}-epoch run from the start; to extend runs exactly, ` +
    "train them with --schedule constant.";
}
