// The seeded generator: reference outputs, determinism, state round trips, shuffle and int.
import { describe, expect, it } from "vitest";
import { DEFAULT_SEED, Rng, defaultRng, manualSeed } from "./random.js";
import type { RngState } from "./random.js";

/** n draws of `draw` from rng. */
function take<T>(rng: Rng, n: number, draw: (r: Rng) => T): T[] {
  return Array.from({ length: n }, () => draw(rng));
}

describe("Rng", () => {
  it("is xoshiro128**: the reference outputs from state [1, 2, 3, 4]", () => {
    // Worked by hand from the reference C code: the first output is rotl(2·5, 7)·9 = 11520,
    // and the state updates give 0, then rotl(1029·5, 7)·9 and rotl(12295·5, 7)·9.
    const rng = new Rng(0);
    rng.setState({ s: [1, 2, 3, 4], spareNormal: null });
    expect(take(rng, 4, (r) => r.nextUint32())).toEqual([11520, 0, 5927040, 70819200]);
  });

  it("next() builds a 53-bit fraction from two words: (hi >>> 5)·2^26 + (lo >>> 6)", () => {
    const rng = new Rng(0);
    rng.setState({ s: [1, 2, 3, 4], spareNormal: null });
    expect(rng.next()).toBe((11520 >>> 5) / 2 ** 27); // lo = 0 >>> 6 = 0
  });

  it("the same seed gives the same stream; different seeds differ", () => {
    const draw = (seed: number) => take(new Rng(seed), 20, (r) => r.next());
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(0)).not.toEqual(draw(1));
    // Seeds that differ only above 32 bits still give different streams.
    expect(draw(2 ** 40)).not.toEqual(draw(0));
  });

  it("seed 0 gives a working generator (not stuck at zero)", () => {
    const words = take(new Rng(0), 10, (r) => r.nextUint32());
    expect(new Set(words).size).toBe(10);
  });

  it("next() is in [0, 1) and uniform(low, high) in [low, high)", () => {
    const rng = new Rng(5);
    const xs = take(rng, 10_000, (r) => r.next());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.015); // std error 0.29/√n ≈ 0.003
    const us = take(rng, 1000, (r) => r.uniform(-2, 3));
    expect(us.every((u) => u >= -2 && u < 3)).toBe(true);
  });

  it("normal() is Box–Muller on two uniforms, and caches the second deviate", () => {
    const uniforms = new Rng(9);
    const u = uniforms.next();
    const v = uniforms.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = new Rng(9);
    expect(a.normal()).toBe(r * Math.cos(2 * Math.PI * v));
    expect(a.normal()).toBe(r * Math.sin(2 * Math.PI * v)); // from the cache: draws nothing
    expect(a.next()).toBe(uniforms.next());
  });

  it("rejects a seed that is not a safe integer", () => {
    expect(() => new Rng(1.5)).toThrow(RangeError);
    expect(() => new Rng(1.5)).toThrow("Rng: seed must be a safe integer; got 1.5");
    expect(() => new Rng(NaN)).toThrow(/Rng: seed must be a safe integer; got NaN/);
    expect(() => new Rng(2 ** 60)).toThrow(/Rng: seed/);
  });
});

describe("getState and setState", () => {
  it("a snapshot restored continues the identical stream, on the same or another Rng", () => {
    const rng = new Rng(123);
    take(rng, 7, (r) => r.next());
    rng.normal(); // leaves a cached deviate, which the state must carry
    const state = rng.getState();
    expect(state.spareNormal).not.toBeNull();
    const mixed = (r: Rng) => [r.normal(), r.next(), r.nextUint32(), r.int(10), r.normal()];
    const expected = mixed(rng);
    rng.setState(state);
    expect(mixed(rng)).toEqual(expected);
    const other = new Rng(999);
    other.setState(state);
    expect(mixed(other)).toEqual(expected);
  });

  it("the state is plain data that survives a JSON round trip", () => {
    const rng = new Rng(77);
    take(rng, 3, (r) => r.normal());
    const state = JSON.parse(JSON.stringify(rng.getState())) as RngState;
    const copy = new Rng(0);
    copy.setState(state);
    expect(take(copy, 5, (r) => r.normal())).toEqual(take(rng, 5, (r) => r.normal()));
    expect(state.s.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)).toBe(true);
  });

  it("clone() copies the state; the copies then advance independently", () => {
    const rng = new Rng(8);
    rng.next();
    const copy = rng.clone();
    expect(take(copy, 5, (r) => r.next())).toEqual(take(rng, 5, (r) => r.next()));
    copy.next();
    expect(copy.getState()).not.toEqual(rng.getState());
  });

  it("rejects something that is not an RngState", () => {
    const rng = new Rng(1);
    const bad = [
      null, {}, { s: [1, 2, 3], spareNormal: null }, { s: [1, 2, 3, -1], spareNormal: null },
      { s: [1, 2, 3, 2 ** 32], spareNormal: null }, { s: [1, 2, 3, 4], spareNormal: "x" },
    ];
    for (const state of bad) {
      expect(() => rng.setState(state as never)).toThrow(TypeError);
      expect(() => rng.setState(state as never)).toThrow(/Rng.setState: not an RngState; got/);
    }
  });
});

describe("shuffle and int", () => {
  it("shuffle returns the same array holding a permutation of it", () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const shuffled = new Rng(3).shuffle(items);
    expect(shuffled).toBe(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(shuffled).not.toEqual(Array.from({ length: 100 }, (_, i) => i)); // P = 1/100!
  });

  it("shuffle is deterministic for a seed and works on typed arrays", () => {
    const a = new Rng(6).shuffle(Float64Array.from({ length: 20 }, (_, i) => i));
    const b = new Rng(6).shuffle(Float64Array.from({ length: 20 }, (_, i) => i));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Rng(1).shuffle([])).toEqual([]);
    expect(new Rng(1).shuffle(["only"])).toEqual(["only"]);
  });

  it("shuffle reaches every ordering of three items", () => {
    const seen = new Set<string>();
    const rng = new Rng(10);
    for (let i = 0; i < 200; i++) seen.add(rng.shuffle([1, 2, 3]).join(""));
    expect([...seen].sort()).toEqual(["123", "132", "213", "231", "312", "321"]);
  });

  it("int(n) gives integers in [0, n), each value reached", () => {
    const rng = new Rng(21);
    const xs = take(rng, 7000, (r) => r.int(7));
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x < 7)).toBe(true);
    const counts = Array.from({ length: 7 }, (_, v) => xs.filter((x) => x === v).length);
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150); // ~5σ (σ ≈ 29)
    expect(take(rng, 20, (r) => r.int(1))).toEqual(new Array(20).fill(0));
    const big = take(rng, 100, (r) => r.int(2 ** 32));
    expect(big.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
  });

  it("int rejects n outside the integers [1, 2^32]", () => {
    const rng = new Rng(0);
    for (const n of [0, -1, 1.5, NaN, 2 ** 32 + 1]) {
      expect(() => rng.int(n)).toThrow(RangeError);
    }
    expect(() => rng.int(0)).toThrow("Rng.int: n must be an integer in [1, 2^32]; got 0");
  });
});

describe("Rng.uniform defaults and the process-wide generator", () => {
  it("uniform() is [0, 1): the same value as next() from the same state", () => {
    const a = new Rng(11);
    const b = new Rng(11);
    expect(take(a, 5, (r) => r.uniform())).toEqual(take(b, 5, (r) => r.next()));
  });

  it("uniform refuses bounds it cannot draw from", () => {
    expect(() => new Rng(1).uniform(3, 1)).toThrow(
      "Rng.uniform: low and high must be finite with low ≤ high; got 3, 1",
    );
    expect(() => new Rng(1).uniform(0, Infinity)).toThrow(/got 0, Infinity/);
  });

  it("defaultRng starts from DEFAULT_SEED; manualSeed restarts it", () => {
    manualSeed(DEFAULT_SEED);
    expect(take(defaultRng(), 4, (r) => r.nextUint32()))
      .toEqual(take(new Rng(DEFAULT_SEED), 4, (r) => r.nextUint32()));
    const seeded = manualSeed(7);
    expect(defaultRng()).toBe(seeded);
    expect(defaultRng().next()).toBe(new Rng(7).next());
    expect(defaultRng().next()).not.toBe(new Rng(7).next()); // it advanced: shared state
  });
});

