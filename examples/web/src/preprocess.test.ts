// Tests for the MNIST-style preprocessing of drawings, on real test digits drawn 10× larger.
import { describe, expect, it } from "vitest";
import { readMnistFiles } from "@tapegrad/mnist";
import { SIDE, inkFromRgba, mnistPixels } from "./preprocess.js";

/** Pixels 28×28 drawn 10× larger (nearest) onto a 320×320 RGBA canvas at (left, top). */
function drawLarge(pixels: Uint8Array, left: number, top: number): Uint8ClampedArray {
  const size = 320;
  const rgba = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < SIDE * 10; y++) {
    for (let x = 0; x < SIDE * 10; x++) {
      const [cx, cy] = [x + left, y + top];
      if (cx < 0 || cy < 0 || cx >= size || cy >= size) continue;
      const v = pixels[Math.floor(y / 10) * SIDE + Math.floor(x / 10)];
      rgba.set([v, v, v, 255], 4 * (cy * size + cx));
    }
  }
  return rgba;
}

function centreOfMass(pixels: Uint8Array): [number, number] {
  let [m, mx, my] = [0, 0, 0];
  pixels.forEach((v, i) => {
    m += v;
    mx += v * (i % SIDE);
    my += v * Math.floor(i / SIDE);
  });
  return [mx / m, my / m];
}

describe("mnistPixels", () => {
  it("gives back 200 test digits drawn 10× larger and off-centre, pixel for pixel", async () => {
    const { test } = await readMnistFiles();
    for (let index = 0; index < 200; index++) {
      const original = test.images.subarray(index * 784, (index + 1) * 784);
      const out = mnistPixels(inkFromRgba(drawLarge(original, 35, 5), 320, 320));
      const [cx, cy] = centreOfMass(out);
      expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
      // MNIST's own digits fill 20 pixels and have their centre of mass within half a pixel
      // of (14, 14), so redoing the preprocessing gives each one back exactly.
      expect(Buffer.compare(out, original), `test digit ${index}`).toBe(0);
    }
  }, 60_000); // 1.8 s alone; a busy 2-core machine took 6.7 s

  it("keeps a thin stroke thin and fills the 20-pixel box when upscaling a small drawing", () => {
    const [width, height] = [50, 50];
    const ink = new Float32Array(width * height);
    for (let y = 10; y < 20; y++) ink[y * width + 30] = 1; // one pixel wide, 10 tall
    const out = mnistPixels({ ink, width, height });
    const rows = new Set<number>();
    const cols = new Set<number>();
    out.forEach((v, i) => {
      if (v > 0) [rows.add(Math.floor(i / SIDE)), cols.add(i % SIDE)];
    });
    expect(rows.size).toBe(20);
    expect(cols.size).toBe(2); // 1/10 of the box: 2 pixels
    expect(Math.max(...out)).toBe(255);
  });

  it("gives zeros for an empty drawing and checks the RGBA size", () => {
    expect(mnistPixels(inkFromRgba(new Uint8ClampedArray(4 * 9), 3, 3)).every((v) => v === 0))
      .toBe(true);
    expect(() => inkFromRgba(new Uint8ClampedArray(8), 3, 3)).toThrow(
      "inkFromRgba: 3×3 needs 36 bytes; got 8");
  });
});
