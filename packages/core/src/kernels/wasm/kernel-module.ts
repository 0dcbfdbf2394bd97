// Assembles the one WebAssembly module every wasm kernel lives in, from the generators in
// gemm-, epilogue-, update-, rows-, activation-, pack-, sparse- and sparse-rows-module.ts. With
// TAPEGRAD_DEBUG=wasm each build prints its functions' sizes to stderr.
import {
  emitBceLogits, emitBceLogitsGrad, emitSigmoid, emitSoftplus,
} from "./activation-module.js";
import { debugEnabled, debugLog } from "./debug.js";
import { ModuleBuilder } from "./binary.js";
import { EPILOGUES, emitBiasActivation, emitStepMul, epilogueName } from "./epilogue-module.js";
import { emitBlock, emitEdge, emitGemm, emitMicro } from "./gemm-module.js";
import { emitPack } from "./pack-module.js";
import { emitColumnSum, emitGatherRows, emitZero } from "./rows-module.js";
import { emitCompact, emitFinite } from "./sparse-module.js";
import {
  SPARSE_CHUNK, emitColumnLists, emitRowLists, emitSparseGemm, emitSparseRow,
} from "./sparse-rows-module.js";
import { emitAdam, emitDescend } from "./update-module.js";
import { moduleExtensions } from "./extensions.js";

export { EPILOGUES, epilogueName } from "./epilogue-module.js";

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
export interface KernelExports {
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
  /** The row-sparse product; returns the nonzeros of A it used. See `emitSparseGemm`. */
  sparseGemm(
    a: number, ars: number, acs: number, b: number, brs: number, c: number, ldc: number,
    m: number, n: number, k: number, pos: number,
  ): number;
  /** out = y > 0 ? dy : dy·s over ⌈count / 4⌉ vectors; see `emitStepMul`. */
  stepMul(dy: number, y: number, out: number, count: number, s: number): void;
  /** The same with a NaN in y passing dy (relu's mask); see `emitStepMul`. */
  stepMulRelu(dy: number, y: number, out: number, count: number, s: number): void;
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
  /** bytes zero bytes from ptr (memory.fill): JavaScript fills a shared buffer 10× slower. */
  zero(ptr: number, bytes: number): void;
}

/** The complete module bytes for `cfg`. */
export function kernelModuleBytes(cfg: KernelConfig): Uint8Array {
  const module = new ModuleBuilder({
    module: "env", name: "memory", initial: 1, maximum: 65536, shared: cfg.shared,
  });
  const kernels = (sparse: boolean): number[] => Array.from({ length: cfg.mr + 1 }, (_, rows) => {
    if (rows === 0 || (sparse && !cfg.skipZeros)) return -1;
    return module.add(emitMicro(cfg, rows, sparse), undefined, `micro${rows}${sparse ? "s" : ""}`);
  });
  const micro = { dense: kernels(false), sparse: kernels(true) };
  const edge = module.add(emitEdge(cfg), undefined, "edge");
  module.add(emitGemm(cfg, {
    block: module.add(emitBlock(cfg, micro, edge), "block"),
    packA: module.add(emitPack(cfg.mr), "packA"),
    packB: module.add(emitPack(4 * cfg.vectors), "packB"),
    compact: module.add(emitCompact(cfg.mr, 4 * cfg.vectors), "compact"),
    finite: module.add(emitFinite(), "finite"),
  }), "gemm");
  module.add(emitSparseGemm({
    rowLists: module.add(emitRowLists(), undefined, "rowLists"),
    columnLists: module.add(emitColumnLists(), undefined, "columnLists"),
    rows: Array.from({ length: SPARSE_CHUNK + 1 }, (_, nv) =>
      nv === 0 ? -1 : module.add(emitSparseRow(cfg, nv), undefined, `sparseRow${nv}`)),
  }), "sparseGemm");
  module.add(emitStepMul(false), "stepMul");
  module.add(emitStepMul(true), "stepMulRelu");
  module.add(emitColumnSum(), "colSum");
  module.add(emitZero(), "zero");
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
  for (const extension of moduleExtensions()) extension.add(module, cfg);
  const bytes = module.encode();
  if (debugEnabled("wasm")) reportSizes(cfg, module, bytes.length);
  return bytes;
}

/** Prints the functions' sizes of one module build (TAPEGRAD_DEBUG=wasm), largest first. */
function reportSizes(cfg: KernelConfig, module: ModuleBuilder, total: number): void {
  const sizes = module.functionSizes().sort((a, b) => b.bytes - a.bytes);
  const memory = cfg.shared ? "shared memory" : "local memory";
  const shape = `mr ${cfg.mr}, nr ${4 * cfg.vectors}, unroll ${cfg.unroll}, ` +
    `fma ${cfg.fma ? "on" : "off"}, zero skipping ${cfg.skipZeros ? "on" : "off"}`;
  debugLog([
    `tapegrad wasm: built the kernel module (${memory}; ${shape}): ${sizes.length} functions, ` +
      `${total} bytes`,
    ...sizes.map(({ name, bytes }) => `  ${name.padEnd(24)} ${String(bytes).padStart(7)} B`),
  ].join("\n"));
}
