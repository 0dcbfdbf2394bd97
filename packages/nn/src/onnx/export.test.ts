// exportOnnx: every layer and activation run in onnxruntime against tapegrad's forward pass,
// the graph's structure, and clear errors for what cannot be exported.
import { type DType, Rng, Tensor, randn } from "@tapegrad/core";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { ACTIVATIONS } from "../activations.js";
import { Dense } from "../dense.js";
import { Module } from "../module.js";
import { decodeSafetensors } from "../safetensors.js";
import { Sequential } from "../sequential.js";
import { fromSpec, seedSpec } from "../spec.js";
import type { ModelSpec } from "../spec-schema.js";
import { modelToSafetensors } from "../weights.js";
import { ONNX_IR_VERSION, ONNX_OPSET, exportOnnx } from "./export.js";
import { decodeModel } from "./proto.js";

// Runs the exported model in onnxruntime; returns the largest |ort - tapegrad| over the output.
async function maxDifference(model: Module, x: Tensor): Promise<number> {
  const session = await ort.InferenceSession.create(exportOnnx(model));
  const result = await session.run({ input: new ort.Tensor(x.dtype, x.data, [...x.shape]) });
  const got = result.output;
  const want = model.forward(x);
  expect(got.dims).toEqual(want.shape);
  expect(got.type).toBe(x.dtype);
  let worst = 0;
  (got.data as Float32Array | Float64Array).forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - want.data[i]));
  });
  return worst;
}

// float32: tapegrad and onnxruntime sum in different orders; float64 keeps 1e-12.
const TOLERANCE: Record<DType, number> = { float32: 1e-5, float64: 1e-12 };

describe("exportOnnx in onnxruntime", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`matches tapegrad for every activation, fused and as a layer (${dtype})`, async () => {
      for (const activation of ACTIVATIONS) {
        const spec: ModelSpec = {
          input: 7, dtype, seed: 3,
          layers: [
            { type: "dense", units: 6, activation, alpha: 0.3, init: "heNormal" },
            { type: "dense", units: 5, useBias: false, biasInit: "normal" },
            { type: "activation", activation, alpha: 0.05 },
            { type: "dense", units: 4, activation, biasInit: "normal" },
          ],
        };
        const x = randn([9, 7], { seed: 4, dtype });
        const diff = await maxDifference(fromSpec(spec), x);
        expect(diff, activation).toBeLessThanOrEqual(TOLERANCE[dtype]);
      }
    });
  }

  it("runs any batch size, and the seed network on a batch of 1", async () => {
    const model = fromSpec(seedSpec());
    for (const batch of [1, 3]) {
      const x = randn([batch, 784], { seed: batch });
      expect(await maxDifference(model, x)).toBeLessThanOrEqual(1e-5);
    }
  });

  it("exports a nested Sequential and a model of activations only", async () => {
    const rng = new Rng(5);
    const nested = new Sequential([
      new Dense({ inputSize: 4, outputSize: 3, activation: "tanh", rng }),
      new Sequential([new Dense({ inputSize: 3, outputSize: 2, activation: "relu", rng })]),
    ]);
    expect(await maxDifference(nested, randn([2, 4], { seed: 6 }))).toBeLessThanOrEqual(1e-5);
    const softmax = fromSpec({ input: 3, layers: [{ type: "activation", activation: "softmax" }] });
    expect(await maxDifference(softmax, randn([2, 3], { seed: 7 }))).toBeLessThanOrEqual(1e-6);
  });
});

describe("exportOnnx graph", () => {
  it("is opset 17 with the weights named and laid out as in the safetensors file", () => {
    const model = fromSpec(seedSpec());
    const onnx = decodeModel(exportOnnx(model, { docString: "seed" }));
    expect(onnx.irVersion).toBe(ONNX_IR_VERSION);
    expect(onnx.opsetImport).toHaveLength(1);
    expect(onnx.opsetImport[0].version).toBe(ONNX_OPSET);
    expect(onnx.opsetImport[0].domain ?? "").toBe(""); // the default domain, ai.onnx
    expect(onnx.docString).toBe("seed");
    const g = onnx.graph;
    expect(g.node.map((n) => n.opType))
      .toEqual(["Gemm", "LeakyRelu", "Gemm", "LeakyRelu", "Gemm", "Sigmoid"]);
    expect(g.node[0].input).toEqual(["input", "0.weight", "0.bias"]);
    expect(g.node[0].attribute).toMatchObject([{ name: "transB", type: 2, i: 1 }]);
    expect(g.node[1].attribute[0].name).toBe("alpha");
    expect(g.node[1].attribute[0].f).toBeCloseTo(0.01, 9);
    expect(g.node[5].output).toEqual(["output"]);
    const dims = (v: typeof g.input[0]) => v.type.tensorType.shape.dim;
    expect(dims(g.input[0])).toEqual([{ dimParam: "batch" }, { dimValue: 784 }]);
    expect(dims(g.output[0])).toEqual([{ dimParam: "batch" }, { dimValue: 10 }]);
    const weights = decodeSafetensors(modelToSafetensors(model)).tensors;
    expect(g.initializer.map((t) => t.name))
      .toEqual(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]);
    for (const t of g.initializer) {
      expect(t.dims, t.name).toEqual(weights[t.name].shape);
      expect(t.dataType).toBe(1); // FLOAT
      const raw = Uint8Array.from(t.rawData); // a copy: aligned for the Float32Array view
      const values = new Float32Array(raw.buffer);
      const want = weights[t.name].data;
      expect(values.length, t.name).toBe(want.length);
      expect(values.findIndex((v, i) => v !== want[i]), t.name).toBe(-1);
    }
  });
});

describe("exportOnnx errors", () => {
  it("refuses an empty model, a layer without an ONNX form and mixed dtypes", () => {
    expect(() => exportOnnx(new Sequential([]))).toThrow("exportOnnx: the model has no layers");
    class Custom extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const custom = new Sequential([new Dense({ inputSize: 2, outputSize: 2 }), new Custom()]);
    expect(() => exportOnnx(custom)).toThrow(
      "exportOnnx: layers[1] is a Custom, which has no PyTorch equivalent; " +
        "supported layers: Dense, Activation, Sequential",
    );
    const mixed = new Sequential([
      new Dense({ inputSize: 2, outputSize: 2 }),
      new Dense({ inputSize: 2, outputSize: 2, dtype: "float64" }),
    ]);
    expect(() => exportOnnx(mixed))
      .toThrow("exportOnnx: parameters mix dtypes (float32, float64); convert them to one dtype");
  });

  it("checks its options", () => {
    const model = fromSpec({ input: 2, layers: [{ type: "dense", units: 1 }] });
    expect(() => exportOnnx(model, { inputname: "x" } as object))
      .toThrow(/exportOnnx: unknown option "inputname"; did you mean "inputName"/);
    expect(() => exportOnnx(model, { inputName: "" }))
      .toThrow('exportOnnx: inputName must be a non-empty string; got ""');
    expect(() => exportOnnx(model, { inputName: "x", outputName: "x" }))
      .toThrow('exportOnnx: inputName and outputName must differ; both are "x"');
  });

  it("names its inputs and outputs as asked", async () => {
    const model = fromSpec({ input: 2, layers: [{ type: "dense", units: 1 }], seed: 2 });
    const session = await ort.InferenceSession.create(
      exportOnnx(model, { inputName: "pixels", outputName: "logits" }),
    );
    expect([session.inputNames, session.outputNames]).toEqual([["pixels"], ["logits"]]);
    const x = new Tensor(new Float32Array([1, -2]), [1, 2]);
    const out = await session.run({ pixels: new ort.Tensor("float32", x.data, [1, 2]) });
    expect(out.logits.data[0]).toBeCloseTo(model.forward(x).data[0], 6);
  });
});
