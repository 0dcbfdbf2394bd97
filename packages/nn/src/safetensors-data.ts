// Safetensors tensor data: the bytes of one checked layout as a typed array, widened exactly.
import type { Layout, SafeTensor } from "./safetensors.js";

/** The values of the tensor `l` lays out in `view`; I64 beyond ±(2^53 − 1) is an error. */
export function decodeData(
  fn: string, view: DataView, l: Layout,
): Pick<SafeTensor, "dtype" | "data"> {
  const b = l.begin;
  if (l.dtype === "I64") {
    const data = new Float64Array((l.end - b) / 8);
    for (let i = 0; i < data.length; i++) {
      const v = view.getBigInt64(b + 8 * i, true);
      if (v > MAX_EXACT || v < -MAX_EXACT) {
        throw new Error(
          `${fn}: tensor ${JSON.stringify(l.name)}: I64 value ${v} at index ${i} is beyond ` +
            "±(2^53 − 1), which a double cannot hold exactly",
        );
      }
      data[i] = Number(v);
    }
    return { dtype: "int64", data };
  }
  if (l.dtype === "F64") {
    const data = new Float64Array((l.end - b) / 8);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat64(b + 8 * i, true);
    return { dtype: "float64", data };
  }
  if (l.dtype === "F32") {
    const data = new Float32Array((l.end - b) / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(b + 4 * i, true);
    return { dtype: "float32", data };
  }
  const data = new Float32Array((l.end - b) / 2);
  if (l.dtype === "BF16") {
    // bfloat16 is the top half of a float32: shift into place and reinterpret the bits
    const bits = new Uint32Array(data.buffer);
    for (let i = 0; i < data.length; i++) bits[i] = view.getUint16(b + 2 * i, true) << 16;
  } else {
    for (let i = 0; i < data.length; i++) data[i] = halfToFloat(view.getUint16(b + 2 * i, true));
  }
  return { dtype: "float32", data };
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

// IEEE 754 binary16 -> number, exact (every half value is representable in float32).
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
