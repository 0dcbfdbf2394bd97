// Element types: float32 (the default) and float64 (for gradient checks and references).

/** Element type of a tensor. */
export type DType = "float32" | "float64";

/** The contiguous storage behind a tensor. */
export type FloatArray = Float32Array | Float64Array;

/** A new zero-filled array of `size` elements of `dtype`. */
export function allocate(dtype: DType, size: number): FloatArray {
  return dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
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
