// A model moved both ways between tapegrad and PyTorch (safetensors), and to ONNX.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Tensor } from "@tapegrad/core";
import { type DataSplit, loadMnist, runTraining, splitData } from "@tapegrad/mnist";
import {
  type ModelSpec, type SafeTensor, decodeSafetensors, encodeSafetensors, fromSpec,
  evaluate, loadSafetensorsInto, modelToSafetensors, torchModelCode,
} from "@tapegrad/nn";
import { exportOnnx } from "@tapegrad/nn/onnx";
import * as ort from "onnxruntime-node";

const dir = fileURLToPath(new URL("../dist/interop/", import.meta.url));
const file = (name: string): string => `${dir}${name}`;
const spec: ModelSpec = {
  input: 784, seed: 1,
  layers: [
    { type: "dense", units: 128, activation: "relu", init: "heNormal" },
    { type: "dense", units: 10, activation: "softmax" },
  ],
};
const PROBE = 1000; // test images whose outputs both sides compare

const { test, train } = await loadMnist({ limit: 5000, validation: 0 });
const probe = rows(test, PROBE);

if (!process.argv.includes("--from-torch")) {
  // 1. tapegrad → PyTorch and ONNX: train briefly, write the weights and a probe batch.
  const { model, test: result } = await runTraining({
    spec, limit: 5000, validation: 0,
    settings: { epochs: 2, optimizer: "adam", learningRate: 1e-3 },
  });
  console.log(`tapegrad: trained on 5000 images, test accuracy ${pct(result.accuracy ?? NaN)}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file("model.safetensors"), modelToSafetensors(model));
  writeFileSync(file("model.onnx"), exportOnnx(model));
  const output = model.forward(probe.x);
  // The same model in onnxruntime: the ONNX file gives the same outputs.
  const session = await ort.InferenceSession.create(file("model.onnx"));
  const run = await session.run({ input: new ort.Tensor("float32", probe.x.data, [PROBE, 784]) });
  const onnxGap = maxGap(run.output.data as Float32Array, output.data);
  console.log(`onnxruntime: outputs on ${PROBE} test images differ from tapegrad's by at most ` +
    onnxGap.toExponential(2));
  writeFileSync(file("data.safetensors"), encodeSafetensors({
    probe_images: plain(probe.x), probe_labels: probe.labels, tapegrad_output: plain(output),
    train_images: plain(rows(train, 5000).x), train_labels: rows(train, 5000).labels,
  }));
  console.log(`wrote ${file("model.safetensors")} (PyTorch's state_dict names and layouts),`);
  console.log(`      ${file("model.onnx")} (ONNX opset 17) and data.safetensors (images)`);
  console.log(`the PyTorch model that loads it with strict=True:\n${torchModelCode(model)}`);
  console.log(`next: python3 examples/interop/torch_side.py ${dir}`);
} else {
  // 2. PyTorch → tapegrad: load the weights PyTorch trained further into the same spec.
  const model = fromSpec(spec);
  loadSafetensorsInto(model, readFileSync(file("from-torch.safetensors")), "from-torch");
  const torchOut = decodeSafetensors(readFileSync(file("torch-output.safetensors"))).tensors;
  const worst = maxGap(torchOut.output.data, model.forward(probe.x).data);
  console.log(`tapegrad: loaded PyTorch's weights; outputs on ${PROBE} test images differ from ` +
    `PyTorch's by at most ${worst.toExponential(2)}`);
  const { accuracy } = evaluate(model, splitData(test));
  console.log(`tapegrad: test accuracy with PyTorch's weights ${pct(accuracy ?? NaN)}`);
}

// The first n samples of a split as a [n, 784] tensor and float32 labels.
function rows(split: DataSplit, n: number): { x: Tensor; labels: SafeTensor } {
  const width = split.images.shape[1];
  const x = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    const row = split.indices[i];
    x.set(split.images.data.subarray(row * width, (row + 1) * width), i * width);
  }
  const labels = Float32Array.from({ length: n }, (_, i) => split.labels[split.indices[i]]);
  return { x: new Tensor(x, [n, width]), labels: { dtype: "float32", shape: [n], data: labels } };
}

function maxGap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function plain(t: Tensor): SafeTensor {
  return { dtype: t.dtype, shape: [...t.shape], data: t.data };
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}
