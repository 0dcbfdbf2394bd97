// Weight initialisers: constant, uniform, normal, Glorot and He, all seeded.
import {
  type DType, type Rng, type Tensor, checkOptions, full, randn, uniform,
} from "@tapegrad/core";

/** Initialiser names a spec can use. */
export const INITIALIZERS = [
  "zeros", "constant", "uniform", "normal",
  "glorotUniform", "glorotNormal", "heUniform", "heNormal",
] as const;
export type InitName = (typeof INITIALIZERS)[number];

/** Parameters of the initialisers; fans are those of a [fanIn, fanOut] weight. */
export interface InitOptions {
  readonly value?: number; // constant
  readonly low?: number; // uniform
  readonly high?: number;
  readonly mean?: number; // normal
  readonly std?: number;
}

/** The options each initialiser reads. */
const OPTION_KEYS: Readonly<Record<InitName, readonly string[]>> = {
  zeros: [], constant: ["value"], uniform: ["low", "high"], normal: ["mean", "std"],
  glorotUniform: [], glorotNormal: [], heUniform: [], heNormal: [],
};

/**
 * fanIn and fanOut of a weight in PyTorch's layout, as PyTorch computes them: `[out, in]`
 * (nn.Linear) or `[out, in/groups, ...kernel]` (convolutions) gives fanIn = in/groups ·
 * kernel size and fanOut = out · kernel size.
 * @example weightFans([16, 1, 5, 5]) // { fanIn: 25, fanOut: 400 }
 */
export function weightFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: (shape[1] ?? 1) * receptive, fanOut: shape[0] * receptive };
}

/** Everything an initialiser needs besides its name. */
export interface InitContext {
  readonly shape: readonly number[];
  readonly fanIn: number;
  readonly fanOut: number;
  readonly rng: Rng;
  readonly dtype?: DType;
}

/**
 * A tensor drawn by the named initialiser. Glorot: Var = 2 / (fanIn + fanOut);
 * He: Var = 2 / fanIn (suits ReLU-family layers). Uniform variants use the bound
 * √(3·Var) so both share the variance.
 * @example initialize("heNormal", { shape: [784, 128], fanIn: 784, fanOut: 128, rng })
 */
export function initialize(name: InitName, ctx: InitContext, options: InitOptions = {}): Tensor {
  const { shape, fanIn, fanOut, rng } =
    checkOptions("initialize", ctx, ["shape", "fanIn", "fanOut", "rng", "dtype"]);
  if (Object.hasOwn(OPTION_KEYS, name)) {
    // An option another initialiser takes (std for "uniform") would be silently ignored.
    checkOptions(`initialize("${name}")`, options, OPTION_KEYS[name]);
  }
  const dtype = ctx.dtype ?? "float32";
  const normal = (mean: number, std: number): Tensor => {
    const z = randn(shape, { rng, dtype });
    for (let i = 0; i < z.size; i++) z.data[i] = mean + std * z.data[i];
    return z;
  };
  const spread = (variance: number, kind: "uniform" | "normal"): Tensor => {
    const std = Math.sqrt(variance);
    if (kind === "normal") return normal(0, std);
    const bound = Math.sqrt(3) * std;
    return uniform(shape, -bound, bound, { rng, dtype });
  };
  switch (name) {
    case "zeros": return full(shape, 0, { dtype });
    case "constant": return full(shape, options.value ?? 0, { dtype });
    case "uniform":
      return uniform(shape, options.low ?? -0.05, options.high ?? 0.05, { rng, dtype });
    case "normal": return normal(options.mean ?? 0, options.std ?? 0.05);
    case "glorotUniform": return spread(2 / (fanIn + fanOut), "uniform");
    case "glorotNormal": return spread(2 / (fanIn + fanOut), "normal");
    case "heUniform": return spread(2 / fanIn, "uniform");
    case "heNormal": return spread(2 / fanIn, "normal");
  }
  throw new RangeError(
    `initialize: unknown initializer ${JSON.stringify(name)}; valid: ${INITIALIZERS.join(", ")}`,
  );
}
