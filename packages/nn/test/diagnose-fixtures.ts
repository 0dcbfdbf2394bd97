// Shared fixtures of the diagnose tests: small seeded MLPs and finding lookup.
import type { ActivationName } from "../src/activations.js";
import { Dense } from "../src/dense.js";
import type { Finding } from "../src/diagnose.js";
import type { InitName } from "../src/init.js";
import { Sequential } from "../src/sequential.js";

/** A small MLP: sizes [in, hidden..., out], hidden activation, output activation. */
export function mlp(
  sizes: number[], init: InitName, hidden: ActivationName = "leakyRelu",
  output: ActivationName = "sigmoid", seed = 1,
): Sequential {
  return new Sequential(sizes.slice(1).map((out, i) => new Dense({
    inputSize: sizes[i], outputSize: out, init, seed: seed + i,
    activation: i === sizes.length - 2 ? output : hidden,
  })));
}

/** The first finding with `code` (and `layer`, when given). */
export function find(fs: Finding[], code: string, layer?: string): Finding | undefined {
  return fs.find((f) => f.code === code && (layer === undefined || f.layer === layer));
}
