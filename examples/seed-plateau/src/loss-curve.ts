// A small SVG writer: loss curves against training samples seen, with the baseline drawn in.

/** One curve: its label, colour and [x, loss] points. */
export interface Curve {
  readonly label: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

const WIDTH = 720;
const HEIGHT = 420;
const PAD = { left: 60, right: 20, top: 30, bottom: 50 };

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * An SVG line chart of the curves, with a dashed horizontal line at `baseline`.
 * @example lossCurveSvg([{ label: "zeros", color: "#d33", points }], 3.249, "samples seen")
 */
export function lossCurveSvg(
  curves: readonly Curve[], baseline: number, xLabel: string, title: string,
): string {
  const xs = curves.flatMap((c) => c.points.map((p) => p[0]));
  const ys = curves.flatMap((c) => c.points.map((p) => p[1])).filter(Number.isFinite);
  const xMax = Math.max(1, ...xs);
  const yMax = Math.ceil(Math.max(baseline, ...ys));
  const round = (v: number): number => Math.round(v * 10) / 10;
  const sx = (x: number): number => round(PAD.left + (x / xMax) * (WIDTH - PAD.left - PAD.right));
  const sy = (y: number): number =>
    round(HEIGHT - PAD.bottom - (Math.min(y, yMax) / yMax) * (HEIGHT - PAD.top - PAD.bottom));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
      `font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14">${escape(title)}</text>`,
  ];
  for (let y = 0; y <= yMax; y++) {
    parts.push(
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${sy(y)}" y2="${sy(y)}" ` +
        `stroke="#eee"/>`,
      `<text x="${PAD.left - 8}" y="${sy(y) + 4}" text-anchor="end">${y}</text>`,
    );
  }
  parts.push(
    `<text x="${WIDTH / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escape(xLabel)}</text>`,
    `<text x="${PAD.left - 8}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="end">0</text>`,
    `<text x="${WIDTH - PAD.right}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="end">` +
      `${xMax}</text>`,
    `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${sy(baseline)}" ` +
      `y2="${sy(baseline)}" stroke="#555" stroke-dasharray="6 4"/>`,
    `<text x="${WIDTH - PAD.right}" y="${sy(baseline) - 6}" text-anchor="end" fill="#555">` +
      `constant-predictor baseline ${baseline.toFixed(4)}</text>`,
  );
  curves.forEach((curve, i) => {
    const d = curve.points
      .filter((p) => Number.isFinite(p[1]))
      .map((p, j) => `${j === 0 ? "M" : "L"}${sx(p[0])},${sy(p[1])}`)
      .join(" ");
    parts.push(
      `<path d="${d}" fill="none" stroke="${curve.color}" stroke-width="2"/>`,
      `<text x="${PAD.left + 10}" y="${PAD.top + 16 * (i + 1)}" fill="${curve.color}">` +
        `${escape(curve.label)}</text>`,
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
