// Generated data: two interleaved half-moons (classes 0/1) and a smooth function of two inputs.
import type { Rng } from "@tapegrad/core";

/** `n` points of two noisy half-moons: x [n, 2] as nested arrays, labels 0/1. */
export function twoMoons(n: number, rng: Rng, noise = 0.2): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const t = Math.PI * rng.uniform();
    const [a, b] = label === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    x.push([a + noise * rng.normal(), b + noise * rng.normal()]);
    y.push(label);
  }
  return { x, y };
}

/** `n` points of f(a, b) = sin(2a)·cos(b) on [−1.5, 1.5]², as a flat Float32Array x and y. */
export function wave(n: number, rng: Rng): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(2 * n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [a, b] = [rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)];
    x.set([a, b], 2 * i);
    y[i] = Math.sin(2 * a) * Math.cos(b);
  }
  return { x, y };
}
