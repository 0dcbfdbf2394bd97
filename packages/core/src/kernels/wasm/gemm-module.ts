// Generates the blocked matrix product: an MR×NR f32x4 micro-kernel (dense, and sparse over
// compacted A panels), edge tiles, the block loop and the whole gemm with its packing.
import { Body, type Local, ValType } from "./binary.js";
import {
  F32X4_ADD, F32X4_MUL, F32X4_RELAXED_MADD, F32_ADD, I32_ADD, I32_AND, I32_DIV_U, I32_EQ, I32_EQZ,
  I32_GE_S, I32_GE_U, I32_LE_S, I32_LT_S, I32_MUL, I32_NE, I32_SUB, SELECT, V128_ZERO, addTo, block,
  br, brIf, call, emit, f32Const, f32Load, f32Store, forLoop, i32Const, i32Load, ifElse, localGet,
  localSet, localTee, loop, v128Load, v128Load32Splat, v128Store,
} from "./instructions.js";
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
export function emitMicro(cfg: KernelConfig, rows = cfg.mr, sparse = false): Body {
  const { mr, vectors: nv } = cfg;
  const unroll = sparse ? 1 : cfg.unroll;
  const nr = 4 * nv;
  const stride = 4 * (sparse ? mr + 1 : mr); // bytes per step of the A panel
  const code = new Body([i32, i32, i32, i32, i32, i32]);
  const [pa, pb, c, ldc, kc, accumulate] = [0, 1, 2, 3, 4, 5];
  const acc: Local[][] = [];
  for (let i = 0; i < rows; i++) acc.push(code.locals(v128, nv));
  const bv = code.locals(v128, nv);
  const av = code.local(v128);
  const [row, endMain, endAll] = code.locals(i32, 3);
  const bp = sparse ? code.local(i32) : pb; // this step's B row

  const forRows = (body: (i: number) => void): void => {
    emit(code, localGet(c), localSet(row));
    for (let i = 0; i < rows; i++) {
      if (i > 0) emit(code, addTo(row, { local: ldc }));
      body(i);
    }
  };
  emit(code, localGet(accumulate));
  ifElse(code, () => forRows((i) => {
      for (let j = 0; j < nv; j++) emit(code, localGet(row), v128Load(16 * j), localSet(acc[i][j]));
    }), () => {
      emit(code, V128_ZERO, localSet(acc[0][0]));
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < nv; j++) {
          if (i + j > 0) emit(code, localGet(acc[0][0]), localSet(acc[i][j]));
        }
      }
    });

  const step = (s: number): void => {
    if (sparse) emit(code, localGet(pb), localGet(pa), i32Load(4 * mr), I32_ADD, localSet(bp));
    for (let j = 0; j < nv; j++) {
      emit(code, localGet(bp), v128Load(4 * (s * nr + 4 * j)), localSet(bv[j]));
    }
    for (let i = 0; i < rows; i++) {
      const aOffset = s * stride + 4 * i;
      if (cfg.splat === "row") emit(code, localGet(pa), v128Load32Splat(aOffset), localSet(av));
      const pushA = (): void => {
        if (cfg.splat === "row") emit(code, localGet(av));
        else emit(code, localGet(pa), v128Load32Splat(aOffset));
      };
      for (let j = 0; j < nv; j++) {
        if (cfg.fma) {
          pushA();
          emit(code, localGet(bv[j]), localGet(acc[i][j]), F32X4_RELAXED_MADD, localSet(acc[i][j]));
        } else {
          emit(code, localGet(acc[i][j]));
          pushA();
          emit(code, localGet(bv[j]), F32X4_MUL, F32X4_ADD, localSet(acc[i][j]));
        }
      }
    }
  };
  // endAll = pa + kc·stride; endMain stops before the kc mod unroll leftover steps.
  emit(code,
    localGet(pa), localGet(kc), i32Const(stride), I32_MUL, I32_ADD, localSet(endAll),
    localGet(endAll), localGet(kc), i32Const(unroll - 1), I32_AND, i32Const(stride), I32_MUL,
    I32_SUB, localSet(endMain));
  const loopUntil = (end: Local, steps: number): void => {
    block(code, () => loop(code, () => {
      // unsigned: addresses may pass 2 GiB
      emit(code, localGet(pa), localGet(end), I32_GE_U, brIf(1));
      for (let s = 0; s < steps; s++) step(s);
      emit(code, addTo(pa, stride * steps));
      if (!sparse) emit(code, addTo(pb, 4 * nr * steps));
      emit(code, br(0));
    }));
  };
  loopUntil(endMain, unroll);
  if (unroll > 1) loopUntil(endAll, 1);

  forRows((i) => {
    for (let j = 0; j < nv; j++) emit(code, localGet(row), localGet(acc[i][j]), v128Store(16 * j));
  });
  return code;
}

/** edge(tmp, c, ldc, mr, nr, accumulate): copies or adds the top-left mr×nr of tmp into c. */
export function emitEdge(cfg: KernelConfig): Body {
  const nr = 4 * cfg.vectors;
  const code = new Body([i32, i32, i32, i32, i32, i32]);
  const [tmp, c, ldc, mr, nc, accumulate] = [0, 1, 2, 3, 4, 5];
  const [ii, jj, src, dst] = code.locals(i32, 4);
  emit(code, i32Const(0), localSet(ii));
  forLoop(code, ii, mr, 1, () => {
    emit(code, localGet(tmp), localSet(src), localGet(c), localSet(dst), i32Const(0), localSet(jj));
    forLoop(code, jj, nc, 1, () => {
      // dst = tmp + (accumulate ? dst : 0); select keeps the stack-typed if-free form.
      emit(code,
        localGet(dst), localGet(src), f32Load(),
        localGet(dst), f32Load(), f32Const(0), localGet(accumulate), SELECT, F32_ADD, f32Store(),
        addTo(src, 4),
        addTo(dst, 4));
    });
    emit(code, addTo(tmp, 4 * nr), addTo(c, { local: ldc }));
  });
  return code;
}

/**
 * Compacted panels with at most this share of their steps go to the sparse micro-kernel: it
 * loads each step's B offset, and the B rows it skips to are not the next in line.
 */
const SPARSE_SHARE = 7 / 8;

/** Replaces a step count on the stack with whether it is sparse enough (≤ SPARSE_SHARE·kc). */
function sparseEnough(code: Body, kc: Local): void {
  emit(code, i32Const(8), I32_MUL, localGet(kc), i32Const(Math.round(8 * SPARSE_SHARE)), I32_MUL,
    I32_LE_S);
}

/**
 * block(pa, pb, c, ldc, mc, nc, kc, accumulate, tmp, compact): loops NR-column panels (outer)
 * and MR-row panels (inner) over the micro-kernel. With compact ≠ 0 (zero skipping), compact
 * holds the A panels as `emitCompact` wrote them, and sparse enough ones run from there.
 */
export function emitBlock(cfg: KernelConfig, micro: Kernels, edge: number): Body {
  const { mr } = cfg;
  const nr = 4 * cfg.vectors;
  const code = new Body([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [pa, pb, c, ldc, mc, nc, kc, accumulate, tmp, compact] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [jr, ir, paP, cT, left] = code.locals(i32, 5);
  const [paStride, pbStride, ldcMr] = code.locals(i32, 3);
  const [cp, cpStride, steps] = code.locals(i32, 3);
  emit(code,
    localGet(kc), i32Const(4 * mr), I32_MUL, localSet(paStride),
    localGet(kc), i32Const(4 * nr), I32_MUL, localSet(pbStride),
    localGet(ldc), i32Const(mr), I32_MUL, localSet(ldcMr),
    localGet(kc), i32Const(compactStep(mr)), I32_MUL, i32Const(COMPACT_HEADER), I32_ADD,
    localSet(cpStride));
  // The tile's micro-kernel for `rows` rows: sparse when `steps` ≥ 0, else dense.
  const run = (rows: number, target: () => void, accumulates: () => void): void => {
    const dense = (): void => {
      emit(code, localGet(paP), localGet(pb));
      target();
      emit(code, localGet(kc));
      accumulates();
      emit(code, call(micro.dense[rows]));
    };
    if (!cfg.skipZeros) { dense(); return; }
    emit(code, localGet(steps), i32Const(0), I32_GE_S);
    ifElse(code, () => {
      emit(code, localGet(cp), i32Const(COMPACT_HEADER), I32_ADD, localGet(pb));
      target();
      emit(code, localGet(steps));
      accumulates();
      emit(code, call(micro.sparse[rows]));
    }, dense);
  };
  emit(code, i32Const(0), localSet(jr));
  forLoop(code, jr, nc, nr, () => {
    emit(code, i32Const(0), localSet(ir), localGet(pa), localSet(paP), localGet(c), localSet(cT),
      localGet(compact), localSet(cp));
    forLoop(code, ir, mc, mr, () => {
      if (cfg.skipZeros) {
        // steps = the compacted panel's step count if sparse enough, else −1.
        emit(code, i32Const(-1), localSet(steps), localGet(compact));
        ifElse(code, () => {
          emit(code, localGet(cp), i32Load(), localTee(left));
          sparseEnough(code, kc);
          ifElse(code, () => emit(code, localGet(left), localSet(steps)));
        });
      }
      emit(code,
        localGet(mc), localGet(ir), I32_SUB, i32Const(mr), I32_GE_S,
        localGet(nc), localGet(jr), I32_SUB, i32Const(nr), I32_GE_S,
        I32_AND);
      const direct = (rows: number): void => {
        run(rows, () => emit(code, localGet(cT), localGet(ldc)),
          () => emit(code, localGet(accumulate)));
      };
      // Bottom edge at full width: the kernel for the remaining rows writes c directly.
      const bottom = (rows: number): void => {
        if (rows === 1) { direct(1); return; }
        emit(code, localGet(left), i32Const(rows), I32_EQ);
        ifElse(code, () => direct(rows), () => bottom(rows - 1));
      };
      const viaTmp = (): void => {
        run(mr, () => emit(code, localGet(tmp), i32Const(4 * nr)), () => emit(code, i32Const(0)));
        emit(code, localGet(tmp), localGet(cT), localGet(ldc));
        minConst(code, mc, ir, mr, left);
        minConst(code, nc, jr, nr, left);
        emit(code, localGet(accumulate), call(edge));
      };
      ifElse(code, () => direct(mr), () => {
        if (mr === 1) { viaTmp(); return; }
        emit(code, localGet(nc), localGet(jr), I32_SUB, i32Const(nr), I32_GE_S);
        ifElse(code, () => {
          emit(code, localGet(mc), localGet(ir), I32_SUB, localSet(left));
          bottom(mr - 1);
        }, viaTmp);
      });
      emit(code,
        addTo(paP, { local: paStride }),
        addTo(cT, { local: ldcMr }),
        addTo(cp, { local: cpStride }));
    });
    emit(code, addTo(pb, { local: pbStride }), addTo(c, 4 * nr));
  });
  return code;
}

/**
 * gemm(a, ars, acs, b, brs, bcs, c, ldc, m, n, k, kcb, mcb, ncb, pa, pb, tmp): the whole
 * c = A @ B with A(i, p) at a + i·ars + p·acs and B(p, j) at b + p·brs + j·bcs, blocked into
 * kcb × ncb packed B blocks (at pb) and mcb × kcb packed A blocks (at pa), one call per thread.
 * tmp holds an edge tile, then (zero skipping) the compacted A panels.
 */
export function emitGemm(cfg: KernelConfig, f: GemmFunctions): Body {
  const { mr } = cfg;
  const nr = 4 * cfg.vectors;
  const code = new Body(new Array<ValType>(17).fill(i32));
  const [a, ars, acs, b, brs, bcs, c, ldc, m, n, k, kcb, mcb, ncb, pa, pb, tmp] =
    Array.from({ length: 17 }, (_, x) => x);
  const [jc, pc, ic, nc, kc, mc] = code.locals(i32, 6);
  // bFinite: 0 until the packed B block is checked, then 1 (finite) or 2 (not: no skipping).
  const [compact, bFinite, first] = code.locals(i32, 3);
  const min = (x: Local, total: Local, done: Local, limit: Local): void => {
    emit(code, localGet(total), localGet(done), I32_SUB, localTee(x), localGet(limit), localGet(x),
      localGet(limit), I32_LT_S, SELECT, localSet(x));
  };
  // base + x·stride + y·stride2, left on the stack
  const address = (base: Local, x: Local, sx: Local, y: Local, sy: Local): void => {
    emit(code, localGet(base), localGet(x), localGet(sx), I32_MUL, I32_ADD, localGet(y),
      localGet(sy), I32_MUL, I32_ADD);
  };
  // ⌈x / unit⌉, left on the stack
  const tiles = (x: Local, unit: number): void => {
    emit(code, localGet(x), i32Const(unit - 1), I32_ADD, i32Const(unit), I32_DIV_U);
  };
  // Compacts the first A panel; if it is sparse enough and B is finite, the others too.
  // Dense operands thus pay for one panel per block.
  const skipZeros = (): void => {
    emit(code, i32Const(0), localSet(compact), localGet(bFinite), i32Const(2), I32_NE);
    ifElse(code, () => {
      emit(code,
        localGet(tmp), i32Const(4 * mr * nr), I32_ADD, localSet(first),
        localGet(pa), localGet(kc), i32Const(1), localGet(first), call(f.compact),
        localGet(first), i32Load());
      sparseEnough(code, kc);
      ifElse(code, () => {
        emit(code, localGet(bFinite), I32_EQZ);
        ifElse(code, () => {
          emit(code, localGet(pb), localGet(kc));
          tiles(nc, nr);
          emit(code, I32_MUL, i32Const(nr), I32_MUL, call(f.finite), i32Const(2), i32Const(1),
            SELECT, localSet(bFinite));
        });
        emit(code, localGet(bFinite), i32Const(1), I32_EQ);
        ifElse(code, () => {
          emit(code,
            localGet(first), localSet(compact),
            localGet(pa), localGet(kc), i32Const(4 * mr), I32_MUL, I32_ADD, localGet(kc));
          tiles(mc, mr);
          emit(code,
            i32Const(1), I32_SUB,
            localGet(first), localGet(kc), i32Const(compactStep(mr)), I32_MUL,
            i32Const(COMPACT_HEADER), I32_ADD, I32_ADD, call(f.compact));
        });
      });
    });
  };
  emit(code, i32Const(0), localSet(jc));
  forLoop(code, jc, n, { local: ncb }, () => {
    min(nc, n, jc, ncb);
    emit(code, i32Const(0), localSet(pc));
    forLoop(code, pc, k, { local: kcb }, () => {
      min(kc, k, pc, kcb);
      address(b, pc, brs, jc, bcs);
      emit(code,
        localGet(bcs), localGet(brs), localGet(nc), localGet(kc), localGet(pb), call(f.packB),
        i32Const(0), localSet(bFinite),
        i32Const(0), localSet(ic));
      forLoop(code, ic, m, { local: mcb }, () => {
        min(mc, m, ic, mcb);
        address(a, ic, ars, pc, acs);
        emit(code, localGet(ars), localGet(acs), localGet(mc), localGet(kc), localGet(pa),
          call(f.packA));
        if (cfg.skipZeros) skipZeros();
        emit(code,
          localGet(pa), localGet(pb),
          localGet(c), localGet(ic), localGet(ldc), I32_MUL, I32_ADD, localGet(jc), i32Const(4),
          I32_MUL, I32_ADD,
          localGet(ldc), localGet(mc), localGet(nc), localGet(kc), localGet(pc), i32Const(0),
          I32_NE, localGet(tmp), localGet(compact), call(f.block));
      });
    });
  });
  return code;
}

/** Pushes min(total - done, limit), using `scratch`. */
function minConst(code: Body, total: Local, done: Local, limit: number, scratch: Local): void {
  emit(code,
    localGet(total), localGet(done), I32_SUB, localTee(scratch),
    i32Const(limit), localGet(scratch), i32Const(limit), I32_LT_S, SELECT);
}
