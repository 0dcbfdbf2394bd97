// Axis scales and tick values for the hand-written SVG charts: linear and logarithmic.

/** Maps a data value to a pixel coordinate, with the ticks worth labelling. */
export interface Scale {
  readonly min: number;
  readonly max: number;
  (value: number): number;
  readonly ticks: readonly number[];
}

/** "Nice" steps: 1, 2 or 5 × 10^k, the first at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * power);
}

/** Multiples of a nice step inside [min, max], about `count` of them. */
export function linearTicks(min: number, max: number, count = 5): number[] {
  const step = niceStep((max - min) / count);
  const out: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max * (1 + 1e-12) + 1e-12; k++) {
    out.push(Number((k * step).toPrecision(12)));
  }
  return out;
}

/**
 * Ticks of a log axis over [min, max] (both > 0): powers of ten when the range spans several,
 * else 1-2-5 or finer mantissas, whichever first gives at least three ticks.
 */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  for (const mantissas of [[1], [1, 2, 5], [1, 1.5, 2, 3, 5, 7]]) {
    const out: number[] = [];
    for (let e = lo; e <= hi; e++) {
      for (const m of mantissas) {
        const v = Number((m * 10 ** e).toPrecision(12));
        if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
      }
    }
    if (out.length >= 3) return out;
  }
  return linearTicks(min, max, 3).filter((v) => v > 0);
}

/** A linear scale from [min, max] to [from, to] (pixels; `to` < `from` for a y axis). */
export function linearScale(min: number, max: number, from: number, to: number, count = 5): Scale {
  const span = max - min || 1;
  const f = (v: number): number => from + ((v - min) / span) * (to - from);
  return Object.assign(f, { min, max, ticks: linearTicks(min, max, count) });
}

/** A log10 scale from [min, max] (both > 0) to [from, to]; values outside are clamped. */
export function logScale(min: number, max: number, from: number, to: number): Scale {
  const a = Math.log10(min);
  const span = Math.log10(max) - a || 1;
  const f = (v: number): number => {
    const t = (Math.log10(Math.min(max, Math.max(min, v))) - a) / span;
    return from + t * (to - from);
  };
  return Object.assign(f, { min, max, ticks: logTicks(min, max) });
}

/** A tick label: at most three significant digits, no float noise (0.3, 1.5, 0.002, 20). */
export function formatTick(v: number): string {
  if (v === 0) return "0";
  const text = String(Number(v.toPrecision(3)));
  return text.includes("e") ? v.toExponential(0) : text;
}

/** A percentage label with as many decimals as the tick step needs (97.5%, 98%). */
export function formatPercent(fraction: number, step: number): string {
  const decimals = Math.max(0, Math.min(3, -Math.floor(Math.log10(step * 100) + 1e-9)));
  return `${(fraction * 100).toFixed(decimals)}%`;
}

/** A coordinate rounded to 0.01 px (finite by construction of the scales). */
export function px(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 100) / 100) : "0";
}

/** Text safe inside an SVG element or attribute. */
export function escapeXml(text: string): string {
  const entities: Record<string, string> = {
    "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;",
  };
  return text.replace(/[<>&"]/g, (c) => entities[c]);
}
