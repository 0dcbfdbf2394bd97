// A drawn digit to a 28×28 MNIST image the way MNIST's were made: the ink's bounding box scaled
// (aspect kept) to fit 20×20 with area averaging for grey anti-aliased edges, then placed so
// its centre of mass is the centre of the 28×28 field.

/** MNIST's image side and the box the digit is scaled into. */
export const SIDE = 28;
const BOX = 20;

/** A grey image: `ink[y * width + x]` in [0, 1] (0 background, 1 full stroke). */
export interface InkImage {
  readonly ink: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** The ink of RGBA pixels (a canvas's `getImageData`) drawn light on dark: the red channel. */
export function inkFromRgba(rgba: Uint8ClampedArray, width: number, height: number): InkImage {
  if (rgba.length !== width * height * 4) {
    throw new RangeError(`inkFromRgba: ${width}×${height} needs ${width * height * 4} bytes; ` +
      `got ${rgba.length}`);
  }
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i] / 255;
  return { ink, width, height };
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The smallest box holding every pixel with ink, or undefined for an empty image. */
function inkBox({ ink, width, height }: InkImage): Box | undefined {
  let box: Box | undefined;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] <= 0) continue;
      box ??= { x0: x, y0: y, x1: x + 1, y1: y + 1 };
      box.x0 = Math.min(box.x0, x);
      box.x1 = Math.max(box.x1, x + 1);
      box.y0 = Math.min(box.y0, y);
      box.y1 = Math.max(box.y1, y + 1);
    }
  }
  return box;
}

/** How much of source cell [i, i + 1) lies in [from, to). */
const overlap = (i: number, from: number, to: number): number =>
  Math.max(0, Math.min(i + 1, to) - Math.max(i, from));

/**
 * The mean ink over the source rectangle [sx0, sx1) × [sy0, sy1) (fractional edges weighted by
 * how much of each pixel they cover): area averaging, exact for up- and downscaling.
 */
function areaMean(image: InkImage, sx0: number, sx1: number, sy0: number, sy1: number): number {
  let sum = 0;
  for (let y = Math.floor(sy0); y < Math.ceil(sy1); y++) {
    const wy = overlap(y, sy0, sy1);
    for (let x = Math.floor(sx0); x < Math.ceil(sx1); x++) {
      sum += wy * overlap(x, sx0, sx1) * image.ink[y * image.width + x];
    }
  }
  return sum / ((sx1 - sx0) * (sy1 - sy0));
}

/**
 * The 28×28 MNIST-style image (uint8, 0–255, row-major) of a drawing; all zeros when nothing
 * is drawn. Feed it to a model as MNIST's pixels are fed: each value / 255.
 * @example
 * const { data } = context.getImageData(0, 0, 280, 280);
 * const pixels = mnistPixels(inkFromRgba(data, 280, 280)); // 784 values, 0–255
 */
export function mnistPixels(image: InkImage): Uint8Array {
  const out = new Uint8Array(SIDE * SIDE);
  const box = inkBox(image);
  if (box === undefined) return out;
  const [w, h] = [box.x1 - box.x0, box.y1 - box.y0];
  // Source pixels per output pixel, the same both ways so the aspect ratio is kept.
  const step = Math.max(w, h) / BOX;
  const [bw, bh] = [Math.max(1, Math.round(w / step)), Math.max(1, Math.round(h / step))];
  // Centre the source box on the output box so rounding trims both sides alike.
  const [sx, sy] = [box.x0 + (w - bw * step) / 2, box.y0 + (h - bh * step) / 2];
  const scaled = new Float32Array(bw * bh);
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const x0 = Math.max(0, sx + x * step);
      const x1 = Math.min(image.width, sx + (x + 1) * step);
      const y0 = Math.max(0, sy + y * step);
      const y1 = Math.min(image.height, sy + (y + 1) * step);
      const v = x1 > x0 && y1 > y0 ? areaMean(image, x0, x1, y0, y1) : 0;
      scaled[y * bw + x] = v;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  // Shift by whole pixels so that the centre of mass, in pixel indices, lands on (14, 14): the
  // test digits' own centres of mass, so measured, lie within half a pixel of it.
  const dx = Math.round(SIDE / 2 - mx / mass);
  const dy = Math.round(SIDE / 2 - my / mass);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const [ox, oy] = [x + dx, y + dy];
      if (ox < 0 || oy < 0 || ox >= SIDE || oy >= SIDE) continue;
      out[oy * SIDE + ox] = Math.round(255 * Math.min(1, scaled[y * bw + x]));
    }
  }
  return out;
}
