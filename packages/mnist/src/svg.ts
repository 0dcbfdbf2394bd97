// A hand-written loss-curve SVG: training and validation loss on a log axis, accuracy on an axis
// fitted to its range, epoch ticks, the constant-predictor baseline and where a run resumed.
import {
  type Scale, escapeXml, formatPercent, formatTick, linearScale, logScale, px,
} from "./svg-scale.js";
import type { LossName } from "@tapegrad/nn";

/** One epoch as the chart needs it; null where a value was not measured. */
export interface LossCurveEpoch {
  /** Mean training loss over the epoch's steps, and training accuracy as it trained. */
  readonly trainLoss: number;
  readonly trainAccuracy: number | null;
  /** Validation loss and accuracy after the epoch. */
  readonly validationLoss: number | null;
  readonly validationAccuracy: number | null;
}

/**
 * What the chart draws: any training history maps to it (a TrainHistory is one as it is).
 * Each epoch's steps are an equal share of `stepLosses`.
 */
export interface LossCurveData {
  /** The training loss of every step, in order. */
  readonly stepLosses: readonly number[];
  readonly epochs: readonly LossCurveEpoch[];
  /** Epochs after which a run was resumed from its checkpoint (a mark is drawn at each). */
  readonly resumedAfter?: readonly number[];
}

/** What {@link lossCurveSvg} draws and how. */
export interface LossCurveOptions {
  readonly history: LossCurveData;
  /** Constant-predictor loss, drawn as a dashed horizontal line. */
  readonly baseline?: number;
  readonly loss?: LossName;
  readonly title?: string;
  readonly width?: number;
  readonly height?: number;
  /** Steps are averaged in buckets so at most this many points are drawn (default 600). */
  readonly maxPoints?: number;
}

const MARGIN = { left: 70, right: 24, top: 62, bottom: 46 };
const PANEL_GAP = 40;
const COLORS = {
  step: "#a6cbe8", train: "#1f77b4", validation: "#e8730c", baseline: "#555555",
  resume: "#8e44ad", grid: "#e6e6e6", frame: "#333333", muted: "#777777",
};

interface Point {
  readonly x: number;
  readonly y: number;
}

/**
 * The loss curve of a run as a standalone SVG document. Top panel, log-scaled loss: the loss of
 * every step (averaged in buckets when there are many), the epoch's mean training loss (drawn
 * mid-epoch, where it was measured on average), the validation loss (at the epoch's end) and
 * the constant-predictor baseline. Bottom panel: training and validation accuracy on an axis
 * fitted to the range they move in. Epochs on the x axis; a dashed mark where a run resumed.
 * @example await writeFile("loss-curve.svg", lossCurveSvg({ history, baseline: 3.25 }));
 */
export function lossCurveSvg(options: LossCurveOptions): string {
  const { history, baseline } = options;
  const width = options.width ?? 760;
  const height = options.height ?? 560;
  const epochs = history.epochs.length;
  const stepsPerEpoch = epochs > 0 ? history.stepLosses.length / epochs : history.stepLosses.length;
  const xMax = Math.max(1, epochs);
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const x = linearScale(0, xMax, left, right, Math.min(xMax, 10));
  const plotTop = MARGIN.top;
  const plotBottom = height - MARGIN.bottom;
  const lossBottom = plotTop + Math.round((plotBottom - plotTop - PANEL_GAP) * 0.62);
  const accTop = lossBottom + PANEL_GAP;

  const buckets = bucket(history.stepLosses, options.maxPoints ?? 600);
  const perEpoch = Math.max(1, stepsPerEpoch);
  const stepPoints = buckets.points.map((p) => ({ x: p.step / perEpoch, y: p.loss }));
  const trainLoss = history.epochs.map((e, i) => ({ x: i + 0.5, y: e.trainLoss }));
  const validationLoss = points(history.epochs, (e, i) => [i + 1, e.validationLoss]);
  const trainAcc = points(history.epochs, (e, i) => [i + 0.5, e.trainAccuracy]);
  const validationAcc = points(history.epochs, (e, i) => [i + 1, e.validationAccuracy]);

  const lossValues = [...stepPoints, ...trainLoss, ...validationLoss].map((p) => p.y)
    .concat(baseline !== undefined && Number.isFinite(baseline) ? [baseline] : [])
    .filter((v) => Number.isFinite(v) && v > 0);
  const yLoss = lossScale(lossValues, lossBottom, plotTop);
  const accValues = [...trainAcc, ...validationAcc].map((p) => p.y);
  const yAcc = accuracyScale(accValues, plotBottom, accTop);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">` +
      `${escapeXml(options.title ?? "Training loss and accuracy")}</text>`,
  ];
  const lossName = options.loss === "crossEntropy" ? "cross-entropy"
    : options.loss === "bce" ? "BCE summed over the outputs" : "loss";
  // Grids and epoch ticks, shared by both panels.
  out.push(...epochGrid(x, xMax, [[plotTop, lossBottom], [accTop, plotBottom]], plotBottom));
  out.push(...minorLogGrid(yLoss, left, right));
  out.push(...yAxis(yLoss, left, right, "loss-tick", formatTick));
  out.push(...yAxis(yAcc, left, right, "accuracy-tick", (v) => formatPercent(v, tickStep(yAcc))));
  out.push(
    frame(left, plotTop, right, lossBottom), frame(left, accTop, right, plotBottom),
    axisTitle(18, (plotTop + lossBottom) / 2, `${lossName} (log scale)`),
    axisTitle(18, (accTop + plotBottom) / 2, "accuracy"),
    `<text x="${(left + right) / 2}" y="${height - 8}" text-anchor="middle">epoch</text>`,
  );
  if (baseline !== undefined && Number.isFinite(baseline) && baseline > 0) {
    const y = yLoss(baseline);
    const labelY = y - 5 < plotTop + 14 ? y + 15 : y - 5; // below the line when it is at the top
    out.push(
      `<line class="baseline" x1="${left}" x2="${right}" y1="${px(y)}" y2="${px(y)}" ` +
        `stroke="${COLORS.baseline}" stroke-dasharray="6 4"/>`,
      `<text x="${right - 4}" y="${px(labelY)}" text-anchor="end" ` +
        `fill="${COLORS.baseline}">constant predictor ${baseline.toFixed(3)}</text>`,
    );
  }
  const at = (s: Scale) => (p: Point) => `${px(x(p.x))},${px(s(p.y))}`;
  out.push(line("step-loss", stepPoints.map(at(yLoss)), COLORS.step, 1));
  out.push(series("train-loss", trainLoss.map(at(yLoss)), COLORS.train, false));
  out.push(series("validation-loss", validationLoss.map(at(yLoss)), COLORS.validation, true));
  out.push(series("train-accuracy", trainAcc.map(at(yAcc)), COLORS.train, false));
  out.push(series("validation-accuracy", validationAcc.map(at(yAcc)), COLORS.validation, true));
  for (const epoch of history.resumedAfter ?? []) {
    if (!(epoch > 0 && epoch < xMax)) continue;
    const rx = px(x(epoch));
    out.push(
      `<line class="resume" x1="${rx}" x2="${rx}" y1="${plotTop}" y2="${plotBottom}" ` +
        `stroke="${COLORS.resume}" stroke-width="1.5" stroke-dasharray="3 3"/>`,
      `<text class="resume-label" x="${px(x(epoch) + 4)}" y="${plotTop + 14}" ` +
        `fill="${COLORS.resume}">resumed after epoch ${epoch}</text>`,
    );
  }
  const stepLabel = buckets.size > 1 ? `loss per step (mean of ${buckets.size})` : "loss per step";
  out.push(...legend(left, plotTop - 10, [
    ["line", COLORS.step, stepLabel], ["marker", COLORS.train, "training loss (epoch mean)"],
    ["hollow", COLORS.validation, "validation loss"],
  ]));
  out.push(...legend(left, accTop - 10, [
    ["marker", COLORS.train, "training accuracy (during the epoch)"],
    ["hollow", COLORS.validation, "validation accuracy"],
  ]));
  const notes: string[] = [];
  if (buckets.skipped > 0) notes.push(`${buckets.skipped} steps with a non-finite loss not drawn`);
  if (history.stepLosses.length === 0) notes.push("no steps yet");
  if (accValues.length === 0 && epochs > 0) notes.push("no accuracy recorded");
  notes.forEach((note, i) => out.push(
    `<text class="note" x="${left + 8}" y="${lossBottom - 10 - 16 * i}" ` +
      `fill="${COLORS.muted}">${escapeXml(note)}</text>`,
  ));
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

function points(
  epochs: readonly LossCurveEpoch[],
  pick: (e: LossCurveEpoch, i: number) => [number, number | null],
): Point[] {
  return epochs.map(pick).filter(([, y]) => y !== null && Number.isFinite(y))
    .map(([px_, y]) => ({ x: px_, y: y as number }));
}

// Loss on log10: from the smallest to the largest value drawn, padded by 5 % of the span.
function lossScale(values: readonly number[], bottom: number, top: number): Scale {
  if (values.length === 0) return logScale(0.1, 10, bottom, top);
  let lo = Math.log10(Math.min(...values));
  let hi = Math.log10(Math.max(...values));
  if (hi - lo < 0.3) [lo, hi] = [(lo + hi) / 2 - 0.15, (lo + hi) / 2 + 0.15];
  const pad = (hi - lo) * 0.05;
  return logScale(10 ** (lo - pad), 10 ** (hi + pad), bottom, top);
}

// Accuracy: the range it moves in, padded by 10 % (at least half a percentage point), in [0, 1].
function accuracyScale(values: readonly number[], bottom: number, top: number): Scale {
  if (values.length === 0) return linearScale(0, 1, bottom, top, 4);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const pad = Math.max(0.005, (max - min) * 0.1);
  return linearScale(Math.max(0, min - pad), Math.min(1, max + pad), bottom, top, 6);
}

function tickStep(scale: Scale): number {
  return scale.ticks.length > 1 ? scale.ticks[1] - scale.ticks[0] : 0.01;
}

// Averages consecutive finite steps so at most `maxPoints` remain; each point sits at the
// middle of its bucket (steps are 1-based: step s ends at s / stepsPerEpoch epochs).
function bucket(
  losses: readonly number[], maxPoints: number,
): { points: Array<{ step: number; loss: number }>; size: number; skipped: number } {
  const size = Math.max(1, Math.ceil(losses.length / Math.max(1, maxPoints)));
  const out: Array<{ step: number; loss: number }> = [];
  let skipped = 0;
  for (let start = 0; start < losses.length; start += size) {
    const end = Math.min(losses.length, start + size);
    let sum = 0;
    let n = 0;
    for (let i = start; i < end; i++) {
      if (Number.isFinite(losses[i])) {
        sum += losses[i];
        n++;
      } else {
        skipped++;
      }
    }
    if (n > 0) out.push({ step: (start + 1 + end) / 2, loss: sum / n });
  }
  return { points: out, size, skipped };
}

function epochGrid(
  x: Scale, xMax: number, panels: ReadonlyArray<[number, number]>, bottom: number,
): string[] {
  const out: string[] = [];
  const ticks = x.ticks.filter((t) => Number.isInteger(t));
  for (const t of ticks) {
    const gx = px(x(t));
    for (const [top, end] of panels) {
      out.push(`<line x1="${gx}" x2="${gx}" y1="${top}" y2="${end}" stroke="${COLORS.grid}"/>`);
    }
    out.push(
      `<text class="epoch-tick" x="${gx}" y="${bottom + 16}" text-anchor="middle">${t}</text>`,
    );
  }
  if (xMax > ticks.length - 1 && xMax <= 60) { // unlabelled epoch boundaries between ticks
    for (let e = 1; e < xMax; e++) {
      if (ticks.includes(e)) continue;
      const gx = px(x(e));
      out.push(`<line x1="${gx}" x2="${gx}" y1="${bottom}" y2="${bottom + 4}" stroke="#999"/>`);
    }
  }
  return out;
}

// Unlabelled lines at 2…9 × 10^k when only powers of ten are labelled, to read values between.
function minorLogGrid(scale: Scale, left: number, right: number): string[] {
  if (!scale.ticks.every((t) => Number.isInteger(Math.round(Math.log10(t) * 1e9) / 1e9))) return [];
  const out: string[] = [];
  for (let e = Math.floor(Math.log10(scale.min)); e <= Math.ceil(Math.log10(scale.max)); e++) {
    for (let m = 2; m <= 9; m++) {
      const v = m * 10 ** e;
      if (v <= scale.min || v >= scale.max) continue;
      const y = px(scale(v));
      out.push(`<line x1="${left}" x2="${right}" y1="${y}" y2="${y}" stroke="#efefef"/>`);
    }
  }
  return out;
}

function yAxis(
  scale: Scale, left: number, right: number, cls: string, label: (v: number) => string,
): string[] {
  return scale.ticks.flatMap((t) => {
    const y = px(scale(t));
    return [
      `<line x1="${left}" x2="${right}" y1="${y}" y2="${y}" stroke="${COLORS.grid}"/>`,
      `<text class="${cls}" x="${left - 6}" y="${y}" text-anchor="end" ` +
        `dominant-baseline="middle">${label(t)}</text>`,
    ];
  });
}

function frame(x1: number, y1: number, x2: number, y2: number): string {
  return `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" ` +
    `stroke="${COLORS.frame}"/>`;
}

function axisTitle(x: number, y: number, text: string): string {
  return `<text transform="translate(${x} ${px(y)}) rotate(-90)" text-anchor="middle">` +
    `${escapeXml(text)}</text>`;
}

function line(cls: string, pts: readonly string[], color: string, widthPx: number): string {
  if (pts.length === 0) return "";
  return `<polyline class="${cls}" fill="none" stroke="${color}" stroke-width="${widthPx}" ` +
    `stroke-linejoin="round" points="${pts.join(" ")}"/>`;
}

// A line through per-epoch values with a marker on each (so a single epoch still shows).
function series(cls: string, pts: readonly string[], color: string, hollow: boolean): string {
  if (pts.length === 0) return "";
  const fill = hollow ? "white" : color;
  const markers = pts.map((p) => {
    const [cx, cy] = p.split(",");
    return `<circle cx="${cx}" cy="${cy}" r="3.5" fill="${fill}" stroke="${color}" ` +
      `stroke-width="1.5"/>`;
  });
  return [line(cls, pts, color, 2), `<g class="${cls}-points">`, ...markers, "</g>"].join("\n");
}

function legend(
  x0: number, y: number, items: ReadonlyArray<["line" | "marker" | "hollow", string, string]>,
): string[] {
  const out: string[] = [];
  let x = x0;
  for (const [kind, color, text] of items) {
    out.push(`<line x1="${x}" x2="${x + 22}" y1="${y - 4}" y2="${y - 4}" stroke="${color}" ` +
      `stroke-width="${kind === "line" ? 1.5 : 2}"/>`);
    if (kind !== "line") {
      const fill = kind === "hollow" ? "white" : color;
      out.push(`<circle cx="${x + 11}" cy="${y - 4}" r="3.5" fill="${fill}" stroke="${color}" ` +
        `stroke-width="1.5"/>`);
    }
    out.push(`<text x="${x + 28}" y="${y}">${escapeXml(text)}</text>`);
    x += 36 + text.length * 6.3;
  }
  return out;
}
