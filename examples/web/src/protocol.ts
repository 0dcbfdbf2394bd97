// The messages between the page and its training worker, both ways, as one discriminated union
// each: what the worker is asked to do, and what it reports while doing it.
import type { EpochRecord, ModelSpec } from "@tapegrad/nn";

/** A model as bytes: its spec and its weights in safetensors (what the CLI writes with --out). */
export interface ModelBytes {
  readonly spec: ModelSpec;
  readonly weights: Uint8Array;
}

/** Training settings the page's form gives. */
export interface TrainSettings {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Seeds the weights (fresh models) and the shuffling. */
  readonly seed: number;
  /** Train at most this many steps (the test's few hundred); all epochs when absent. */
  readonly maxSteps?: number;
  /** Continue from this model instead of a fresh seed network. */
  readonly start?: ModelBytes;
}

/** The seeded run the page and Node must agree on bit for bit (see parity.ts). */
export interface ParitySettings {
  readonly steps: number;
  readonly batchSize: number;
  readonly seed: number;
}

/** Page → worker. */
export type Request =
  | { readonly type: "train"; readonly settings: TrainSettings }
  | { readonly type: "parity"; readonly settings: ParitySettings };

/** The seeded run's outcome: the loss after every step and a checksum of the weights. */
export interface ParityResult {
  readonly losses: number[];
  /** SHA-256 of the trained model's safetensors bytes, in hex. */
  readonly weightsSha256: string;
  readonly threads: number;
  /** Whether WebAssembly relaxed SIMD (fused multiply-add kernels) was on. */
  readonly relaxedSimd: boolean;
}

/** Worker → page. */
export type Report =
  | {
    readonly type: "ready"; readonly threads: number; readonly isolated: boolean;
    /** Why only one thread runs (the error setNumThreads gave), when so. */
    readonly singleThreadReason?: string;
    readonly trainCount: number; readonly testCount: number; readonly loadSeconds: number;
  }
  | {
    readonly type: "step"; readonly step: number; readonly epoch: number;
    readonly loss: number; readonly epochLoss: number; readonly epochAccuracy: number | null;
    readonly stepsPerEpoch: number;
  }
  | {
    readonly type: "epoch"; readonly record: EpochRecord; readonly model: ModelBytes;
    /** Steps trained so far, this epoch's included. */
    readonly step: number;
  }
  | {
    readonly type: "done"; readonly model: ModelBytes; readonly steps: number;
    readonly firstLoss: number; readonly lastLoss: number;
    readonly testAccuracy: number | null; readonly seconds: number;
  }
  | { readonly type: "parity"; readonly result: ParityResult }
  | { readonly type: "error"; readonly message: string };
