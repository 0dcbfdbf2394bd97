// Generates batch normalization's float32 kernels (norm.ts's batchNormForward, batchNormBackward
// and batchNormEval) with the TypeScript loops' arithmetic: the float64 statistics summed in
// their order, one chain per channel (chains of neighbouring channels interleaved), and the
// elementwise passes two f64 (or four f32) lanes at a time.
import { Code, type Local, type ModuleBuilder, ValType } from "./encoder.js";
import type { ModuleExtension } from "./extensions.js";
import { LOW_HALVES, SWAP_HALVES } from "./vector-loop.js";

const { i32, f64, v128 } = ValType;

/**
 * The parameter block: eps and count (values per channel) as f64 at bytes 0 and 8, then these
 * i32 words from byte 16: buffers as byte addresses (weight and bias 0 for none; `out` is dx in
 * the backward pass; mean and variance are f64 arrays, but f32 in eval), then the shape.
 */
export const NORM_WORDS = [
  "x", "out", "dy", "weight", "bias", "mean", "variance", "dWeight", "dBias", "batch",
  "channels", "inner",
] as const;
/** Bytes of the parameter block. */
export const NORM_BLOCK_BYTES = 16 + 4 * NORM_WORDS.length;
/** Channels whose sums one call interleaves: the forward's and the backward's chains. */
export const FORWARD_GROUP = 4;
export const BACKWARD_GROUP = 2;

type Words = Record<(typeof NORM_WORDS)[number], Local> & { eps: Local; count: Local };

function readWords(code: Code, block: Local): Words {
  const words = {} as Record<string, Local>;
  NORM_WORDS.forEach((name, i) => {
    words[name] = code.local(i32);
    code.get(block).i32Load(16 + 4 * i).set(words[name]);
  });
  for (const [name, at] of [["eps", 0], ["count", 8]] as const) {
    words[name] = code.local(f64);
    code.get(block).f64Load(at).set(words[name]);
  }
  return words as Words;
}

/**
 * For n < batch: `row` = the byte offset of channel c's values of sample n, `end` = row + inner·4,
 * then `body`.
 */
function eachSample(code: Code, w: Words, c: Local, row: Local, end: Local, body: () => void) {
  const n = code.local(i32);
  code.i32(0).set(n);
  code.forLoop(n, w.batch, 1, () => {
    code.get(n).get(w.channels).i32Mul().get(c).i32Add().get(w.inner).i32Mul().i32(4).i32Mul()
      .set(row);
    code.get(row).get(w.inner).i32(4).i32Mul().i32Add().set(end);
    body();
  });
}

/**
 * Over one sample's values of `group` channels from c (byte offsets `row` to `end` of the first):
 * `step(g, at)` with the address of channel c + g's value in `base`'s array on the stack pushed
 * by `at()`, one value at a time in order.
 */
function eachValue(
  code: Code, w: Words, row: Local, end: Local, group: number,
  step: (g: number, at: (base: Local) => void) => void,
): void {
  const i = code.local(i32);
  // Channel g's values sit g·inner·4 bytes after channel c's.
  const offsets = Array.from({ length: group }, (_, g) => {
    const off = code.local(i32);
    code.get(w.inner).i32(4 * g).i32Mul().set(off);
    return off;
  });
  code.get(row).set(i);
  code.forLoop(i, end, 4, () => {
    for (let g = 0; g < group; g++) {
      step(g, (base) => { code.get(base).get(i).i32Add().get(offsets[g]).i32Add(); });
    }
  });
}

/**
 * An elementwise pass over one sample's values at byte offsets row to end: `vector(at)` per four
 * values (`at` pushes an address in a given array), `scalar(at)` for the last inner % 4.
 */
function eachVector(
  code: Code, w: Words, row: Local, end: Local, vector: (at: (base: Local) => void) => void,
  scalar: (at: (base: Local) => void) => void,
): void {
  const [i, vEnd] = [code.local(i32), code.local(i32)];
  const at = (base: Local): void => { code.get(base).get(i).i32Add(); };
  code.get(row).set(i);
  code.get(row).get(w.inner).i32(-4).i32And().i32(4).i32Mul().i32Add().set(vEnd);
  code.forLoop(i, vEnd, 16, () => vector(at));
  code.forLoop(i, end, 4, () => scalar(at));
}

/** Sets `into` to f64(ptr[c]) of an f32 array, or to `none` where ptr is 0 (no weight, bias). */
function optional(code: Code, ptr: Local, c: Local, none: number, into: Local): void {
  code.f64(none).set(into);
  code.get(ptr).if(() => {
    code.get(ptr).get(c).i32(4).i32Mul().i32Add().f32Load().f64PromoteF32().set(into);
  });
}

/**
 * The four f32 values in `load` as two f64x2 halves through `f` (which maps the f64x2 on the
 * stack), rounded back to f32x4 and stored at the address `to` pushes.
 */
function perHalf(code: Code, load: Local, to: () => void, f: () => void): void {
  to();
  code.get(load).f64x2PromoteLowF32x4();
  f();
  code.f32x4DemoteF64x2Zero();
  code.get(load).get(load).i8x16Shuffle(SWAP_HALVES).f64x2PromoteLowF32x4();
  f();
  code.f32x4DemoteF64x2Zero().i8x16Shuffle(LOW_HALVES).v128Store();
}

/**
 * batchNormForward for channels c ≤ … < c + group (block, c): per channel μ = Σx / count and
 * σ² = Σ(x − μ)² / count in f64, summed in norm.ts's order (the channels' chains interleaved),
 * written to mean and variance; then out = (x − μ)·(γ/√(σ² + eps)) + β rounded once.
 */
function emitForwardGroup(group: number): Code {
  const code = new Code([i32, i32]);
  const [block, c] = [0, 1];
  const w = readWords(code, block);
  const [row, end, ch] = [code.local(i32), code.local(i32), code.local(i32)];
  const sums = Array.from({ length: group }, () => code.local(f64));
  const mus = Array.from({ length: group }, () => code.local(f64));
  const d = code.local(f64);
  const stat = (g: number, ptr: Local): void => {
    code.get(ptr).get(c).i32(g).i32Add().i32(8).i32Mul().i32Add();
  };
  sums.forEach((s) => code.f64(0).set(s));
  eachSample(code, w, c, row, end, () => eachValue(code, w, row, end, group, (g, at) => {
    code.get(sums[g]);
    at(w.x);
    code.f32Load().f64PromoteF32().f64Add().set(sums[g]);
  }));
  sums.forEach((s, g) => {
    code.get(s).get(w.count).f64Div().set(mus[g]);
    stat(g, w.mean);
    code.get(mus[g]).f64Store();
    code.f64(0).set(s);
  });
  eachSample(code, w, c, row, end, () => eachValue(code, w, row, end, group, (g, at) => {
    at(w.x);
    code.f32Load().f64PromoteF32().get(mus[g]).f64Sub().set(d);
    code.get(sums[g]).get(d).get(d).f64Mul().f64Add().set(sums[g]);
  }));
  const [scale, shift, mv, sv, hv, load] = [code.local(f64), code.local(f64), code.local(v128),
    code.local(v128), code.local(v128), code.local(v128)];
  sums.forEach((s, g) => {
    stat(g, w.variance);
    code.get(s).get(w.count).f64Div().f64Store();
    code.get(c).i32(g).i32Add().set(ch);
    optional(code, w.weight, ch, 1, scale);
    stat(g, w.variance);
    code.f64Load().get(w.eps).f64Add().f64Sqrt().set(d);
    code.get(scale).get(d).f64Div().f64x2Splat().set(sv);
    optional(code, w.bias, ch, 0, shift);
    code.get(shift).f64x2Splat().set(hv);
    code.get(mus[g]).f64x2Splat().set(mv);
    const normalize = (value: () => void, simd: boolean): void => {
      value();
      if (simd) code.get(mv).f64x2Sub().get(sv).f64x2Mul().get(hv).f64x2Add();
      else code.get(mus[g]).f64Sub().get(d).f64Mul().get(shift).f64Add();
    };
    code.get(scale).get(d).f64Div().set(d); // the scalar tail's scale
    eachSample(code, w, ch, row, end, () => eachVector(code, w, row, end, (at) => {
      at(w.x);
      code.v128Load().set(load);
      perHalf(code, load, () => at(w.out), () => normalize(() => {}, true));
    }, (at) => {
      at(w.out);
      normalize(() => { at(w.x); code.f32Load().f64PromoteF32(); }, false);
      code.f32DemoteF64().f32Store();
    }));
  });
  return code;
}

/**
 * batchNormBackward for channels c ≤ … < c + group (block, c), with μ and σ² from the
 * forward pass (f64): Σdy and Σ(dy·(x − μ))·invStd in f64 in norm.ts's order (rounded into
 * dBias and dWeight), then dx = k·((dy − Σdy/count) − ((x − μ)·invStd)·(Σdy·x̂/count)).
 */
function emitBackwardGroup(group: number): Code {
  const code = new Code([i32, i32]);
  const [block, c] = [0, 1];
  const w = readWords(code, block);
  const [row, end, ch] = [code.local(i32), code.local(i32), code.local(i32)];
  const local = (): Local[] => Array.from({ length: group }, () => code.local(f64));
  const [sumDy, sumXhat, mus, inv] = [local(), local(), local(), local()];
  const [dyv, k] = [code.local(f64), code.local(f64)];
  for (let g = 0; g < group; g++) {
    code.get(w.mean).get(c).i32(g).i32Add().i32(8).i32Mul().i32Add().f64Load().set(mus[g]);
    code.f64(1).get(w.variance).get(c).i32(g).i32Add().i32(8).i32Mul().i32Add().f64Load()
      .get(w.eps).f64Add().f64Sqrt().f64Div().set(inv[g]);
    code.f64(0).set(sumDy[g]).f64(0).set(sumXhat[g]);
  }
  eachSample(code, w, c, row, end, () => eachValue(code, w, row, end, group, (g, at) => {
    at(w.dy);
    code.f32Load().f64PromoteF32().set(dyv);
    code.get(sumDy[g]).get(dyv).f64Add().set(sumDy[g]);
    code.get(sumXhat[g]).get(dyv);
    at(w.x);
    code.f32Load().f64PromoteF32().get(mus[g]).f64Sub().f64Mul().get(inv[g]).f64Mul().f64Add()
      .set(sumXhat[g]);
  }));
  const [meanDy, meanXhat] = [code.local(f64), code.local(f64)];
  const v = Array.from({ length: 5 }, () => code.local(v128));
  const [kv, mdv, mxv, muv, iv] = v;
  const [xl, dl] = [code.local(v128), code.local(v128)];
  for (let g = 0; g < group; g++) {
    code.get(c).i32(g).i32Add().set(ch);
    for (const [ptr, sum] of [[w.dBias, sumDy[g]], [w.dWeight, sumXhat[g]]] as const) {
      code.get(ptr).get(ch).i32(4).i32Mul().i32Add().get(sum).f32DemoteF64().f32Store();
    }
    optional(code, w.weight, ch, 1, k);
    code.get(k).get(inv[g]).f64Mul().set(k);
    code.get(sumDy[g]).get(w.count).f64Div().set(meanDy);
    code.get(sumXhat[g]).get(w.count).f64Div().set(meanXhat);
    for (const [vec, s] of [[kv, k], [mdv, meanDy], [mxv, meanXhat], [muv, mus[g]],
      [iv, inv[g]]] as const) code.get(s).f64x2Splat().set(vec);
    // dx from dy and x, which `dyValue` and `xValue` push: f64x2 lanes (simd) or one f64.
    const dx = (simd: boolean, dyValue: () => void, xValue: () => void): void => {
      const [sub, mul] = simd
        ? [() => code.f64x2Sub(), () => code.f64x2Mul()]
        : [() => code.f64Sub(), () => code.f64Mul()];
      code.get(simd ? kv : k);
      dyValue();
      code.get(simd ? mdv : meanDy);
      sub();
      xValue();
      code.get(simd ? muv : mus[g]);
      sub();
      code.get(simd ? iv : inv[g]);
      mul();
      code.get(simd ? mxv : meanXhat);
      mul();
      sub();
      mul();
    };
    eachSample(code, w, ch, row, end, () => eachVector(code, w, row, end, (at) => {
      at(w.x);
      code.v128Load().set(xl);
      at(w.dy);
      code.v128Load().set(dl);
      at(w.out);
      dx(true, () => code.get(dl).f64x2PromoteLowF32x4(),
        () => code.get(xl).f64x2PromoteLowF32x4());
      code.f32x4DemoteF64x2Zero();
      dx(true, () => code.get(dl).get(dl).i8x16Shuffle(SWAP_HALVES).f64x2PromoteLowF32x4(),
        () => code.get(xl).get(xl).i8x16Shuffle(SWAP_HALVES).f64x2PromoteLowF32x4());
      code.f32x4DemoteF64x2Zero().i8x16Shuffle(LOW_HALVES).v128Store();
    }, (at) => {
      at(w.out);
      dx(false, () => { at(w.dy); code.f32Load().f64PromoteF32(); },
        () => { at(w.x); code.f32Load().f64PromoteF32(); });
      code.f32DemoteF64().f32Store();
    }));
  }
  return code;
}

/**
 * batchNormEval for channel c (block, c), mean and variance f32: out = ((x − μ) / s)·γ + β in
 * f32, s = √(σ² + f32(eps)) rounded to f32: the TypeScript kernel's roundings (each of its
 * steps stored to float32 is the f32 operation). No weight multiplies by 1 and no bias adds
 * −0, which leave every value (±0 included) as it is.
 */
function emitEval(): Code {
  const code = new Code([i32, i32]);
  const [block, c] = [0, 1];
  const w = readWords(code, block);
  const [row, end] = [code.local(i32), code.local(i32)];
  const { f32 } = ValType;
  const [mu, s, gamma, beta] = Array.from({ length: 4 }, () => code.local(f32));
  const [muv, sv, gv, bv] = Array.from({ length: 4 }, () => code.local(v128));
  const at4 = (ptr: Local): void => { code.get(ptr).get(c).i32(4).i32Mul().i32Add(); };
  at4(w.mean);
  code.f32Load().set(mu);
  at4(w.variance);
  code.f32Load().get(w.eps).f32DemoteF64().f32Add().f32Sqrt().set(s);
  code.f32(1).set(gamma).f32(-0).set(beta);
  code.get(w.weight).if(() => { at4(w.weight); code.f32Load().set(gamma); });
  code.get(w.bias).if(() => { at4(w.bias); code.f32Load().set(beta); });
  for (const [vec, value] of [[muv, mu], [sv, s], [gv, gamma], [bv, beta]] as const) {
    code.get(value).f32x4Splat().set(vec);
  }
  eachSample(code, w, c, row, end, () => eachVector(code, w, row, end, (at) => {
    at(w.out);
    at(w.x);
    code.v128Load().get(muv).f32x4Sub().get(sv).f32x4Div().get(gv).f32x4Mul().get(bv).f32x4Add()
      .v128Store();
  }, (at) => {
    at(w.out);
    at(w.x);
    code.f32Load().get(mu).f32Sub().get(s).f32Div().get(gamma).f32Mul().get(beta).f32Add()
      .f32Store();
  }));
  return code;
}

/** A driver (block, c0, c1): channels c0 ≤ c < c1, `group` at a time by `many`, then by `one`. */
function emitDriver(group: number, many: number, one: number): Code {
  const code = new Code([i32, i32, i32]);
  const [block, c0, c1] = [0, 1, 2];
  code.block(() => code.loop(() => {
    code.get(c0).i32(group).i32Add().get(c1).i32GtS().brIf(1);
    code.get(block).get(c0).call(many);
    code.addTo(c0, group).br(0);
  }));
  code.forLoop(c0, c1, 1, () => { code.get(block).get(c0).call(one); });
  return code;
}

/** Names of the exported drivers the thread pool's call slices run: (block, c0, c1). */
export const NORM_EXPORTS = ["batchNormForward", "batchNormBackward", "batchNormEval"] as const;

/** Adds the batch-norm kernels to `module`. */
export function addNormFunctions(module: ModuleBuilder): void {
  const forward = [1, FORWARD_GROUP].map((g) =>
    module.add(emitForwardGroup(g), undefined, `batchNormForward${g}`));
  const backward = [1, BACKWARD_GROUP].map((g) =>
    module.add(emitBackwardGroup(g), undefined, `batchNormBackward${g}`));
  const evaluate = module.add(emitEval(), undefined, "batchNormEval1");
  module.add(emitDriver(FORWARD_GROUP, forward[1], forward[0]), "batchNormForward");
  module.add(emitDriver(BACKWARD_GROUP, backward[1], backward[0]), "batchNormBackward");
  module.add(emitDriver(1, evaluate, evaluate), "batchNormEval");
}

/** The batch-norm kernels as a module extension (extensions.ts): see `installWasmNorm`. */
export const normExtension: ModuleExtension = {
  name: "norm", calls: NORM_EXPORTS, add: (module) => addNormFunctions(module),
};
