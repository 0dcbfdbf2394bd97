// The canvas a digit is drawn on: light round strokes on black, as MNIST's digits are, and
// what was drawn as a 28×28 MNIST image (preprocess.ts).
import { inkFromRgba, mnistPixels } from "./preprocess.js";

/** A drawing canvas that calls `onDrawn` when a stroke ends. */
export class DrawPad {
  private readonly g: CanvasRenderingContext2D;
  private last: [number, number] | undefined;

  constructor(readonly canvas: HTMLCanvasElement, private readonly onDrawn: () => void) {
    this.g = canvas.getContext("2d", { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener("pointerdown", (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.last = this.at(e);
      this.stroke(this.last);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (this.last !== undefined) this.stroke(this.at(e));
    });
    const end = () => {
      if (this.last === undefined) return;
      this.last = undefined;
      this.onDrawn();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }

  /** Wipes the canvas to black. */
  clear(): void {
    this.g.fillStyle = "#000";
    this.g.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** The drawing as MNIST's 28×28 uint8 pixels (all zeros when empty). */
  pixels(): Uint8Array {
    const { width, height } = this.canvas;
    return mnistPixels(inkFromRgba(this.g.getImageData(0, 0, width, height).data, width, height));
  }

  private at(e: PointerEvent): [number, number] {
    const box = this.canvas.getBoundingClientRect();
    return [
      ((e.clientX - box.left) * this.canvas.width) / box.width,
      ((e.clientY - box.top) * this.canvas.height) / box.height,
    ];
  }

  private stroke(to: [number, number]): void {
    const from = this.last ?? to;
    const g = this.g;
    // About MNIST's stroke: 2–3 pixels of 28, here drawn 10× larger.
    g.strokeStyle = "#fff";
    g.lineWidth = 22;
    g.lineCap = "round";
    g.lineJoin = "round";
    g.beginPath();
    g.moveTo(from[0], from[1]);
    g.lineTo(to[0], to[1]);
    g.stroke();
    this.last = to;
  }
}
