// The control block that the calling thread and its helpers share at the start of WebAssembly
// memory: every word's place, defined once. The thread pool reads `SLOTS` directly; the workers'
// source gets the same object serialised into it, and the slice-claiming code takes it as an
// argument, so the two sides cannot disagree.

/** What a slice runs; a slice's arguments are the matching export's, in its order. */
export const SliceKind = {
  gemm: 0, descend: 1, adamW: 2, adamL2: 3, gatherRows: 4, map: 5, call: 6, sparse: 7,
} as const;

/**
 * The maps a `SliceKind.map` slice runs, by number (activation-module.ts); the slice's words are
 * [number, input pointers (3 words, unused ones 0), output pointer, count].
 */
export const MAP_KERNELS = ["softplus", "sigmoid", "bceLogits", "bceLogitsGrad"] as const;

/** The gemm export's arguments: sizes, pointers and blocking, then 3 of per-thread scratch. */
export const GEMM_ARGS = 17;

/** i32 words of the header, before the round's float64 scalars. */
const HEADER = 16;
/** Float64 arguments shared by every slice of a round (a learning rate, Adam's constants). */
export const ROUND_SCALARS = 10;
/**
 * Words of a slice's own arguments: a gemm's first 14 (its scratch is the thread's), then the
 * epilogue number + 1 (0: none) and the bias pointer; other kinds use fewer.
 */
export const SLICE_ARGS = 16;
/** First word of the per-thread scratch pointers (3 per thread), after the scalars. */
const SCRATCH_WORD = HEADER + 2 * ROUND_SCALARS;
/** Words per slice: its arguments, then its kind. */
const SLICE_WORDS = SLICE_ARGS + 1;
/** Byte offset of the round's float64 scalars (ROUND_SCALARS of them). */
const SCALARS_BYTE = 4 * HEADER;

/** Word indices (i32) of the control block, and the layout of its slices. */
export const SLOTS = {
  /** Bumped by the caller to start a round. */
  generation: 0,
  /** Slices finished in this round. */
  done: 1,
  /** Set by a thread whose kernel threw. */
  failed: 2,
  /** Slices in this round. */
  count: 3,
  /** Set before terminating the workers. */
  stop: 4,
  /** (round tag << 8) | next unclaimed slice. */
  next: 5,
  // The background gather, in chunks of rows. The tag keeps a helper that read one job's
  // words from claiming a chunk of the next.
  /** (job tag << 8) | next unclaimed chunk. */
  background: 6,
  /** Chunks done. */
  backgroundDone: 7,
  /** gatherRows' arguments: source, row bytes, index array, rows, destination (5 words). */
  backgroundArgs: 8,
  /** Chunks in the job. */
  backgroundChunks: 13,
  /** Set if a chunk failed. */
  backgroundFailed: 14,
  /**
   * Set while the caller runs rounds alone (see ThreadChoice): helpers sleep at once instead
   * of spinning for the next round, leaving the CPU to whoever needs it.
   */
  park: 15,
  /** Byte offset of the round's float64 scalars (ROUND_SCALARS of them). */
  scalarsByte: SCALARS_BYTE,
  /** First word of the per-thread scratch pointers (3 per thread), after the scalars. */
  scratch: SCRATCH_WORD,
  /** Words per slice: its arguments, then its kind. */
  sliceWords: SLICE_WORDS,
  /** Where a slice's kind is among its words. */
  kind: SLICE_ARGS,
  /** Gemm slices: the epilogue number + 1 (0: none), and the bias at the slice's first column. */
  gemmEpilogue: 14,
  gemmBias: 15,
  /** Map slices: the map's number, its first input pointer, the output pointer, the count. */
  mapKernel: 0,
  mapInputs: 1,
  mapOut: 4,
  mapCount: 5,
  /**
   * Sparse slices: sparseGemm's first 10 arguments (its list scratch is the thread's packed-A
   * pointer), then a span of B to check for ±∞ and NaN (pointer, count), the epilogue + 1 and
   * the bias; the slice writes back how many nonzeros of A it used and whether its span of B
   * was finite (1) or not (0).
   */
  sparseCheck: 10,
  sparseEpilogue: 12,
  sparseBias: 13,
  sparseUsed: 14,
  sparseFinite: 15,
  kinds: SliceKind,
} as const;

/** The control block's layout, as the slice-claiming code takes it. */
export type SlotLayout = typeof SLOTS;

/** Word index of `thread`'s scratch pointers. */
export const scratchWord = (thread: number): number => SCRATCH_WORD + 3 * thread;

/** Word index of `slice`'s first argument, for a pool of `threads` threads. */
export const sliceWord = (threads: number, slice: number): number =>
  SCRATCH_WORD + 3 * threads + SLICE_WORDS * slice;

/** Where each thread reports [round tag, ms busy] of its last round: after the i32 words. */
export const timesOffset = (threads: number, slices: number): number =>
  8 * Math.ceil(sliceWord(threads, slices) / 2);

/** Bytes the control block needs for `threads` threads (caller included) and `slices`. */
export function controlBytes(threads: number, slices: number): number {
  return timesOffset(threads, slices) + 8 * 2 * threads;
}
