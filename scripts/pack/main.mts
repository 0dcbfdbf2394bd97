// A consumer program for the pack test: strict TypeScript using every public entry of the
// three packed packages by name, type-checked with nodenext and bundler resolution, then run.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Tensor, noGrad, randn, tensor } from "@tapegrad/core";
import { gradcheck } from "@tapegrad/core/testing";
import { Adam, type ModelSpec, SpecError, fromSpec, modelLoss, parseSpecText } from "@tapegrad/nn";
import { loadModel, saveModel } from "@tapegrad/nn/node";
import { encodeIdx, parseIdx } from "@tapegrad/mnist";

const spec: ModelSpec = parseSpecText(`\uFEFF${JSON.stringify({
  input: 2, seed: 4, layers: [
    { type: "dense", units: 8, activation: "tanh" },
    { type: "dense", units: 1, activation: "sigmoid" },
  ],
})}`, "main.mts");
const model = fromSpec(spec);
const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = tensor([[0], [1], [1], [0]]);
const optimizer = new Adam(model.parameters(), { learningRate: 0.05 });
const losses: number[] = [];
for (let step = 0; step < 300; step++) {
  optimizer.zeroGrad();
  const loss: Tensor = modelLoss(model, x, y, "bce");
  loss.backward();
  optimizer.step();
  losses.push(loss.item());
}
const [first, last] = [losses[0] ?? NaN, losses[losses.length - 1] ?? NaN];
assert.ok(last < 0.2 * first, `XOR did not train: ${first} -> ${last}`);

const dir = await mkdtemp(join(tmpdir(), "tapegrad-pack-"));
await saveModel(model, dir);
const again = await loadModel(dir);
noGrad(() => assert.deepEqual(again.forward(x).toArray(), model.forward(x).toArray()));
await rm(dir, { recursive: true });

const a = randn([3, 2], { seed: 1, dtype: "float64" });
assert.equal(gradcheck((t) => t.matmul(t.transpose()).tanh(), [a]).ok, true);
assert.throws(() => fromSpec({ input: 2, layers: [] }), SpecError);

const bytes = encodeIdx({ dtype: "uint8", shape: [2, 2], data: new Uint8Array([1, 2, 3, 4]) });
const idx = parseIdx(bytes, "in-memory");
assert.deepEqual(idx.shape, [2, 2]);

const schemaUrl = import.meta.resolve("@tapegrad/nn/model-spec.schema.json");
const schema = JSON.parse(await readFile(new URL(schemaUrl), "utf8")) as { title: string };
assert.equal(schema.title, "tapegrad model spec");
console.log(`main: XOR loss ${first.toFixed(3)} -> ${last.toFixed(3)}; all checks passed`);
