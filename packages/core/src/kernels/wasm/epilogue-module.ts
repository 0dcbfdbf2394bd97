// Generates the dense layer's epilogues (bias + activation over a block of the product) and the
// backward mask of relu and leakyRelu read off their output.
import { Code, ValType } from "./encoder.js";
import { LOW_HALVES, SWAP_HALVES, forEachVector } from "./vector-loop.js";

const { i32, v128 } = ValType;

/** Epilogues the module exports: `biasAct${Activation}${"Bias" | ""}` by code. */
export const EPILOGUES = ["identity", "relu", "leakyRelu"] as const;

/**
 * (c, bias, m, n, slope, ldc): c[i, j] = act(c[i, j] + bias[j]) in place over m×n with rows
 * ldc bytes apart (a block of a wider matrix), with no bias add when `withBias` is false.
 * Rounded exactly like the TypeScript kernel: the sum in f32, leakyRelu's product slope·v in
 * f64 then rounded to f32. Four columns at a time with a lane mask (v128.bitselect): a scalar
 * select compiles to a branch, which mispredicts on the random signs of a layer's
 * pre-activations. Columns past the last multiple of 4 go one by one.
 */
export function emitBiasActivation(act: (typeof EPILOGUES)[number], withBias: boolean): Code {
  const code = new Code([i32, i32, i32, i32, ValType.f64, i32]);
  const [c, bias, m, n, slope, ldc] = [0, 1, 2, 3, 4, 5];
  const skip = code.local(i32); // bytes from a row's end to the next row's start
  code.get(ldc).get(n).i32(4).i32Mul().i32Sub().set(skip);
  const [i, j, b, n4] = [code.local(i32), code.local(i32), code.local(i32), code.local(i32)];
  const v = code.local(ValType.f32);
  const [vv, lo, slopes] = [code.local(v128), code.local(v128), code.local(v128)];
  code.get(slope).f64x2Splat().set(slopes);
  code.get(n).i32(-4).i32And().set(n4);
  // slope·v for lanes 0–1 of `x`, rounded to f32 lanes 0–1 (2–3 zero).
  const scaledLow = (x: () => void): void => {
    x();
    code.f64x2PromoteLowF32x4().get(slopes).f64x2Mul().f32x4DemoteF64x2Zero();
  };
  const vector = (): void => {
    code.get(c); // store address
    code.get(c).v128Load();
    if (withBias) code.get(b).v128Load().f32x4Add();
    code.set(vv);
    if (act === "identity") code.get(vv);
    else if (act === "relu") {
      // v ≤ 0 ? 0 : v, so NaN stays NaN (as the TypeScript kernel and PyTorch).
      code.v128Zero().get(vv).get(vv).v128Zero().f32x4Le().v128Bitselect();
    } else {
      code.get(vv);
      scaledLow(() => code.get(vv));
      code.set(lo);
      code.get(lo);
      scaledLow(() => code.get(vv).get(vv).i8x16Shuffle(SWAP_HALVES));
      code.i8x16Shuffle(LOW_HALVES);
      code.get(vv).v128Zero().f32x4Gt().v128Bitselect();
    }
    code.v128Store();
  };
  const scalar = (): void => {
    code.get(c);
    code.get(c).f32Load();
    if (withBias) code.get(b).f32Load().f32Add();
    code.set(v);
    if (act === "identity") code.get(v);
    else if (act === "relu") code.f32(0).get(v).get(v).f32(0).f32Le().select();
    else {
      code.get(v);
      code.get(v).f64PromoteF32().get(slope).f64Mul().f32DemoteF64();
      code.get(v).f32(0).f32Gt().select();
    }
    code.f32Store();
  };
  code.i32(0).set(i);
  code.forLoop(i, m, 1, () => {
    code.i32(0).set(j).get(bias).set(b);
    code.forLoop(j, n4, 4, () => {
      vector();
      code.addTo(c, 16);
      code.addTo(b, 16);
    });
    code.forLoop(j, n, 1, () => {
      scalar();
      code.addTo(c, 4);
      code.addTo(b, 4);
    });
    code.addTo(c, { local: skip });
  });
  return code;
}

/**
 * stepMul(dy, y, out, count, s): out[i] = y[i] > 0 ? dy[i] : dy[i]·s, four lanes at a time over
 * ⌈count / 4⌉ vectors (the buffers are padded to 16 bytes; out may be dy). s is f32, as the
 * stored mask. With `nanAsPositive` (relu's mask) a NaN in y passes dy: y ≤ 0 ? dy·s : dy.
 */
export function emitStepMul(nanAsPositive: boolean): Code {
  const code = new Code([i32, i32, i32, i32, ValType.f32]);
  const [dy, y, out, count, s] = [0, 1, 2, 3, 4];
  const [scale, d] = [code.local(v128), code.local(v128)];
  code.get(s).f32x4Splat().set(scale);
  forEachVector(code, dy, count, [[dy, 16], [y, 16], [out, 16]], () => {
    code.get(dy).v128Load().set(d);
    code.get(out); // store address
    if (nanAsPositive) {
      code.get(d).get(scale).f32x4Mul().get(d);
      code.get(y).v128Load().v128Zero().f32x4Le().v128Bitselect();
    } else {
      code.get(d).get(d).get(scale).f32x4Mul();
      code.get(y).v128Load().v128Zero().f32x4Gt().v128Bitselect();
    }
    code.v128Store();
  });
  return code;
}

/** Export name of the epilogue for `act`, with or without a bias. */
export function epilogueName(act: (typeof EPILOGUES)[number], withBias: boolean): string {
  return `biasAct_${act}${withBias ? "_bias" : ""}`;
}
