// Whether anomaly detection is on, as the tape and the ops see it: the checks themselves are in
// anomaly.ts, which installs them here when a program switches detection on, so a program that
// never does bundles none of them.
import type { Tensor } from "./tensor.js";

/** What anomaly mode checks: each op's output and each vjp's gradients (see anomaly.ts). */
export interface AnomalyChecks {
  forward(op: string, inputs: readonly Tensor[], out: Tensor): void;
  backward(op: string, index: number, input: Tensor, dy: Tensor, g: Tensor): void;
}

let checks: AnomalyChecks | undefined;

/** The checks while anomaly detection is on, else undefined. */
export function anomalyChecks(): AnomalyChecks | undefined {
  return checks;
}

export function isAnomalyDetectionEnabled(): boolean {
  return checks !== undefined;
}

/** Switches detection on (with `next`) or off (undefined); returns the previous checks. */
export function setAnomalyChecks(next: AnomalyChecks | undefined): AnomalyChecks | undefined {
  const previous = checks;
  checks = next;
  return previous;
}
