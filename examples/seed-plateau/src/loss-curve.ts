// A small SVG writer: loss curves against training samples seen, with axes and the baseline.

/** One curve: its label, colour and [x, loss] points. */
export interface Curve {
  readonly label: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

const WIDTH = 760;
const HEIGHT = 440;
const PAD = { left: 72, right: 24, top: 40, bottom: 56 };

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// Multiples of 1, 2 or 5 × 10^k from 0 to at least max, about `count` of them.
function ticks(max: number, count: number): number[] {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.ceil(max / step - 1e-9) + 1 }, (_, i) => i * step);
}

// 60000 -> "60 000": samples read better with thousands separated.
function thousands(v: number): string {
  return String(v).replace(/\B(?=(\d{3})+$)/g, "\u2009");
}

/**
 * An SVG line chart of the curves with labelled axes, a legend and a dashed line at `baseline`.
 * @example lossCurveSvg([{ label: "zeros", color: "#d33", points }], 3.249, "samples seen", "t")
 */
export function lossCurveSvg(
  curves: readonly Curve[], baseline: number, xLabel: string, title: string,
  yLabel = "loss",
): string {
  const xs = curves.flatMap((c) => c.points.map((p) => p[0]));
  const ys = curves.flatMap((c) => c.points.map((p) => p[1])).filter(Number.isFinite);
  const xTicks = ticks(Math.max(1, ...xs), 6);
  const yTicks = ticks(Math.max(baseline, ...ys), 6);
  const xMax = xTicks[xTicks.length - 1];
  const yMax = yTicks[yTicks.length - 1];
  const [left, right, top, bottom] = [PAD.left, WIDTH - PAD.right, PAD.top, HEIGHT - PAD.bottom];
  const round = (v: number): number => Math.round(v * 10) / 10;
  const sx = (x: number): number => round(left + (x / xMax) * (right - left));
  const sy = (y: number): number => round(bottom - (Math.min(y, yMax) / yMax) * (bottom - top));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
      `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escape(title)}</text>`,
  ];
  for (const y of yTicks) {
    parts.push(
      `<line x1="${left}" x2="${right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e6e6e6"/>`,
      `<text class="y-tick" x="${left - 8}" y="${sy(y) + 4}" text-anchor="end">${y}</text>`,
    );
  }
  for (const x of xTicks) {
    parts.push(
      `<line x1="${sx(x)}" x2="${sx(x)}" y1="${top}" y2="${bottom}" stroke="#e6e6e6"/>`,
      `<line x1="${sx(x)}" x2="${sx(x)}" y1="${bottom}" y2="${bottom + 5}" stroke="#333"/>`,
      `<text class="x-tick" x="${sx(x)}" y="${bottom + 19}" text-anchor="middle">` +
        `${thousands(x)}</text>`,
    );
  }
  parts.push(
    `<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" ` +
      `fill="none" stroke="#333"/>`,
    `<text x="${(left + right) / 2}" y="${HEIGHT - 14}" text-anchor="middle">` +
      `${escape(xLabel)}</text>`,
    `<text transform="translate(20 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">` +
      `${escape(yLabel)}</text>`,
  );
  curves.forEach((curve) => {
    const d = curve.points
      .filter((p) => Number.isFinite(p[1]))
      .map((p, j) => `${j === 0 ? "M" : "L"}${sx(p[0])},${sy(p[1])}`)
      .join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${curve.color}" stroke-width="2"/>`);
  });
  // Drawn over the curves: a curve on the baseline shows through the gaps of the dashes.
  parts.push(
    `<line class="baseline" x1="${left}" x2="${right}" y1="${sy(baseline)}" ` +
      `y2="${sy(baseline)}" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/>`,
  );
  // Legend in the top right corner, above the curves' tails; the baseline is its last entry.
  const entries = [
    ...curves.map((c) => ({ label: c.label, color: c.color, dash: "" })),
    { label: `constant-predictor baseline ${baseline.toFixed(4)}`, color: "#555", dash: "6 4" },
  ];
  const boxWidth = 44 + 6.6 * Math.max(...entries.map((e) => e.label.length));
  const bx = right - boxWidth - 10;
  parts.push(
    `<rect x="${bx}" y="${top + 10}" width="${boxWidth}" height="${12 + 18 * entries.length}" ` +
      `fill="white" fill-opacity="0.9" stroke="#ccc"/>`,
  );
  entries.forEach((e, i) => {
    const y = top + 28 + 18 * i;
    parts.push(
      `<line x1="${bx + 8}" x2="${bx + 32}" y1="${y - 4}" y2="${y - 4}" stroke="${e.color}" ` +
        `stroke-width="2"${e.dash ? ` stroke-dasharray="${e.dash}"` : ""}/>`,
      `<text x="${bx + 38}" y="${y}">${escape(e.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** Running mean over `window` values, to show noisy minibatch losses as a curve. */
export function smooth(values: readonly number[], window: number): number[] {
  return values.map((_, i) => {
    const from = Math.max(0, i - window + 1);
    const part = values.slice(from, i + 1);
    return part.reduce((a, b) => a + b, 0) / part.length;
  });
}
