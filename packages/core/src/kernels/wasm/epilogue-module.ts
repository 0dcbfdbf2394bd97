// Generates the dense layer's epilogues (bias + activation over a block of the product) and the
// backward mask of relu and leakyRelu read off their output.
import { Body, ValType } from "./binary.js";
import {
  F32X4_ADD, F32X4_DEMOTE_F64X2_ZERO, F32X4_GT, F32X4_LE, F32X4_MUL, F32X4_SPLAT, F32_ADD,
  F32_DEMOTE_F64, F32_GT, F32_LE, F64X2_MUL, F64X2_PROMOTE_LOW_F32X4, F64X2_SPLAT, F64_MUL,
  F64_PROMOTE_F32, I32_AND, I32_MUL, I32_SUB, SELECT, V128_BITSELECT, V128_ZERO, addTo, emit,
  f32Const, f32Load, f32Store, forLoop, i32Const, i8x16Shuffle, localGet, localSet, v128Load,
  v128Store,
} from "./instructions.js";
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
export function emitBiasActivation(act: (typeof EPILOGUES)[number], withBias: boolean): Body {
  const code = new Body([i32, i32, i32, i32, ValType.f64, i32]);
  const [c, bias, m, n, slope, ldc] = [0, 1, 2, 3, 4, 5];
  const skip = code.local(i32); // bytes from a row's end to the next row's start
  emit(code, localGet(ldc), localGet(n), i32Const(4), I32_MUL, I32_SUB, localSet(skip));
  const [i, j, b, n4] = code.locals(i32, 4);
  const v = code.local(ValType.f32);
  const [vv, lo, slopes] = code.locals(v128, 3);
  emit(code,
    localGet(slope), F64X2_SPLAT, localSet(slopes),
    localGet(n), i32Const(-4), I32_AND, localSet(n4));
  // slope·v for lanes 0–1 of `x`, rounded to f32 lanes 0–1 (2–3 zero).
  const scaledLow = (x: () => void): void => {
    x();
    emit(code, F64X2_PROMOTE_LOW_F32X4, localGet(slopes), F64X2_MUL, F32X4_DEMOTE_F64X2_ZERO);
  };
  const vector = (): void => {
    emit(code, localGet(c)); // store address
    emit(code, localGet(c), v128Load());
    if (withBias) emit(code, localGet(b), v128Load(), F32X4_ADD);
    emit(code, localSet(vv));
    if (act === "identity") emit(code, localGet(vv));
    else if (act === "relu") {
      // v ≤ 0 ? 0 : v, so NaN stays NaN (as the TypeScript kernel and PyTorch).
      emit(code, V128_ZERO, localGet(vv), localGet(vv), V128_ZERO, F32X4_LE, V128_BITSELECT);
    } else {
      emit(code, localGet(vv));
      scaledLow(() => emit(code, localGet(vv)));
      emit(code, localSet(lo), localGet(lo));
      scaledLow(() => emit(code, localGet(vv), localGet(vv), i8x16Shuffle(SWAP_HALVES)));
      emit(code, i8x16Shuffle(LOW_HALVES), localGet(vv), V128_ZERO, F32X4_GT, V128_BITSELECT);
    }
    emit(code, v128Store());
  };
  const scalar = (): void => {
    emit(code, localGet(c), localGet(c), f32Load());
    if (withBias) emit(code, localGet(b), f32Load(), F32_ADD);
    emit(code, localSet(v));
    if (act === "identity") emit(code, localGet(v));
    else if (act === "relu") {
      emit(code, f32Const(0), localGet(v), localGet(v), f32Const(0), F32_LE, SELECT);
    }
    else {
      emit(code,
        localGet(v),
        localGet(v), F64_PROMOTE_F32, localGet(slope), F64_MUL, F32_DEMOTE_F64,
        localGet(v), f32Const(0), F32_GT, SELECT);
    }
    emit(code, f32Store());
  };
  emit(code, i32Const(0), localSet(i));
  forLoop(code, i, m, 1, () => {
    emit(code, i32Const(0), localSet(j), localGet(bias), localSet(b));
    forLoop(code, j, n4, 4, () => {
      vector();
      emit(code, addTo(c, 16), addTo(b, 16));
    });
    forLoop(code, j, n, 1, () => {
      scalar();
      emit(code, addTo(c, 4), addTo(b, 4));
    });
    emit(code, addTo(c, { local: skip }));
  });
  return code;
}

/**
 * stepMul(dy, y, out, count, s): out[i] = y[i] > 0 ? dy[i] : dy[i]·s, four lanes at a time over
 * ⌈count / 4⌉ vectors (the buffers are padded to 16 bytes; out may be dy). s is f32, as the
 * stored mask. With `nanAsPositive` (relu's mask) a NaN in y passes dy: y ≤ 0 ? dy·s : dy.
 */
export function emitStepMul(nanAsPositive: boolean): Body {
  const code = new Body([i32, i32, i32, i32, ValType.f32]);
  const [dy, y, out, count, s] = [0, 1, 2, 3, 4];
  const [scale, d] = code.locals(v128, 2);
  emit(code, localGet(s), F32X4_SPLAT, localSet(scale));
  forEachVector(code, dy, count, [[dy, 16], [y, 16], [out, 16]], () => {
    emit(code, localGet(dy), v128Load(), localSet(d));
    emit(code, localGet(out)); // store address
    if (nanAsPositive) {
      emit(code,
        localGet(d), localGet(scale), F32X4_MUL, localGet(d),
        localGet(y), v128Load(), V128_ZERO, F32X4_LE, V128_BITSELECT);
    } else {
      emit(code,
        localGet(d), localGet(d), localGet(scale), F32X4_MUL,
        localGet(y), v128Load(), V128_ZERO, F32X4_GT, V128_BITSELECT);
    }
    emit(code, v128Store());
  });
  return code;
}

/** Export name of the epilogue for `act`, with or without a bias. */
export function epilogueName(act: (typeof EPILOGUES)[number], withBias: boolean): string {
  return `biasAct_${act}${withBias ? "_bias" : ""}`;
}
