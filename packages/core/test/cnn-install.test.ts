// The CNN kernels join the backends only when an op that uses them is loaded (cnn-install.ts):
// before that, their entries say so by name; after, they run.
import { describe, expect, it } from "vitest";
import { jsBackend } from "../src/kernels/js-backend.js";

describe("CNN kernels install with their ops", () => {
  it("a kernel whose op is not loaded throws, naming it; loading the op installs it", async () => {
    const args = { x: new Float32Array(4), out: new Float32Array(4) };
    expect(() => jsBackend.dropoutMask(args as never)).toThrow(
      "dropoutMask: kernel not installed; it is installed when the op that uses it is loaded");
    await import("../src/ops/conv.js");
    const sums = new Float32Array(2);
    jsBackend.channelSum({ x: Float32Array.from([1, 2, 3, 4]), out: sums, n: 1, c: 2, inner: 2 });
    expect([...sums]).toEqual([3, 7]);
  });
});
