// How threaded work is cut: slice 0's share (shareCuts) and the share learned from timings.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Balance, shareCuts } from "./balance.js";

describe("shareCuts", () => {
  it("cuts 100 rows in tiles of 5 with 30 % for the caller", () => {
    expect(shareCuts(100, 2, 0.3, 5)).toEqual([0, 30, 100]);
    expect(shareCuts(100, 3, 0.3, 5)).toEqual([0, 30, 65, 100]);
  });

  it("gives slice 0 at least one unit, and empty slices when units run out", () => {
    expect(shareCuts(12, 2, 0.01, 4)).toEqual([0, 4, 12]);
    expect(shareCuts(3, 3, 0.5, 4)).toEqual([0, 3, 3, 3]);
    expect(shareCuts(7, 1, 0.5, 4)).toEqual([0, 7]);
  });

  it("covers [0, length] in order with whole units, slice 0 near its share", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 8 }),
      fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.integer({ min: 1, max: 16 }),
      (length, parts, share, unit) => {
        const cuts = shareCuts(length, parts, share, unit);
        expect(cuts).toHaveLength(parts + 1);
        expect(cuts[0]).toBe(0);
        expect(cuts[parts]).toBe(length);
        for (let t = 0; t < parts; t++) {
          expect(cuts[t + 1]).toBeGreaterThanOrEqual(cuts[t]);
          if (cuts[t + 1] < length) expect(cuts[t + 1] % unit).toBe(0);
        }
        const units = Math.ceil(length / unit);
        if (parts > 1 && units > 1) {
          expect(Math.abs(Math.ceil(cuts[1] / unit) - units * share)).toBeLessThanOrEqual(1);
        }
      },
    ));
  });
});

describe("Balance", () => {
  it("starts with equal shares", () => {
    expect(new Balance(2).share()).toBe(0.5);
    expect(new Balance(4).share()).toBe(0.25);
  });

  it("moves work to the caller when a helper is twice as slow", () => {
    const balance = new Balance(2);
    // Each thread does its share at its own speed: the caller 1 unit/ms, the helper 0.5.
    for (let round = 0; round < 60; round++) {
      const share = balance.share();
      balance.learn(share, share / 1, (1 - share) / 0.5);
    }
    expect(balance.share()).toBeCloseTo(2 / 3, 3);
  });

  it("moves work to helpers that are faster, and caps the ratio at 5", () => {
    const balance = new Balance(3);
    for (let round = 0; round < 80; round++) balance.learn(balance.share(), 1, 1e-6);
    expect(balance.share()).toBeCloseTo(1 / 11, 3);
  });

  it("ignores rounds without timings, and keeps a fixed share", () => {
    const balance = new Balance(2);
    balance.learn(0.5, 0, 1);
    balance.learn(0.5, 1, NaN);
    balance.learn(1, 1, 1);
    expect(balance.share()).toBe(0.5);
    const fixed = new Balance(2, 0.8);
    fixed.learn(0.8, 1, 100);
    expect(fixed.share()).toBe(0.8);
  });
});
