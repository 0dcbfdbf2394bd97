// Generates the panel-packing function: strided source → W-lane panels, zero-padded at the edge.
import { Code, ValType } from "./encoder.js";

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
export function emitPack(w: number): Code {
  const code = new Code([i32, i32, i32, i32, i32, i32]);
  const [src, ls, ss, lanes, steps, dst] = [0, 1, 2, 3, 4, 5];
  const [l0, p, s, q, ii, end] = [0, 1, 2, 3, 4, 5].map(() => code.local(i32));
  const groups = Math.floor(w / 4); // whole f32x4 lane groups; the other w mod 4 lanes are scalar
  const r = [0, 1, 2, 3].map(() => code.local(v128));
  const t = [0, 1, 2, 3].map(() => code.local(v128));

  // One step of a full panel with generic strides: W scalar gathers from s, stores at dst.
  const scalarStep = (): void => {
    code.get(s).set(q);
    for (let l = 0; l < w; l++) {
      if (l > 0) code.addTo(q, { local: ls });
      code.get(dst).get(q).f32Load().f32Store(4 * l);
    }
    code.addTo(dst, 4 * w);
    code.addTo(s, { local: ss });
  };
  const scalarSteps = (): void => { code.forLoop(p, steps, 1, scalarStep); };

  const copySteps = (): void => {
    code.forLoop(p, steps, 1, () => {
      for (let v = 0; v < groups; v++) code.get(dst).get(s).v128Load(16 * v).v128Store(16 * v);
      for (let l = 4 * groups; l < w; l++) code.get(dst).get(s).f32Load(4 * l).f32Store(4 * l);
      code.addTo(dst, 4 * w);
      code.addTo(s, { local: ss });
    });
  };

  // Four steps at once: per 4-lane group, load 4 lanes × 4 steps and transpose to steps × lanes.
  const transposeSteps = (): void => {
    code.get(steps).i32(-4).i32And().set(end);
    code.forLoop(p, end, 4, () => {
      for (let g = 0; g < groups; g++) {
        code.get(s).set(q);
        if (g > 0) code.get(q).get(ls).i32(4 * g).i32Mul().i32Add().set(q);
        for (let k = 0; k < 4; k++) {
          if (k > 0) code.addTo(q, { local: ls });
          code.get(q).v128Load().set(r[k]);
        }
        code.get(r[0]).get(r[1]).i8x16Shuffle(LO).set(t[0]);
        code.get(r[0]).get(r[1]).i8x16Shuffle(HI).set(t[1]);
        code.get(r[2]).get(r[3]).i8x16Shuffle(LO).set(t[2]);
        code.get(r[2]).get(r[3]).i8x16Shuffle(HI).set(t[3]);
        const out = [[0, 2, LO64], [0, 2, HI64], [1, 3, LO64], [1, 3, HI64]] as const;
        out.forEach(([x, y, lanes], k) => {
          code.get(dst).get(t[x]).get(t[y]).i8x16Shuffle(lanes).v128Store(4 * (k * w + 4 * g));
        });
      }
      // Leftover lanes: load the lane's 4 consecutive steps and scatter them.
      for (let l = 4 * groups; l < w; l++) {
        code.get(s).get(ls).i32(l).i32Mul().i32Add().v128Load().set(r[0]);
        for (let k = 0; k < 4; k++) {
          code.get(dst).get(r[0]).f32x4ExtractLane(k).f32Store(4 * (k * w + l));
        }
      }
      code.addTo(dst, 16 * w);
      code.addTo(s, 16);
    });
    code.forLoop(p, steps, 1, scalarStep);
  };

  const fullPanel = (): void => {
    code.get(src).set(s).i32(0).set(p);
    if (groups === 0) { scalarSteps(); return; }
    code.get(ls).i32(4).i32Eq().if(copySteps, () => {
      code.get(ss).i32(4).i32Eq().if(transposeSteps, scalarSteps);
    });
  };

  // Partial panel: zero it, then copy lane by lane.
  const partialPanel = (): void => {
    code.get(dst).i32(0).get(steps).i32(4 * w).i32Mul().memoryFill();
    code.get(src).set(s).i32(0).set(ii);
    code.forLoop(ii, end, 1, () => {
      code.get(s).set(q).get(dst).get(ii).i32(4).i32Mul().i32Add().set(l0);
      code.i32(0).set(p);
      code.forLoop(p, steps, 1, () => {
        code.get(l0).get(q).f32Load().f32Store();
        code.addTo(q, { local: ss });
        code.addTo(l0, 4 * w);
      });
      code.addTo(s, { local: ls });
    });
    code.get(dst).get(steps).i32(4 * w).i32Mul().i32Add().set(dst);
  };

  // Loop over panels with src advancing by W lanes; l0 is reused inside partialPanel.
  const panel = code.local(i32);
  code.i32(0).set(panel);
  code.forLoop(panel, lanes, w, () => {
    code.get(lanes).get(panel).i32Sub().tee(end).i32(w).i32GeS().if(fullPanel, partialPanel);
    code.get(src).get(ls).i32(w).i32Mul().i32Add().set(src);
  });
  return code;
}
