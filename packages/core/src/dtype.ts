// Element types: float32 (the default) and float64 (for gradient checks and references).

/** Element type of a tensor. */
export type DType = "float32" | "float64";

/** The contiguous storage behind a tensor. */
export type FloatArray = Float32Array | Float64Array;

/** Makes a new zero-filled array; `compileStep` swaps in one that records what it made. */
export type Allocator = (dtype: DType, size: number) => FloatArray;

/** The plain allocator: a fresh JavaScript typed array. */
export const newArray: Allocator = (dtype, size) =>
  dtype === "float64" ? new Float64Array(size) : new Float32Array(size);

let allocator: Allocator = newArray;

/** Whether ops get fresh JavaScript arrays (no `withAllocator` is running). */
export function usingPlainAllocator(): boolean {
  return allocator === newArray;
}

/** A new zero-filled array of `size` elements of `dtype`: every op's output storage. */
export function allocate(dtype: DType, size: number): FloatArray {
  return allocator(dtype, size);
}

/** Runs `fn` with `alloc` making every op's output storage, then restores the previous one. */
export function withAllocator<T>(alloc: Allocator, fn: () => T): T {
  const previous = allocator;
  allocator = alloc;
  try {
    return fn();
  } finally {
    allocator = previous;
  }
}

export function dtypeOfArray(data: FloatArray): DType {
  return data instanceof Float64Array ? "float64" : "float32";
}

/**
 * The dtype of an op on mixed inputs: float64 if any input is float64, as in NumPy and
 * PyTorch. The narrower input is cast up on the tape, so its gradient comes back narrow.
 */
export function promoteTypes(a: DType, b: DType): DType {
  return a === "float64" || b === "float64" ? "float64" : "float32";
}

export function checkDType(op: string, dtype: unknown): DType {
  if (dtype !== "float32" && dtype !== "float64") {
    throw new TypeError(
      `${op}: dtype must be "float32" or "float64"; got ${JSON.stringify(dtype)}`,
    );
  }
  return dtype;
}
