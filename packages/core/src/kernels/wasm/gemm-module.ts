// Generates the blocked matrix product: an MR×NR f32x4 micro-kernel (dense, and sparse over
// compacted A panels), edge tiles, the block loop and the whole gemm with its packing.
import { Code, ValType } from "./encoder.js";
import type { Local } from "./encoder.js";
import type { KernelConfig } from "./kernel-module.js";
import { COMPACT_HEADER, compactStep } from "./sparse-module.js";

const { i32, v128 } = ValType;

/** Function indices of the micro-kernels by row count (dense, and sparse when skipping zeros). */
export interface Kernels {
  dense: number[];
  sparse: number[];
}

/** Function indices the gemm calls. */
export interface GemmFunctions {
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
export function emitMicro(cfg: KernelConfig, rows = cfg.mr, sparse = false): Code {
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
export function emitEdge(cfg: KernelConfig): Code {
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
export function emitBlock(cfg: KernelConfig, micro: Kernels, edge: number): Code {
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
export function emitGemm(cfg: KernelConfig, f: GemmFunctions): Code {
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

/** Pushes min(total - done, limit), using `scratch`. */
function minConst(code: Code, total: Local, done: Local, limit: number, scratch: Local): void {
  code.get(total).get(done).i32Sub().tee(scratch);
  code.i32(limit).get(scratch).i32(limit).i32LtS().select();
}
