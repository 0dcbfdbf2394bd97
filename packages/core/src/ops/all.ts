// Every op, for the Tensor methods and the public index.
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
export * from "./embedding.js";
export * from "./norm.js";
export * from "./pool.js";
