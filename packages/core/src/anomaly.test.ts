// Unit tests for anomaly mode: the first op to turn finite values into NaN/Inf is named.
import { afterEach, describe, expect, it } from "vitest";
import {
  AnomalyError, detectAnomaly, isAnomalyDetectionEnabled, setDetectAnomaly,
} from "./anomaly.js";
import { tensor } from "./creation.js";
import { log, mul, sqrt, sum } from "./ops/all.js";

const f64 = { dtype: "float64" } as const;

afterEach(() => {
  setDetectAnomaly(false);
});

function caught(fn: () => unknown): AnomalyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AnomalyError);
    return e as AnomalyError;
  }
  throw new Error("expected an AnomalyError");
}

describe("detectAnomaly", () => {
  it("is off by default: NaN flows through silently", () => {
    expect(isAnomalyDetectionEnabled()).toBe(false);
    const y = log(tensor([-1, 1], f64));
    expect(Number.isNaN(y.data[0])).toBe(true);
  });

  it("names the first forward op that produced NaN, with shapes", () => {
    const x = tensor([[2, -1, 3]], { ...f64, requiresGrad: true });
    const e = caught(() => detectAnomaly(() => sum(mul(log(x), 2))));
    expect(e.op).toBe("log");
    expect(e.phase).toBe("forward");
    expect(e.message).toBe(
      "log: forward produced NaN at flat index 1 of output float64 [1, 3] from finite inputs " +
        "float64 [1, 3]",
    );
  });

  it("names the op whose backward produced Infinity (sqrt at 0)", () => {
    const x = tensor([4, 0], { ...f64, requiresGrad: true });
    const e = caught(() => detectAnomaly(() => sum(mul(sqrt(x), 3)).backward()));
    expect(e.op).toBe("sqrt");
    expect(e.phase).toBe("backward");
    expect(e.message).toMatch(
      /^sqrt: backward produced Infinity at flat index 1 of the gradient for input 0 /,
    );
    expect(e.message).toMatch(/for input 0 \(float64 \[2\]\) from a finite upstream/
    );
    expect(e.message).toMatch(/from a finite upstream gradient float64 \[2\]$/);
  });

  it("does not blame an op for non-finite inputs it was given", () => {
    const y = log(tensor([-1], f64)); // NaN made outside anomaly mode
    expect(() => detectAnomaly(() => mul(y, 2))).not.toThrow();
  });

  it("restores the previous setting, also after a throw", () => {
    expect(() => detectAnomaly(() => log(tensor([-1], f64)))).toThrow(AnomalyError);
    expect(isAnomalyDetectionEnabled()).toBe(false);
    expect(setDetectAnomaly(true)).toBe(false);
    detectAnomaly(() => undefined);
    expect(isAnomalyDetectionEnabled()).toBe(true);
  });
});
