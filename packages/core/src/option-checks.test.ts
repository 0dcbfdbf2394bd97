// Every public options record in core refuses unknown keys (as a JavaScript caller would pass).
import { describe, expect, it } from "vitest";
import { arange, eye, full, ones, rand, randn, tensor, uniform, zeros } from "./creation.js";
import { grad, valueAndGrad } from "./functional.js";
import { detectAnomaly, setDetectAnomaly } from "./anomaly.js";
import { gradcheck } from "./testing/gradcheck.js";
import { sum } from "./ops/all.js";

// Casts to what a JavaScript caller can pass.
const js = <T>(value: unknown) => value as T;

describe("creation options", () => {
  it("tensor({ shape }) says the shape is the second argument", () => {
    expect(() => tensor([1, 2, 3, 4, 5, 6], js({ shape: [2, 3] }))).toThrow(
      'tensor: "shape" is not an option; pass the shape as the second argument: ' +
        "tensor(values, [2, 3], { dtype })",
    );
    expect(tensor([1, 2, 3, 4, 5, 6], [2, 3]).shape).toEqual([2, 3]);
  });

  it("tensor refuses unknown keys in either position, and options given twice", () => {
    expect(() => tensor([1], js({ requires_grad: true }))).toThrow(
      'tensor: unknown option "requires_grad"; did you mean "requiresGrad"? ' +
        "Valid options: dtype, requiresGrad",
    );
    expect(() => tensor([1, 2], [2], js({ dtyp: "float64" })))
      .toThrow(/tensor: unknown option "dtyp"; did you mean "dtype"\?/);
    expect(() => tensor([1], { dtype: "float64" }, js({ requiresGrad: true })))
      .toThrow("tensor: options given twice; use tensor(values, shape, options)");
    expect(() => tensor([1, 2], js(new Int32Array([2]))))
      .toThrow("tensor: the shape must be a plain array of integers; got a Int32Array");
    expect(tensor([1], { dtype: "float64", requiresGrad: true }).requiresGrad).toBe(true);
  });

  it("the filled factories, arange and eye refuse unknown keys", () => {
    const bad = js<{ dtype: "float64" }>({ dtype: "float64", requiresgrad: true });
    const message = (op: string) =>
      `${op}: unknown option "requiresgrad"; did you mean "requiresGrad"? ` +
      "Valid options: dtype, requiresGrad";
    expect(() => zeros([2], bad)).toThrow(message("zeros"));
    expect(() => ones([2], bad)).toThrow(message("ones"));
    expect(() => full([2], 3, bad)).toThrow(message("full"));
    expect(() => arange(0, 3, 1, bad)).toThrow(message("arange"));
    expect(() => eye(2, 2, bad)).toThrow(message("eye"));
    expect(() => zeros([2], js("float64")))
      .toThrow("zeros: options must be an object; got string");
  });

  it("the random factories refuse unknown keys and a missing options record", () => {
    const message = (op: string) =>
      `${op}: unknown option "sead"; did you mean "seed"? ` +
      "Valid options: dtype, requiresGrad, seed, rng";
    expect(() => randn([2], js({ sead: 1 }))).toThrow(message("randn"));
    expect(() => rand([2], js({ sead: 1 }))).toThrow(message("rand"));
    expect(() => uniform([2], 0, 1, js({ sead: 1 }))).toThrow(message("uniform"));
    expect(() => randn([2], js(undefined)))
      .toThrow("randn: a seed (or rng) is required so results are reproducible");
  });
});

describe("transforms, gradcheck and anomaly mode", () => {
  it("grad and valueAndGrad refuse an options record or a bad f when they are made", () => {
    const f = (x: ReturnType<typeof tensor>) => sum(x);
    expect(() => grad(f, js({ argnums: [0, 1] }))).toThrow(
      "grad: argnums must be an argument index or an array of them, as in grad(f, [0, 1]); " +
        "got an object",
    );
    expect(() => valueAndGrad(f, js([0, -1]))).toThrow(/valueAndGrad: argnums .*; got \[0, -1\]/);
    expect(() => grad(js("f"))).toThrow("grad: f must be a function; got string");
  });

  it("gradcheck refuses unknown keys and bad values", () => {
    const x = tensor([1, 2], { dtype: "float64" });
    const f = (a: ReturnType<typeof tensor>) => a.mul(a);
    expect(() => gradcheck(f, [x], js({ tol: 1e-3 }))).toThrow(
      'gradcheck: unknown option "tol"; did you mean "atol"? ' +
        "Valid options: eps, atol, rtol, seed, mode, directions",
    );
    expect(() => gradcheck(f, [x], js({ mode: "directions" })))
      .toThrow('gradcheck: mode must be "full" or "directional"; got directions');
    expect(() => gradcheck(f, [x], { mode: "directional", directions: 0 }))
      .toThrow("gradcheck: directions must be a positive integer; got 0");
    expect(() => gradcheck(f, [x], { eps: 0 }))
      .toThrow("gradcheck: eps must be a positive number; got 0");
    expect(gradcheck(f, [x], { mode: "directional", directions: 2 }).checked).toBe(2);
  });

  it("setDetectAnomaly takes a boolean: the string \"false\" would switch it on", () => {
    expect(() => setDetectAnomaly(js("false")))
      .toThrow('setDetectAnomaly: on must be true or false; got "false"');
    expect(() => setDetectAnomaly(js({ enabled: true })))
      .toThrow("setDetectAnomaly: on must be true or false; got an object");
    expect(() => detectAnomaly(js(42))).toThrow("detectAnomaly: fn must be a function; got 42");
    expect(setDetectAnomaly(false)).toBe(false);
  });
});
