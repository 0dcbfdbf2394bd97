// Generates the panel-packing function: strided source → W-lane panels, zero-padded at the edge.
import { Body, ValType } from "./binary.js";
import {
  I32_ADD, I32_AND, I32_EQ, I32_GE_S, I32_MUL, I32_SUB, MEMORY_FILL, addTo, emit, f32Load, f32Store,
  f32x4ExtractLane, forLoop, i32Const, i8x16Shuffle, ifElse, localGet, localSet, localTee, v128Load,
  v128Store,
} from "./instructions.js";

const { i32, v128 } = ValType;

// Float lanes [x0 y0 x1 y1], [x2 y2 x3 y3], [x0 x1 y0 y1], [x2 x3 y2 y3] as i8x16 byte lanes.
const bytesOf = (lanes: number[]): number[] =>
  lanes.flatMap((l) => [0, 1, 2, 3].map((b) => 4 * l + b));
const LO = bytesOf([0, 4, 1, 5]);
const HI = bytesOf([2, 6, 3, 7]);
const LO64 = bytesOf([0, 1, 4, 5]);
const HI64 = bytesOf([2, 3, 6, 7]);

/**
 * pack(src, ls, ss, lanes, steps, dst): element (lane l, step p) is read at src + l·ls + p·ss
 * (byte strides) and written to panel ⌊l/W⌋ at [p][l mod W], each panel steps·W floats.
 * Special paths: unit lane stride copies f32x4 vectors (B in NN, A in TN); unit step stride
 * transposes 4×4 blocks (A in NN, B in NT). A partial last panel is zero-filled first.
 */
export function emitPack(w: number): Body {
  const code = new Body([i32, i32, i32, i32, i32, i32]);
  const [src, ls, ss, lanes, steps, dst] = [0, 1, 2, 3, 4, 5];
  const [l0, p, s, q, ii, end] = code.locals(i32, 6);
  const groups = Math.floor(w / 4); // whole f32x4 lane groups; the other w mod 4 lanes are scalar
  const r = code.locals(v128, 4);
  const t = code.locals(v128, 4);

  // One step of a full panel with generic strides: W scalar gathers from s, stores at dst.
  const scalarStep = (): void => {
    emit(code, localGet(s), localSet(q));
    for (let l = 0; l < w; l++) {
      if (l > 0) emit(code, addTo(q, { local: ls }));
      emit(code, localGet(dst), localGet(q), f32Load(), f32Store(4 * l));
    }
    emit(code, addTo(dst, 4 * w), addTo(s, { local: ss }));
  };
  const scalarSteps = (): void => { forLoop(code, p, steps, 1, scalarStep); };

  const copySteps = (): void => {
    forLoop(code, p, steps, 1, () => {
      for (let v = 0; v < groups; v++) {
        emit(code, localGet(dst), localGet(s), v128Load(16 * v), v128Store(16 * v));
      }
      for (let l = 4 * groups; l < w; l++) {
        emit(code, localGet(dst), localGet(s), f32Load(4 * l), f32Store(4 * l));
      }
      emit(code, addTo(dst, 4 * w), addTo(s, { local: ss }));
    });
  };

  // Four steps at once: per 4-lane group, load 4 lanes × 4 steps and transpose to steps × lanes.
  const transposeSteps = (): void => {
    emit(code, localGet(steps), i32Const(-4), I32_AND, localSet(end));
    forLoop(code, p, end, 4, () => {
      for (let g = 0; g < groups; g++) {
        emit(code, localGet(s), localSet(q));
        if (g > 0) {
          emit(code, localGet(q), localGet(ls), i32Const(4 * g), I32_MUL, I32_ADD, localSet(q));
        }
        for (let k = 0; k < 4; k++) {
          if (k > 0) emit(code, addTo(q, { local: ls }));
          emit(code, localGet(q), v128Load(), localSet(r[k]));
        }
        emit(code,
          localGet(r[0]), localGet(r[1]), i8x16Shuffle(LO), localSet(t[0]),
          localGet(r[0]), localGet(r[1]), i8x16Shuffle(HI), localSet(t[1]),
          localGet(r[2]), localGet(r[3]), i8x16Shuffle(LO), localSet(t[2]),
          localGet(r[2]), localGet(r[3]), i8x16Shuffle(HI), localSet(t[3]));
        const out = [[0, 2, LO64], [0, 2, HI64], [1, 3, LO64], [1, 3, HI64]] as const;
        out.forEach(([x, y, lanes], k) => {
          emit(code, localGet(dst), localGet(t[x]), localGet(t[y]), i8x16Shuffle(lanes),
            v128Store(4 * (k * w + 4 * g)));
        });
      }
      // Leftover lanes: load the lane's 4 consecutive steps and scatter them.
      for (let l = 4 * groups; l < w; l++) {
        emit(code, localGet(s), localGet(ls), i32Const(l), I32_MUL, I32_ADD, v128Load(),
          localSet(r[0]));
        for (let k = 0; k < 4; k++) {
          emit(code, localGet(dst), localGet(r[0]), f32x4ExtractLane(k), f32Store(4 * (k * w + l)));
        }
      }
      emit(code, addTo(dst, 16 * w), addTo(s, 16));
    });
    forLoop(code, p, steps, 1, scalarStep);
  };

  const fullPanel = (): void => {
    emit(code, localGet(src), localSet(s), i32Const(0), localSet(p));
    if (groups === 0) { scalarSteps(); return; }
    emit(code, localGet(ls), i32Const(4), I32_EQ);
    ifElse(code, copySteps, () => {
      emit(code, localGet(ss), i32Const(4), I32_EQ);
      ifElse(code, transposeSteps, scalarSteps);
    });
  };

  // Partial panel: zero it, then copy lane by lane.
  const partialPanel = (): void => {
    emit(code,
      localGet(dst), i32Const(0), localGet(steps), i32Const(4 * w), I32_MUL, MEMORY_FILL,
      localGet(src), localSet(s), i32Const(0), localSet(ii));
    forLoop(code, ii, end, 1, () => {
      emit(code,
        localGet(s), localSet(q), localGet(dst), localGet(ii), i32Const(4), I32_MUL, I32_ADD,
        localSet(l0),
        i32Const(0), localSet(p));
      forLoop(code, p, steps, 1, () => {
        emit(code,
          localGet(l0), localGet(q), f32Load(), f32Store(),
          addTo(q, { local: ss }),
          addTo(l0, 4 * w));
      });
      emit(code, addTo(s, { local: ls }));
    });
    emit(code, localGet(dst), localGet(steps), i32Const(4 * w), I32_MUL, I32_ADD, localSet(dst));
  };

  // Loop over panels with src advancing by W lanes; l0 is reused inside partialPanel.
  const panel = code.local(i32);
  emit(code, i32Const(0), localSet(panel));
  forLoop(code, panel, lanes, w, () => {
    emit(code, localGet(lanes), localGet(panel), I32_SUB, localTee(end), i32Const(w), I32_GE_S);
    ifElse(code, fullPanel, partialPanel);
    emit(code, localGet(src), localGet(ls), i32Const(w), I32_MUL, I32_ADD, localSet(src));
  });
  return code;
}
