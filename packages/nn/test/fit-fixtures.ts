// Shared fixtures of the fit tests: small generated data sets and models for each task.
import { Rng } from "@tapegrad/core";
import type { ActivationName } from "../src/activations.js";
import { Dense } from "../src/dense.js";
import { Sequential } from "../src/sequential.js";

/** Two interleaved half-moons with Gaussian noise: x [n, 2], labels 0/1 alternating. */
export function twoMoons(n: number, seed: number, noise = 0.1): { x: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = Math.PI * rng.uniform();
    const [px, py] = c === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    x.push([px + noise * rng.normal(), py + noise * rng.normal()]);
    y.push(c);
  }
  return { x, y };
}

/** Three Gaussian blobs around (0, 2), (2, -1), (-2, -1): x [n, 2], labels 0..2. */
export function blobs(n: number, seed: number): { x: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const centres = [[0, 2], [2, -1], [-2, -1]];
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    x.push([centres[c][0] + 0.5 * rng.normal(), centres[c][1] + 0.5 * rng.normal()]);
    y.push(c);
  }
  return { x, y };
}

/** y = sin(x₀) + 0.5·x₁ on x uniform in [−2, 2]²: x [n, 2], y [n] (regression). */
export function wave(n: number, seed: number): { x: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const x = Array.from({ length: n }, () => [rng.uniform(-2, 2), rng.uniform(-2, 2)]);
  return { x, y: x.map(([a, b]) => Math.sin(a) + 0.5 * b) };
}

/** Two labels per point, each independent: x₀ > 0 and x₁ > 0 (multi-label). */
export function quadrants(n: number, seed: number): { x: number[][]; y: number[][] } {
  const rng = new Rng(seed);
  const x = Array.from({ length: n }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1)]);
  return { x, y: x.map(([a, b]) => [a > 0 ? 1 : 0, b > 0 ? 1 : 0]) };
}

/** A 2 → hidden → outputs MLP with the given final activation. */
export function smallNet(
  outputs: number, output: ActivationName, hidden = 16, seed = 1,
  hiddenActivation: ActivationName = "relu", dtype: "float32" | "float64" = "float32",
): Sequential {
  return new Sequential([
    new Dense({
      inputSize: 2, outputSize: hidden, activation: hiddenActivation, init: "heNormal", seed,
      dtype,
    }),
    new Dense({
      inputSize: hidden, outputSize: outputs, activation: output, seed: seed + 1, dtype,
    }),
  ]);
}
