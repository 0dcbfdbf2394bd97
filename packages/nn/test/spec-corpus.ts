// Adversarial model specs (from strangers): each case with the exact outcome it must have.
// spec-corpus.test.ts runs them; docs/limits-spec.md states the limits they exercise.
import type { SpecTextOptions } from "../src/spec.js";

/** What a case gives: a JSON value (to parseSpec) or text or bytes (to parseSpecText). */
export type SpecInput = { readonly json: unknown } | { readonly text: string | Uint8Array };

/** The exact outcome: accepted (with its parameter count once built), or the exact error. */
export type SpecOutcome =
  | { readonly ok: true; readonly parameters?: number }
  | {
    readonly error: "SpecError" | "Error" | "TypeError" | "RangeError";
    /** The whole message; with `jsonCause`, the message up to the JSON parser's own words. */
    readonly message: string;
    readonly jsonCause?: boolean;
    /** Number of problems of a SpecError (default 1). */
    readonly problems?: number;
  };

/** One adversarial spec. `input` is a thunk so that big inputs are made only when run. */
export interface SpecCase {
  readonly name: string;
  readonly input: () => SpecInput;
  readonly options?: SpecTextOptions;
  readonly outcome: SpecOutcome;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const bytes = (...parts: Array<number[] | string>): Uint8Array => {
  const chunks = parts.map((p) => (typeof p === "string" ? utf8(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};
const BOM = [0xef, 0xbb, 0xbf];
const valid = '{"input": 2, "layers": [{"type": "dense", "units": 3}]}';
const dense = (units: number, extra = ""): string => `{"type": "dense", "units": ${units}${extra}}`;
const layersText = (count: number, layer: string, input = 4): string =>
  `{"input": ${input}, "layers": [${Array(count).fill(layer).join(",")}]}`;
const nested = (depth: number, open: string, close: string, inner = "1"): string =>
  open.repeat(depth) + inner + close.repeat(depth);
const withField = (field: string, value: string): string =>
  `{"input": 2, "layers": [{"type": "dense", "units": 3}], ${JSON.stringify(field)}: ${value}}`;
const inLayer = (field: string, value: string): string =>
  `{"input": 2, "layers": [{"type": "dense", "units": 3, ${JSON.stringify(field)}: ${value}}]}`;
const TOP_KEYS = "$schema, input, layers, seed, dtype";
const ACTIVATIONS = "identity, sigmoid, tanh, relu, leakyRelu, softmax";
/** What describe() shows of a value whose JSON starts with `prefix` repeated: 57 chars + "...". */
const preview = (prefix: string): string => `${prefix.repeat(60).slice(0, 57)}...`;
const cyclic = (): unknown => {
  const self: Record<string, unknown> = {};
  self.self = self;
  return self;
};

export const specCorpus: readonly SpecCase[] = [
  // Text and bytes: byte-order marks, encodings, size.
  { name: "text with a BOM", input: () => ({ text: `\uFEFF${valid}` }),
    outcome: { ok: true, parameters: 9 } },
  { name: "UTF-8 bytes with a BOM", input: () => ({ text: bytes(BOM, valid) }),
    outcome: { ok: true, parameters: 9 } },
  { name: "bytes with two BOMs", input: () => ({ text: bytes(BOM, BOM, valid) }),
    outcome: { error: "Error", message: "parseSpecText: text is not valid JSON: ",
      jsonCause: true } },
  { name: "UTF-16LE bytes (FF FE)", input: () => ({ text: bytes([0xff, 0xfe], "{") }),
    outcome: { error: "Error", message: "parseSpecText: text is not valid UTF-8 text" } },
  { name: "invalid UTF-8 inside a string",
    input: () => ({ text: bytes('{"input": 2, "$schema": "', [0xc0, 0xaf], '"}') }),
    outcome: { error: "Error", message: "parseSpecText: text is not valid UTF-8 text" } },
  { name: "truncated JSON", input: () => ({ text: valid.slice(0, 30) }),
    outcome: { error: "Error", message: "parseSpecText: text is not valid JSON: ",
      jsonCause: true } },
  { name: "empty text", input: () => ({ text: "" }),
    outcome: { error: "Error", message: "parseSpecText: text is not valid JSON: ",
      jsonCause: true } },
  { name: "the literal null", input: () => ({ text: "null" }),
    outcome: { error: "SpecError",
      message: "parseSpecText: invalid model spec (1 problem):\n  spec must be an object; " +
        "got null" } },
  { name: "text over maxBytes", input: () => ({ text: bytes(valid, " ".repeat(46)) }),
    options: { maxBytes: 100 },
    outcome: { error: "Error",
      message: "parseSpecText: text is 101 bytes long; the limit is 100 (raise the maxBytes " +
        "option)" } },
  { name: "text of exactly maxBytes", input: () => ({ text: bytes(valid, " ".repeat(45)) }),
    options: { maxBytes: 100 }, outcome: { ok: true, parameters: 9 } },
  { name: "not text", input: () => ({ text: 42 as unknown as string }),
    outcome: { error: "TypeError",
      message: "parseSpecText: text must be a string or a Uint8Array; got 42" } },

  // Deep nesting: never a stack overflow, in validation or in the error message.
  { name: "100,000 nested arrays as the spec", input: () => ({ text: nested(100_000, "[", "]") }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      `  spec must be an object; got ${preview("[")}` } },
  { name: "100,000 nested arrays as the seed",
    input: () => ({ text: withField("seed", nested(100_000, "[", "]")) }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      `  seed must be an integer; got ${preview("[")}` } },
  { name: "100,000 nested objects as a layer's units",
    input: () => ({ text: layersText(1, dense(0).replace("0", nested(100_000, '{"a":', "}"))) }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      `  layers[0].units must be a positive integer; got ${preview('{"a":')}` } },
  { name: "100,000 nested arrays as a layer",
    input: () => ({ text: `{"input": 2, "layers": [${nested(100_000, "[", "]")}]}` }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      `  layers[0] must be an object; got ${preview("[")}` } },
  { name: "100,000 nested objects under an unknown key",
    input: () => ({ text: withField("extra", nested(100_000, '{"a":', "}")) }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      `  spec has unknown key "extra"; valid keys: ${TOP_KEYS}` } },
  { name: "a cyclic object (from JavaScript) as units",
    input: () => ({ json: { input: 2, layers: [{ type: "dense", units: cyclic() }] } }),
    outcome: { error: "SpecError", message: "parseSpec: invalid model spec (1 problem):\n" +
      `  layers[0].units must be a positive integer; got ${preview('{"self":')}` } },

  // Size: parameters and layers.
  { name: "a 400 M-parameter layer", input: () => ({ text: layersText(1, dense(20_000), 20_000) }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  layers[0].units makes the model too large: 400020000 parameters with it, over the " +
      "limit of 100000000 (raise the maxParameters option); got 20000" } },
  { name: "exactly 100 M parameters (no bias)",
    input: () => ({ text: layersText(1, dense(10_000, ', "useBias": false'), 10_000) }),
    outcome: { ok: true } },
  { name: "100 M parameters and a bias",
    input: () => ({ text: layersText(1, dense(10_000), 10_000) }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  layers[0].units makes the model too large: 100010000 parameters with it, over the " +
      "limit of 100000000 (raise the maxParameters option); got 10000" } },
  { name: "120 layers of a million parameters: the 100th crosses",
    input: () => ({ text: layersText(120, dense(1000), 1000) }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  layers[99].units makes the model too large: 100100000 parameters with it, over the " +
      "limit of 100000000 (raise the maxParameters option); got 1000" } },
  { name: "the same with maxParameters raised",
    input: () => ({ text: layersText(120, dense(1000), 1000) }),
    options: { maxParameters: 200_000_000 }, outcome: { ok: true } },
  { name: "maxParameters lowered", input: () => ({ text: valid }), options: { maxParameters: 8 },
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  layers[0].units makes the model too large: 9 parameters with it, over the limit of 8 " +
      "(raise the maxParameters option); got 3" } },
  { name: "units past 2^53", input: () => ({ text: layersText(1, dense(2 ** 53)) }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  layers[0].units must be a positive integer; got 9007199254740992" } },
  { name: "units 1e400 (Infinity)",
    input: () => ({ text: layersText(1, '{"type": "dense", "units": 1e400}') }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  layers[0].units must be a positive integer; got Infinity" } },
  { name: "input -0", input: () => ({ text: `{"input": -0, "layers": [${dense(1)}]}` }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  input must be a positive integer; got 0" } },
  { name: "10,000 dense layers", input: () => ({ text: layersText(10_000, dense(4)) }),
    outcome: { ok: true, parameters: 200_000 } },
  { name: "10,001 layers", input: () => ({ text: layersText(10_001, dense(4)) }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  layers must list at most 10000 layers (raise the maxLayers option); got 10001" } },
  { name: "100,000 layers", input: () => ({ text: layersText(100_000, dense(4)) }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  layers must list at most 10000 layers (raise the maxLayers option); got 100000" } },
  { name: "100,000 activation layers with maxLayers raised",
    input: () => ({ text: layersText(100_000, '{"type": "activation", "activation": "relu"}') }),
    options: { maxLayers: 100_000 }, outcome: { ok: true, parameters: 0 } },
  { name: "10,000 invalid layers: every problem kept, 20 listed",
    input: () => ({ text: layersText(10_000, dense(-1)) }),
    outcome: { error: "SpecError", problems: 10_000,
      message: "parseSpecText: invalid model spec (10000 problems):\n" +
        Array.from({ length: 20 }, (_, i) =>
          `  layers[${i}].units must be a positive integer; got -1\n`).join("") +
        "  … and 9980 more (the error's problems list them all)" } },

  // Keys and strings.
  { name: "__proto__ as a top-level key", input: () => ({ text: withField("__proto__", "{}") }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      `  spec has unknown key "__proto__"; valid keys: ${TOP_KEYS}` } },
  { name: "__proto__ in a layer", input: () => ({ text: inLayer("__proto__", '{"units": -1}') }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      '  layers[0] has unknown key "__proto__"; valid keys: type, units, activation, alpha, ' +
      "init, biasInit, useBias" } },
  { name: "100,000 unknown keys",
    input: () => ({ text: `{"input": 2, "layers": [${dense(1)}], ` +
      `${Array.from({ length: 100_000 }, (_, i) => `"k${i}": 0`).join(",")}}` }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      '  spec has unknown keys "k0", "k1", "k2", "k3", "k4" and 99995 more; ' +
      `valid keys: ${TOP_KEYS}` } },
  { name: "a key of a million characters", input: () => ({ text: withField("a".repeat(1e6), "0") }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      `  spec has unknown key "${"a".repeat(36)}..."; valid keys: ${TOP_KEYS}` } },
  { name: "an activation name of a million characters",
    input: () => ({ text: inLayer("activation", `"${"a".repeat(1e6)}"`) }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      `  layers[0].activation must be one of ${ACTIVATIONS}; got "${"a".repeat(56)}...` } },
  { name: "a duplicate key (JSON.parse would keep the last)",
    input: () => ({ text: '{"input": 2, "input": -1, "layers": [{"type": "dense", "units": 1}]}' }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  input appears twice; JSON would silently keep the last value, so remove one of them" } },
  { name: "a duplicate key inside a layer, both values valid",
    input: () => ({ text: '{"input": 2, "layers": [{"type": "dense", "units": 1, "units": 4}]}' }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  layers[0].units appears twice; JSON would silently keep the last value, so remove one " +
      "of them" } },
  { name: "seed 1e20 (not a safe integer)", input: () => ({ text: withField("seed", "1e20") }),
    outcome: { error: "SpecError", message: "parseSpecText: invalid model spec (1 problem):\n" +
      "  seed must be an integer; got 100000000000000000000" } },

  // Options.
  { name: "a misspelled option", input: () => ({ json: JSON.parse(valid) }),
    options: { max_layers: 5 } as SpecTextOptions,
    outcome: { error: "TypeError", message: 'parseSpec: unknown option "max_layers"; did you ' +
      'mean "maxLayers"? Valid options: source, maxParameters, maxLayers, layers' } },
  { name: "maxParameters 0", input: () => ({ json: JSON.parse(valid) }),
    options: { maxParameters: 0 },
    outcome: { error: "RangeError",
      message: "parseSpec: maxParameters must be a positive integer or Infinity; got 0" } },
  { name: "maxLayers Infinity", input: () => ({ text: layersText(10_001, dense(1)) }),
    options: { maxLayers: Infinity }, outcome: { ok: true, parameters: 5 + 10_000 * 2 } },
];
