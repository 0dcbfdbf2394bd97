// Opt-in anomaly detection: the first op whose forward or backward yields NaN/Inf throws. The
// switch installs the checks into anomaly-mode.ts, where the tape finds them.
import { type AnomalyChecks, isAnomalyDetectionEnabled, setAnomalyChecks } from "./anomaly-mode.js";
import { formatShape } from "./shape.js";
import type { FloatArray } from "./dtype.js";
import type { Tensor } from "./tensor.js";

export { isAnomalyDetectionEnabled } from "./anomaly-mode.js";

/** Thrown in anomaly mode; names the op, the phase and the shapes involved. */
export class AnomalyError extends Error {
  override name = "AnomalyError";
  constructor(
    message: string,
    readonly op: string,
    readonly phase: "forward" | "backward",
  ) {
    super(message);
  }
}

/** Switches anomaly detection on or off globally; returns the previous setting. */
export function setDetectAnomaly(on: boolean): boolean {
  // From JavaScript, "false" or { enabled: false } would be truthy and switch it on.
  if (typeof on !== "boolean") {
    throw new TypeError(`setDetectAnomaly: on must be true or false; got ${describeArg(on)}`);
  }
  const previous = isAnomalyDetectionEnabled();
  setAnomalyChecks(on ? CHECKS : undefined);
  return previous;
}

/**
 * Runs `fn` with anomaly detection on: every op checks its output (and every vjp its
 * gradients) and throws an AnomalyError at the first op that turns finite values into
 * NaN or Inf. Slow; meant for debugging.
 */
export function detectAnomaly<T>(fn: () => T): T {
  if (typeof fn !== "function") {
    throw new TypeError(`detectAnomaly: fn must be a function; got ${describeArg(fn)}`);
  }
  const previous = setDetectAnomaly(true);
  try {
    return fn();
  } finally {
    setDetectAnomaly(previous);
  }
}

function describeArg(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  return value === null ? "null" : typeof value === "object" ? "an object" : String(value);
}

function firstNonFinite(data: FloatArray): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

function describe(t: Tensor): string {
  return `${t.dtype} ${formatShape(t.shape)}`;
}

export function checkForwardAnomaly(op: string, inputs: readonly Tensor[], out: Tensor): void {
  const bad = firstNonFinite(out.data);
  if (bad < 0 || inputs.some((t) => firstNonFinite(t.data) >= 0)) return;
  throw new AnomalyError(
    `${op}: forward produced ${out.data[bad]} at flat index ${bad} of output ` +
      `${describe(out)} from finite inputs ${inputs.map(describe).join(", ")}`,
    op,
    "forward",
  );
}

export function checkBackwardAnomaly(
  op: string,
  index: number,
  input: Tensor,
  dy: Tensor,
  g: Tensor,
): void {
  const bad = firstNonFinite(g.data);
  if (bad < 0 || firstNonFinite(dy.data) >= 0) return;
  throw new AnomalyError(
    `${op}: backward produced ${g.data[bad]} at flat index ${bad} of the gradient for input ` +
      `${index} (${describe(input)}) from a finite upstream gradient ${describe(dy)}`,
    op,
    "backward",
  );
}

const CHECKS: AnomalyChecks = { forward: checkForwardAnomaly, backward: checkBackwardAnomaly };
