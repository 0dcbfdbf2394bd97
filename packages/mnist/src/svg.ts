// A hand-written loss-curve SVG: per-step loss, per-epoch validation accuracy, the baseline.
import type { History, LossName } from "@tapegrad/nn";

/** What {@link lossCurveSvg} draws. */
export interface LossCurveOptions {
  readonly history: History;
  /** Constant-predictor loss, drawn as a dashed horizontal line. */
  readonly baseline?: number;
  readonly loss?: LossName;
  readonly title?: string;
  readonly width?: number;
  readonly height?: number;
  /** Steps are averaged in buckets so at most this many points are drawn (default 1000). */
  readonly maxPoints?: number;
}

const MARGIN = { left: 60, right: 64, top: 36, bottom: 44 };
const LOSS_COLOR = "#1f77b4";
const ACC_COLOR = "#d62728";
const BASE_COLOR = "#555555";

function escapeXml(text: string): string {
  const entities: Record<string, string> = {
    "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;",
  };
  return text.replace(/[<>&"]/g, (c) => entities[c]);
}

function num(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 100) / 100) : "0";
}

// "Nice" tick values from 0 to the first at or above max: steps of 1, 2 or 5 × 10^k.
function ticks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  const n = Math.ceil(max / step - 1e-9);
  for (let i = 0; i <= n; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

// Averages consecutive steps so that at most `maxPoints` [step, loss] points remain.
function bucket(losses: readonly number[], maxPoints: number): Array<[number, number]> {
  const size = Math.max(1, Math.ceil(losses.length / maxPoints));
  const points: Array<[number, number]> = [];
  for (let start = 0; start < losses.length; start += size) {
    const end = Math.min(losses.length, start + size);
    let sum = 0;
    let n = 0;
    for (let i = start; i < end; i++) if (Number.isFinite(losses[i])) { sum += losses[i]; n++; }
    if (n > 0) points.push([(start + end + 1) / 2, sum / n]);
  }
  return points;
}

/**
 * The loss curve of a run as a standalone SVG document: per-step training loss (left axis),
 * per-epoch validation accuracy (right axis, 0–100 %) and the constant-predictor baseline as
 * a dashed line. The step axis is 1 … number of steps.
 * @example await writeFile("loss-curve.svg", lossCurveSvg({ history, baseline: 3.25 }));
 */
export function lossCurveSvg(options: LossCurveOptions): string {
  const { history, baseline } = options;
  const width = options.width ?? 720;
  const height = options.height ?? 400;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const steps = Math.max(1, history.stepLosses.length);
  const finite = history.stepLosses.filter(Number.isFinite);
  const lossMax = Math.max(baseline ?? 0, ...(finite.length ? finite : [1])) * 1.05;
  const yTicks = ticks(lossMax);
  const yMax = yTicks[yTicks.length - 1] || 1;
  const x = (step: number): number => MARGIN.left + (plotW * step) / steps;
  const yLoss = (v: number): number => MARGIN.top + plotH * (1 - v / yMax);
  const yAcc = (a: number): number => MARGIN.top + plotH * (1 - a);
  const out: string[] = [];
  const title = options.title ??
    `Training loss (${options.loss === "crossEntropy" ? "cross-entropy" : "BCE"})`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  );
  // Axes, grid and tick labels.
  for (const t of yTicks) {
    const y = num(yLoss(t));
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" ` +
        `dominant-baseline="middle">${t}</text>`,
    );
  }
  for (const a of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(
      `<text x="${MARGIN.left + plotW + 6}" y="${num(yAcc(a))}" dominant-baseline="middle" ` +
        `fill="${ACC_COLOR}">${a * 100}%</text>`,
    );
  }
  for (const s of ticks(steps).filter((t) => t <= steps)) {
    out.push(
      `<text x="${num(x(s))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${s}</text>`,
    );
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" ` +
      `fill="none" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 8}" text-anchor="middle">step</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" ` +
      `fill="${LOSS_COLOR}">loss</text>`,
    `<text transform="translate(${width - 10} ${MARGIN.top + plotH / 2}) rotate(90)" ` +
      `text-anchor="middle" fill="${ACC_COLOR}">validation accuracy</text>`,
  );
  if (baseline !== undefined && Number.isFinite(baseline)) {
    const y = num(yLoss(baseline));
    out.push(
      `<line class="baseline" x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" ` +
        `y1="${y}" y2="${y}" stroke="${BASE_COLOR}" stroke-dasharray="6 4"/>`,
      `<text x="${MARGIN.left + plotW - 4}" y="${num(yLoss(baseline) - 5)}" text-anchor="end" ` +
        `fill="${BASE_COLOR}">constant predictor ${baseline.toFixed(3)}</text>`,
    );
  }
  const lossPoints = bucket(history.stepLosses, options.maxPoints ?? 1000)
    .map(([s, v]) => `${num(x(s))},${num(yLoss(v))}`).join(" ");
  if (lossPoints) {
    out.push(
      `<polyline class="loss" fill="none" stroke="${LOSS_COLOR}" stroke-width="1.2" ` +
        `points="${lossPoints}"/>`,
    );
  }
  // Validation accuracy at the last step of each epoch.
  let stepAtEnd = 0;
  const accPoints: string[] = [];
  const perEpoch = history.epochs.length > 0
    ? history.stepLosses.length / history.epochs.length
    : 0;
  history.epochs.forEach((e, i) => {
    stepAtEnd = Math.round(perEpoch * (i + 1));
    if (e.validationAccuracy === null) return;
    accPoints.push(`${num(x(stepAtEnd))},${num(yAcc(e.validationAccuracy))}`);
  });
  if (accPoints.length > 0) {
    out.push(
      `<polyline class="accuracy" fill="none" stroke="${ACC_COLOR}" stroke-width="1.5" ` +
        `points="${accPoints.join(" ")}"/>`,
      ...accPoints.map((p) => {
        const [cx, cy] = p.split(",");
        return `<circle cx="${cx}" cy="${cy}" r="3" fill="${ACC_COLOR}"/>`;
      }),
    );
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
