// Every op, for the Tensor methods and the public index.
//
// The rule every op keeps: ops never read or write element data on the host. An op checks
// shapes and options, allocates its output and calls kernels through getBackend(); all data
// work is a kernel call. compileStep records those calls and replays them, so a host read in
// an op would be frozen into the trace and replay silently wrong. `pnpm lint` enforces this
// (scripts/lint-ops.ts); docs/contributing-kernels.md says how to add a kernel instead.
export * from "./arithmetic.js";
export * from "./bce.js";
export * from "./broadcast.js";
export * from "./compare.js";
export * from "./convert.js";
export * from "./indexing.js";
export * from "./linear.js";
export * from "./matmul.js";
export * from "./reduce.js";
export * from "./shape.js";
export * from "./softmax.js";
export * from "./unary.js";
export * from "./conv.js";
export * from "./dropout.js";
export * from "./class-probabilities.js";
export * from "./embedding.js";
export * from "./norm.js";
export * from "./pool.js";
