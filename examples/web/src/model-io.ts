// Models as bytes: a spec.json and a model.safetensors (from the CLI's `train --out`, or saved
// here) made into a model; a model saved as downloads or into IndexedDB.
import { noGrad, softmax, Tensor } from "@tapegrad/core";
import {
  type Model, fromSpec, loadSafetensorsInto, modelToSafetensors, outputActivationOf, parseSpecText,
  resolveObjective,
} from "@tapegrad/nn";
import type { ModelBytes } from "./protocol.js";

/**
 * A model built from its spec with the weights loaded; errors name the files. The canvas gives
 * 784 pixels, so the model must take 784 inputs.
 */
export function modelFromBytes(bytes: ModelBytes, source = "model"): Model {
  const model = fromSpec(bytes.spec);
  if (model.inputSize !== 784) {
    throw new RangeError(`${source}: the model takes ${model.inputSize} inputs; a 28×28 digit ` +
      "gives 784");
  }
  loadSafetensorsInto(model, bytes.weights, `${source} weights`);
  model.eval();
  return model;
}

/** The bytes of a model: its spec and its weights. */
export function modelToBytes(model: Model): ModelBytes {
  return { spec: model.toSpec(), weights: modelToSafetensors(model) };
}

/** Reads the two files a CLI checkpoint holds (spec.json and model.safetensors). */
export async function modelFromFiles(specFile: File, weightsFile: File): Promise<ModelBytes> {
  const spec = parseSpecText(new Uint8Array(await specFile.arrayBuffer()),
    { source: specFile.name });
  return { spec, weights: new Uint8Array(await weightsFile.arrayBuffer()) };
}

/**
 * Per-class probabilities of one 28×28 image (uint8 pixels, scaled / 255 as MNIST's are): the
 * model's own sigmoid or softmax outputs, or softmax of identity outputs (as the CLI's predict).
 */
export function classProbabilities(model: Model, pixels: Uint8Array): number[] {
  const x = new Tensor(Float32Array.from(pixels, (p) => p / 255), [1, pixels.length]);
  return noGrad(() => {
    const out = model.forward(x);
    const identity = resolveObjective(model).loss === "crossEntropy" &&
      outputActivationOf(model) === "identity";
    return Array.from((identity ? softmax(out, -1) : out).data);
  });
}

/** Offers `bytes` as a download named `name`. */
export function download(bytes: Uint8Array | string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Saves the model's two files as downloads, named as the CLI names them. */
export function downloadModel(bytes: ModelBytes): void {
  download(`${JSON.stringify(bytes.spec, null, 2)}\n`, "spec.json", "application/json");
  download(bytes.weights, "model.safetensors", "application/octet-stream");
}

const DB = "tapegrad-web";
const STORE = "models";
const KEY = "saved";

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`IndexedDB: ${request.error?.message}`));
  });
}

async function inStore<T>(
  mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = act(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(new Error(`IndexedDB: ${transaction.error?.message}`));
    });
  } finally {
    db.close();
  }
}

/** Keeps the model in this browser's IndexedDB (one slot), as spec JSON and weight bytes. */
export async function saveToIndexedDb(bytes: ModelBytes): Promise<void> {
  const record = { spec: JSON.stringify(bytes.spec), weights: bytes.weights };
  await inStore("readwrite", (store) => store.put(record, KEY));
}

/** The model kept by {@link saveToIndexedDb}, or undefined when there is none. */
export async function loadFromIndexedDb(): Promise<ModelBytes | undefined> {
  const record = await inStore("readonly", (store) => store.get(KEY)) as
    { spec: string; weights: Uint8Array } | undefined;
  if (record === undefined) return undefined;
  const spec = parseSpecText(record.spec, { source: "IndexedDB" });
  return { spec, weights: record.weights };
}
