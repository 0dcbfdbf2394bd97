// Unit tests for the default backend: float32 products on WebAssembly, float64 on TypeScript.
import { describe, expect, it } from "vitest";
import { randn } from "../creation.js";
import { matmul } from "../ops/matmul.js";
import { getBackend, setBackend } from "./backend.js";
import { getNumThreads, setNumThreads } from "./threads.js";
import { setSkipZeros, wasmBackend } from "./wasm-backend.js";
import { jsBackend } from "./js-backend.js";

describe("default backend", () => {
  it("is the WebAssembly SIMD backend", () => {
    expect(getBackend()).toBe(wasmBackend);
    expect(getBackend().name).toBe("wasm-simd");
  });

  it("gives float32 products that match the TypeScript kernels to float32 precision", () => {
    const a = randn([33, 70], { seed: 1 });
    const b = randn([70, 9], { seed: 2 });
    const fast = matmul(a, b);
    const previous = setBackend(jsBackend);
    const reference = matmul(a, b);
    setBackend(previous);
    for (let i = 0; i < fast.size; i++) {
      const tolerance = 1e-4 * (1 + Math.abs(reference.data[i]));
      expect(Math.abs(fast.data[i] - reference.data[i])).toBeLessThan(tolerance);
    }
  });

  it("keeps float64 products exact on the TypeScript kernels", () => {
    const a = randn([5, 7], { seed: 3, dtype: "float64" });
    const b = randn([7, 4], { seed: 4, dtype: "float64" });
    const fast = matmul(a, b);
    const previous = setBackend(jsBackend);
    const reference = matmul(a, b);
    setBackend(previous);
    expect(Array.from(fast.data)).toEqual(Array.from(reference.data));
  });

  it("validates the thread count", () => {
    expect(getNumThreads()).toBe(1);
    expect(() => setNumThreads(0)).toThrow(
      "setNumThreads: threads must be a positive integer; got 0",
    );
    expect(() => setNumThreads(1.5)).toThrow(/got 1.5/);
    expect(() => setNumThreads("2" as never)).toThrow('got "2" (a string)');
  });

  it("gives the same float32 product bits with and without zero skipping", () => {
    const a = randn([40, 300], { seed: 5 });
    for (let i = 0; i < a.size; i++) if (i % 300 < 200 || i % 4 !== 0) a.data[i] = 0;
    const b = randn([300, 24], { seed: 6 });
    setSkipZeros(false);
    const dense = matmul(a, b);
    setSkipZeros(true);
    const skipping = matmul(a, b);
    expect(Array.from(skipping.data)).toEqual(Array.from(dense.data));
    expect(() => setSkipZeros("yes" as unknown as boolean)).toThrow(
      "setSkipZeros: enabled must be a boolean; got yes",
    );
  });
});
