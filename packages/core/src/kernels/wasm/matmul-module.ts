// Generates the WebAssembly matmul module: panel packing, an MR×NR f32x4 micro-kernel, macro loops.
import { Code, ModuleBuilder, ValType } from "./encoder.js";
import type { Local } from "./encoder.js";
import {
  emitBceLogits, emitBceLogitsGrad, emitSigmoid, emitSoftplus,
} from "./activation-module.js";
import { LOW_HALVES, SWAP_HALVES, forEachVector } from "./vector-loop.js";
import { emitPack } from "./pack-module.js";
import { COMPACT_HEADER, compactStep, emitCompact, emitFinite } from "./sparse-module.js";
import { addConvFunctions } from "./conv-module.js";

const { i32, v128 } = ValType;

/** Shape of the generated kernel. NR = 4·vectors columns; the k loop is unrolled `unroll` times. */
export interface KernelConfig {
  mr: number;
  vectors: number;
  unroll: number;
  /** Use f32x4.relaxed_madd instead of f32x4.mul + f32x4.add. */
  fma: boolean;
  /**
   * Broadcast each A value once per row into a local ("row"), or reload it for every product
   * ("each"): one more load but one register fewer, which avoids a spill in the 6×8 tile.
   */
  splat: "row" | "each";
  /** Import a shared memory (needs the threads feature) instead of a plain one. */
  shared: boolean;
  /** Skip the steps of A panels whose values are all zero (sparse-module.ts); same results. */
  skipZeros: boolean;
}

/** Exported functions, all taking byte addresses and byte strides into the imported memory. */
export interface MatmulExports {
  /** The epilogues, by `epilogueName`: (c, bias, m, n, slope, ldc). */
  readonly [epilogue: string]: unknown;
  /** Packs A(i, p) = src[i·ls + p·ss] for i < lanes, p < steps into MR-row panels at dst. */
  packA(src: number, ls: number, ss: number, lanes: number, steps: number, dst: number): void;
  /** Packs B(p, j) = src[j·ls + p·ss] for j < lanes, p < steps into NR-column panels at dst. */
  packB(src: number, ls: number, ss: number, lanes: number, steps: number, dst: number): void;
  /**
   * c[mc, nc] (row stride ldc bytes) = or += packed A @ packed B; tmp holds one edge tile;
   * compact (or 0) the compacted A panels.
   */
  block(
    pa: number, pb: number, c: number, ldc: number,
    mc: number, nc: number, kc: number, accumulate: number, tmp: number, compact: number,
  ): void;
  /** See `emitCompact` and `emitFinite` in sparse-module.ts. */
  compact(pa: number, kc: number, panels: number, dst: number): void;
  finite(x: number, count: number): number;
  /** The whole blocked product; see `emitGemm`. */
  gemm(
    a: number, ars: number, acs: number, b: number, brs: number, bcs: number,
    c: number, ldc: number, m: number, n: number, k: number,
    kcb: number, mcb: number, ncb: number, pa: number, pb: number, tmp: number,
  ): void;
  /** out = y > 0 ? dy : dy·s over ⌈count / 4⌉ vectors; see `emitStepMul`. */
  stepMul(dy: number, y: number, out: number, count: number, s: number): void;
  /** w −= lr·g in place over ⌈count / 4⌉ vectors; see `emitDescend`. */
  descend(w: number, g: number, count: number, lr: number): void;
  /** One Adam step in place; see `emitAdam`. */
  adamW(w: number, g: number, m: number, v: number, count: number, ...h: number[]): void;
  adamL2(w: number, g: number, m: number, v: number, count: number, ...h: number[]): void;
  /** out = softplus(x) / sigmoid(x) over ⌈count / 4⌉ f32 vectors; see activation-module.ts. */
  softplus(x: number, out: number, count: number): void;
  sigmoid(x: number, out: number, count: number): void;
  /** out = softplus(x) − t·x and (sigmoid(x) − t)·dy; see activation-module.ts. */
  bceLogits(x: number, t: number, out: number, count: number): void;
  bceLogitsGrad(x: number, t: number, dy: number, out: number, count: number): void;
  /** Row gather with memory.copy; see `emitGatherRows`. */
  gatherRows(src: number, rowBytes: number, index: number, count: number, dst: number): void;
  /** out[j] = Σ_i x[i, j]; see `emitColumnSum`. */
  colSum(x: number, out: number, rows: number, cols: number): void;
}

/** Function indices of the micro-kernels by row count (dense, and sparse when skipping zeros). */
interface Kernels {
  dense: number[];
  sparse: number[];
}

/** Function indices the gemm calls. */
interface GemmFunctions {
  block: number;
  packA: number;
  packB: number;
  compact: number;
  finite: number;
}

/**
 * micro(pa, pb, c, ldc, kc, accumulate): the top `rows` rows of one MR×NR tile of c, stored or
 * added. rows < MR gives the bottom-edge kernels, which skip the zero padding of the A panel.
 * The `sparse` kernel reads a compacted A panel instead (see sparse-module.ts): kc of its steps,
 * each MR values and the byte offset of its row in the packed B panel.
 */
function emitMicro(cfg: KernelConfig, rows = cfg.mr, sparse = false): Code {
  const { mr, vectors: nv } = cfg;
  const unroll = sparse ? 1 : cfg.unroll;
  const nr = 4 * nv;
  const stride = 4 * (sparse ? mr + 1 : mr); // bytes per step of the A panel
  const code = new Code([i32, i32, i32, i32, i32, i32]);
  const [pa, pb, c, ldc, kc, accumulate] = [0, 1, 2, 3, 4, 5];
  const acc: Local[][] = [];
  for (let i = 0; i < rows; i++) acc.push(Array.from({ length: nv }, () => code.local(v128)));
  const bv = Array.from({ length: nv }, () => code.local(v128));
  const av = code.local(v128);
  const row = code.local(i32);
  const endMain = code.local(i32);
  const endAll = code.local(i32);
  const bp = sparse ? code.local(i32) : pb; // this step's B row

  const forRows = (body: (i: number) => void): void => {
    code.get(c).set(row);
    for (let i = 0; i < rows; i++) {
      if (i > 0) code.addTo(row, { local: ldc });
      body(i);
    }
  };
  code.get(accumulate).if(
    () => forRows((i) => {
      for (let j = 0; j < nv; j++) code.get(row).v128Load(16 * j).set(acc[i][j]);
    }),
    () => {
      code.v128Zero().set(acc[0][0]);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < nv; j++) if (i + j > 0) code.get(acc[0][0]).set(acc[i][j]);
      }
    },
  );

  const step = (s: number): void => {
    if (sparse) code.get(pb).get(pa).i32Load(4 * mr).i32Add().set(bp);
    for (let j = 0; j < nv; j++) code.get(bp).v128Load(4 * (s * nr + 4 * j)).set(bv[j]);
    for (let i = 0; i < rows; i++) {
      const aOffset = s * stride + 4 * i;
      if (cfg.splat === "row") code.get(pa).v128Load32Splat(aOffset).set(av);
      const pushA = (): void => {
        if (cfg.splat === "row") code.get(av); else code.get(pa).v128Load32Splat(aOffset);
      };
      for (let j = 0; j < nv; j++) {
        if (cfg.fma) {
          pushA();
          code.get(bv[j]).get(acc[i][j]).f32x4RelaxedMadd().set(acc[i][j]);
        } else {
          code.get(acc[i][j]);
          pushA();
          code.get(bv[j]).f32x4Mul().f32x4Add().set(acc[i][j]);
        }
      }
    }
  };
  // endAll = pa + kc·stride; endMain stops before the kc mod unroll leftover steps.
  code.get(pa).get(kc).i32(stride).i32Mul().i32Add().set(endAll);
  code.get(endAll).get(kc).i32(unroll - 1).i32And().i32(stride).i32Mul().i32Sub().set(endMain);
  const loopUntil = (end: Local, steps: number): void => {
    code.block(() => code.loop(() => {
      code.get(pa).get(end).i32GeU().brIf(1); // unsigned: addresses may pass 2 GiB
      for (let s = 0; s < steps; s++) step(s);
      code.addTo(pa, stride * steps);
      if (!sparse) code.addTo(pb, 4 * nr * steps);
      code.br(0);
    }));
  };
  loopUntil(endMain, unroll);
  if (unroll > 1) loopUntil(endAll, 1);

  forRows((i) => {
    for (let j = 0; j < nv; j++) code.get(row).get(acc[i][j]).v128Store(16 * j);
  });
  return code;
}

/** edge(tmp, c, ldc, mr, nr, accumulate): copies or adds the top-left mr×nr of tmp into c. */
function emitEdge(cfg: KernelConfig): Code {
  const nr = 4 * cfg.vectors;
  const code = new Code([i32, i32, i32, i32, i32, i32]);
  const [tmp, c, ldc, mr, nc, accumulate] = [0, 1, 2, 3, 4, 5];
  const [ii, jj, src, dst] = [code.local(i32), code.local(i32), code.local(i32), code.local(i32)];
  code.i32(0).set(ii);
  code.forLoop(ii, mr, 1, () => {
    code.get(tmp).set(src).get(c).set(dst).i32(0).set(jj);
    code.forLoop(jj, nc, 1, () => {
      // dst = tmp + (accumulate ? dst : 0); select keeps the stack-typed if-free form.
      code.get(dst).get(src).f32Load();
      code.get(dst).f32Load().f32(0).get(accumulate).select().f32Add().f32Store();
      code.addTo(src, 4);
      code.addTo(dst, 4);
    });
    code.addTo(tmp, 4 * nr);
    code.addTo(c, { local: ldc });
  });
  return code;
}

/**
 * Compacted panels with at most this share of their steps go to the sparse micro-kernel: it
 * loads each step's B offset, and the B rows it skips to are not the next in line.
 */
const SPARSE_SHARE = 7 / 8;

/** Replaces a step count on the stack with whether it is sparse enough (≤ SPARSE_SHARE·kc). */
function sparseEnough(code: Code, kc: Local): void {
  code.i32(8).i32Mul().get(kc).i32(Math.round(8 * SPARSE_SHARE)).i32Mul().i32LeS();
}

/**
 * block(pa, pb, c, ldc, mc, nc, kc, accumulate, tmp, compact): loops NR-column panels (outer)
 * and MR-row panels (inner) over the micro-kernel. With compact ≠ 0 (zero skipping), compact
 * holds the A panels as `emitCompact` wrote them, and sparse enough ones run from there.
 */
function emitBlock(cfg: KernelConfig, micro: Kernels, edge: number): Code {
  const { mr } = cfg;
  const nr = 4 * cfg.vectors;
  const code = new Code([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [pa, pb, c, ldc, mc, nc, kc, accumulate, tmp, compact] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [jr, ir, paP, cT, left] = [0, 1, 2, 3, 4].map(() => code.local(i32));
  const [paStride, pbStride, ldcMr] = [0, 1, 2].map(() => code.local(i32));
  const [cp, cpStride, steps] = [0, 1, 2].map(() => code.local(i32));
  code.get(kc).i32(4 * mr).i32Mul().set(paStride);
  code.get(kc).i32(4 * nr).i32Mul().set(pbStride);
  code.get(ldc).i32(mr).i32Mul().set(ldcMr);
  code.get(kc).i32(compactStep(mr)).i32Mul().i32(COMPACT_HEADER).i32Add().set(cpStride);
  // The tile's micro-kernel for `rows` rows: sparse when `steps` ≥ 0, else dense.
  const run = (rows: number, target: () => void, accumulates: () => void): void => {
    const dense = (): void => {
      code.get(paP).get(pb);
      target();
      code.get(kc);
      accumulates();
      code.call(micro.dense[rows]);
    };
    if (!cfg.skipZeros) { dense(); return; }
    code.get(steps).i32(0).i32GeS().if(() => {
      code.get(cp).i32(COMPACT_HEADER).i32Add().get(pb);
      target();
      code.get(steps);
      accumulates();
      code.call(micro.sparse[rows]);
    }, dense);
  };
  code.i32(0).set(jr);
  code.forLoop(jr, nc, nr, () => {
    code.i32(0).set(ir).get(pa).set(paP).get(c).set(cT).get(compact).set(cp);
    code.forLoop(ir, mc, mr, () => {
      if (cfg.skipZeros) {
        // steps = the compacted panel's step count if sparse enough, else −1.
        code.i32(-1).set(steps);
        code.get(compact).if(() => {
          code.get(cp).i32Load().tee(left);
          sparseEnough(code, kc);
          code.if(() => code.get(left).set(steps));
        });
      }
      code.get(mc).get(ir).i32Sub().i32(mr).i32GeS();
      code.get(nc).get(jr).i32Sub().i32(nr).i32GeS();
      code.i32And();
      const direct = (rows: number): void => {
        run(rows, () => code.get(cT).get(ldc), () => code.get(accumulate));
      };
      // Bottom edge at full width: the kernel for the remaining rows writes c directly.
      const bottom = (rows: number): void => {
        if (rows === 1) { direct(1); return; }
        code.get(left).i32(rows).i32Eq().if(() => direct(rows), () => bottom(rows - 1));
      };
      const viaTmp = (): void => {
        run(mr, () => code.get(tmp).i32(4 * nr), () => code.i32(0));
        code.get(tmp).get(cT).get(ldc);
        minConst(code, mc, ir, mr, left);
        minConst(code, nc, jr, nr, left);
        code.get(accumulate).call(edge);
      };
      code.if(() => direct(mr), () => {
        if (mr === 1) { viaTmp(); return; }
        code.get(nc).get(jr).i32Sub().i32(nr).i32GeS().if(() => {
          code.get(mc).get(ir).i32Sub().set(left);
          bottom(mr - 1);
        }, viaTmp);
      });
      code.addTo(paP, { local: paStride });
      code.addTo(cT, { local: ldcMr });
      code.addTo(cp, { local: cpStride });
    });
    code.addTo(pb, { local: pbStride });
    code.addTo(c, 4 * nr);
  });
  return code;
}

/**
 * gemm(a, ars, acs, b, brs, bcs, c, ldc, m, n, k, kcb, mcb, ncb, pa, pb, tmp): the whole
 * c = A @ B with A(i, p) at a + i·ars + p·acs and B(p, j) at b + p·brs + j·bcs, blocked into
 * kcb × ncb packed B blocks (at pb) and mcb × kcb packed A blocks (at pa), one call per thread.
 * tmp holds an edge tile, then (zero skipping) the compacted A panels.
 */
function emitGemm(cfg: KernelConfig, f: GemmFunctions): Code {
  const { mr } = cfg;
  const nr = 4 * cfg.vectors;
  const code = new Code(new Array<ValType>(17).fill(i32));
  const [a, ars, acs, b, brs, bcs, c, ldc, m, n, k, kcb, mcb, ncb, pa, pb, tmp] =
    Array.from({ length: 17 }, (_, x) => x);
  const [jc, pc, ic, nc, kc, mc] = [0, 1, 2, 3, 4, 5].map(() => code.local(i32));
  // bFinite: 0 until the packed B block is checked, then 1 (finite) or 2 (not: no skipping).
  const [compact, bFinite, first] = [code.local(i32), code.local(i32), code.local(i32)];
  const min = (x: Local, total: Local, done: Local, limit: Local): void => {
    code.get(total).get(done).i32Sub().tee(x).get(limit).get(x).get(limit).i32LtS().select()
      .set(x);
  };
  // base + x·stride + y·stride2, left on the stack
  const address = (base: Local, x: Local, sx: Local, y: Local, sy: Local): void => {
    code.get(base).get(x).get(sx).i32Mul().i32Add().get(y).get(sy).i32Mul().i32Add();
  };
  // ⌈x / unit⌉, left on the stack
  const tiles = (x: Local, unit: number): void => {
    code.get(x).i32(unit - 1).i32Add().i32(unit).i32DivU();
  };
  // Compacts the first A panel; if it is sparse enough and B is finite, the others too.
  // Dense operands thus pay for one panel per block.
  const skipZeros = (): void => {
    code.i32(0).set(compact);
    code.get(bFinite).i32(2).i32Ne().if(() => {
      code.get(tmp).i32(4 * mr * nr).i32Add().set(first);
      code.get(pa).get(kc).i32(1).get(first).call(f.compact);
      code.get(first).i32Load();
      sparseEnough(code, kc);
      code.if(() => {
        code.get(bFinite).i32Eqz().if(() => {
          code.get(pb).get(kc);
          tiles(nc, nr);
          code.i32Mul().i32(nr).i32Mul().call(f.finite).i32(2).i32(1).select().set(bFinite);
        });
        code.get(bFinite).i32(1).i32Eq().if(() => {
          code.get(first).set(compact);
          code.get(pa).get(kc).i32(4 * mr).i32Mul().i32Add().get(kc);
          tiles(mc, mr);
          code.i32(1).i32Sub();
          code.get(first).get(kc).i32(compactStep(mr)).i32Mul().i32(COMPACT_HEADER).i32Add()
            .i32Add().call(f.compact);
        });
      });
    });
  };
  code.i32(0).set(jc);
  code.forLoop(jc, n, { local: ncb }, () => {
    min(nc, n, jc, ncb);
    code.i32(0).set(pc);
    code.forLoop(pc, k, { local: kcb }, () => {
      min(kc, k, pc, kcb);
      address(b, pc, brs, jc, bcs);
      code.get(bcs).get(brs).get(nc).get(kc).get(pb).call(f.packB);
      code.i32(0).set(bFinite);
      code.i32(0).set(ic);
      code.forLoop(ic, m, { local: mcb }, () => {
        min(mc, m, ic, mcb);
        address(a, ic, ars, pc, acs);
        code.get(ars).get(acs).get(mc).get(kc).get(pa).call(f.packA);
        if (cfg.skipZeros) skipZeros();
        code.get(pa).get(pb);
        code.get(c).get(ic).get(ldc).i32Mul().i32Add().get(jc).i32(4).i32Mul().i32Add();
        code.get(ldc).get(mc).get(nc).get(kc).get(pc).i32(0).i32Ne().get(tmp).get(compact)
          .call(f.block);
      });
    });
  });
  return code;
}

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
function emitBiasActivation(act: (typeof EPILOGUES)[number], withBias: boolean): Code {
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
    else {
      code.get(vv);
      if (act === "relu") code.v128Zero();
      else {
        scaledLow(() => code.get(vv));
        code.set(lo);
        code.get(lo);
        scaledLow(() => code.get(vv).get(vv).i8x16Shuffle(SWAP_HALVES));
        code.i8x16Shuffle(LOW_HALVES);
      }
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
    else {
      code.get(v);
      if (act === "relu") code.f32(0);
      else code.get(v).f64PromoteF32().get(slope).f64Mul().f32DemoteF64();
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
 * stored mask.
 */
function emitStepMul(): Code {
  const code = new Code([i32, i32, i32, i32, ValType.f32]);
  const [dy, y, out, count, s] = [0, 1, 2, 3, 4];
  const [scale, d] = [code.local(v128), code.local(v128)];
  code.get(s).f32x4Splat().set(scale);
  forEachVector(code, dy, count, [[dy, 16], [y, 16], [out, 16]], () => {
    code.get(dy).v128Load().set(d);
    code.get(out); // store address
    code.get(d).get(d).get(scale).f32x4Mul();
    code.get(y).v128Load().v128Zero().f32x4Gt().v128Bitselect();
    code.v128Store();
  });
  return code;
}

/**
 * colSum(x, out, rows, cols): out[j] = Σ_i x[i, j] over row-major rows×cols, rows in order and
 * rounded to f32 after every addition, four columns at a time (so exactly the TypeScript
 * reduce kernel's values). `out` is overwritten.
 */
function emitColumnSum(): Code {
  const code = new Code([i32, i32, i32, i32]);
  const [x, out, rows, cols] = [0, 1, 2, 3];
  const [i, j, o, cols4] = [code.local(i32), code.local(i32), code.local(i32), code.local(i32)];
  code.get(out).i32(0).get(cols).i32(4).i32Mul().memoryFill();
  code.get(cols).i32(-4).i32And().set(cols4);
  code.i32(0).set(i);
  code.forLoop(i, rows, 1, () => {
    code.i32(0).set(j).get(out).set(o);
    code.forLoop(j, cols4, 4, () => {
      code.get(o).get(o).v128Load().get(x).v128Load().f32x4Add().v128Store();
      code.addTo(o, 16);
      code.addTo(x, 16);
    });
    code.forLoop(j, cols, 1, () => {
      code.get(o).get(o).f32Load().get(x).f32Load().f32Add().f32Store();
      code.addTo(o, 4);
      code.addTo(x, 4);
    });
  });
  return code;
}

/**
 * descend(w, g, count, lr): w[i] = f32(f64(w[i]) − lr·f64(g[i])) in place, so exactly the
 * TypeScript update; two f64 lanes per half of each f32x4, over ⌈count / 4⌉ vectors (the
 * buffers are padded to 16 bytes).
 */
function emitDescend(): Code {
  const code = new Code([i32, i32, i32, ValType.f64]);
  const [w, g, count, lr] = [0, 1, 2, 3];
  const [rate, wv, gv] = [code.local(v128), code.local(v128), code.local(v128)];
  // w − lr·g for lanes 0–1 of the vectors `wv` and `gv` (or of their high halves).
  const half = (upper: boolean): void => {
    code.get(wv);
    if (upper) code.get(wv).i8x16Shuffle(SWAP_HALVES);
    code.f64x2PromoteLowF32x4();
    code.get(gv);
    if (upper) code.get(gv).i8x16Shuffle(SWAP_HALVES);
    code.f64x2PromoteLowF32x4().get(rate).f64x2Mul().f64x2Sub().f32x4DemoteF64x2Zero();
  };
  code.get(lr).f64x2Splat().set(rate);
  forEachVector(code, w, count, [[w, 16], [g, 16]], () => {
    code.get(w).v128Load().set(wv);
    code.get(g).v128Load().set(gv);
    code.get(w); // store address
    half(false);
    half(true);
    code.i8x16Shuffle(LOW_HALVES);
    code.v128Store();
  });
  return code;
}

/**
 * adamW / adamL2(w, g, m, v, count, lr, b1, 1−b1, b2, 1−b2, c1, c2, eps, k): the TypeScript
 * `adam` kernel's operations in f64 and in its order, two lanes at a time, over ⌈count / 4⌉
 * f32 vectors of w and g (padded to 16 bytes) and f64 moments m and v (padded to 32 bytes).
 * k is lr·weightDecay for AdamW (x −= k·x), weightDecay for Adam (d += k·x).
 */
function emitAdam(decoupled: boolean): Code {
  const f64 = ValType.f64;
  const code = new Code([i32, i32, i32, i32, i32, f64, f64, f64, f64, f64, f64, f64, f64, f64]);
  const [w, g, m, v, count] = [0, 1, 2, 3, 4];
  const scalars = [5, 6, 7, 8, 9, 10, 11, 12, 13];
  const splats = scalars.map((p) => {
    const local = code.local(v128);
    code.get(p).f64x2Splat().set(local);
    return local;
  });
  const [lr, b1, ob1, b2, ob2, c1, c2, eps, k] = splats;
  const [wv, gv, x, d, mv, vv, lo] = Array.from({ length: 7 }, () => code.local(v128));
  // The update of lanes 0–1 (or 2–3) of wv, gv, with the moments at offset `at` of m and v.
  const half = (upper: boolean, at: number): void => {
    code.get(wv);
    if (upper) code.get(wv).i8x16Shuffle(SWAP_HALVES);
    code.f64x2PromoteLowF32x4().set(x);
    code.get(gv);
    if (upper) code.get(gv).i8x16Shuffle(SWAP_HALVES);
    code.f64x2PromoteLowF32x4().set(d);
    if (decoupled) code.get(x).get(k).get(x).f64x2Mul().f64x2Sub().set(x);
    else code.get(d).get(k).get(x).f64x2Mul().f64x2Add().set(d);
    code.get(m).get(b1).get(m).v128Load(at).f64x2Mul().get(ob1).get(d).f64x2Mul().f64x2Add()
      .tee(mv).v128Store(at);
    code.get(v).get(b2).get(v).v128Load(at).f64x2Mul()
      .get(ob2).get(d).f64x2Mul().get(d).f64x2Mul().f64x2Add().tee(vv).v128Store(at);
    code.get(x);
    code.get(lr).get(mv).get(c1).f64x2Div().f64x2Mul();
    code.get(vv).get(c2).f64x2Div().f64x2Sqrt().get(eps).f64x2Add();
    code.f64x2Div().f64x2Sub().f32x4DemoteF64x2Zero();
  };
  forEachVector(code, w, count, [[w, 16], [g, 16], [m, 32], [v, 32]], () => {
    code.get(w).v128Load().set(wv);
    code.get(g).v128Load().set(gv);
    half(false, 0);
    code.set(lo);
    code.get(w); // store address
    code.get(lo);
    half(true, 16);
    code.i8x16Shuffle(LOW_HALVES);
    code.v128Store();
  });
  return code;
}

/**
 * gatherRows(src, rowBytes, index, count, dst): dst row r = src row index[r] for r < count,
 * rows of rowBytes bytes and index an i32 array, one memory.copy per row.
 */
function emitGatherRows(): Code {
  const code = new Code([i32, i32, i32, i32, i32]);
  const [src, rowBytes, index, count, dst] = [0, 1, 2, 3, 4];
  const r = code.local(i32);
  code.i32(0).set(r);
  code.forLoop(r, count, 1, () => {
    code.get(dst).get(src).get(index).i32Load().get(rowBytes).i32Mul().i32Add().get(rowBytes)
      .memoryCopy();
    code.addTo(dst, { local: rowBytes });
    code.addTo(index, 4);
  });
  return code;
}

/** Pushes min(total - done, limit), using `scratch`. */
function minConst(code: Code, total: Local, done: Local, limit: number, scratch: Local): void {
  code.get(total).get(done).i32Sub().tee(scratch);
  code.i32(limit).get(scratch).i32(limit).i32LtS().select();
}

/** Export name of the epilogue for `act`, with or without a bias. */
export function epilogueName(act: (typeof EPILOGUES)[number], withBias: boolean): string {
  return `biasAct_${act}${withBias ? "_bias" : ""}`;
}

/** The complete module bytes for `cfg`. */
export function matmulModuleBytes(cfg: KernelConfig): Uint8Array {
  const module = new ModuleBuilder({
    module: "env", name: "memory", initial: 1, maximum: 65536, shared: cfg.shared,
  });
  const kernels = (sparse: boolean): number[] => Array.from({ length: cfg.mr + 1 }, (_, rows) =>
    rows === 0 || (sparse && !cfg.skipZeros) ? -1 : module.add(emitMicro(cfg, rows, sparse)));
  const micro = { dense: kernels(false), sparse: kernels(true) };
  const edge = module.add(emitEdge(cfg));
  module.add(emitGemm(cfg, {
    block: module.add(emitBlock(cfg, micro, edge), "block"),
    packA: module.add(emitPack(cfg.mr), "packA"),
    packB: module.add(emitPack(4 * cfg.vectors), "packB"),
    compact: module.add(emitCompact(cfg.mr, 4 * cfg.vectors), "compact"),
    finite: module.add(emitFinite(), "finite"),
  }), "gemm");
  module.add(emitStepMul(), "stepMul");
  module.add(emitColumnSum(), "colSum");
  module.add(emitDescend(), "descend");
  module.add(emitAdam(true), "adamW");
  module.add(emitAdam(false), "adamL2");
  module.add(emitGatherRows(), "gatherRows");
  module.add(emitSoftplus(), "softplus");
  module.add(emitSigmoid(), "sigmoid");
  module.add(emitBceLogits(), "bceLogits");
  module.add(emitBceLogitsGrad(), "bceLogitsGrad");
  for (const act of EPILOGUES) {
    for (const withBias of [false, true]) {
      module.add(emitBiasActivation(act, withBias), epilogueName(act, withBias));
    }
  }
  addConvFunctions(module, cfg.fma);
  return module.encode();
}
