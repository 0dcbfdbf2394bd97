// Bytes from a file or fetch: a Uint8Array, else an error saying what came and how to wrap it.
import { describe, expect, test } from "vitest";
import { decodeSafetensors } from "./safetensors.js";
import { fromSpec, parseSpecText } from "./spec.js";
import { loadSafetensorsInto, modelToSafetensors } from "./weights.js";

const spec = { input: 2, seed: 1, layers: [{ type: "dense" as const, units: 3 }] };

describe("bytes handed in that are not a Uint8Array", () => {
  test("an ArrayBuffer (fetch's arrayBuffer()) is refused with how to wrap it", () => {
    const model = fromSpec(spec);
    const bytes = modelToSafetensors(model);
    const buffer = bytes.slice().buffer;
    expect(() => loadSafetensorsInto(model, buffer as unknown as Uint8Array, "w.safetensors"))
      .toThrow("loadSafetensorsInto: bytes (w.safetensors) must be a Uint8Array; got an " +
        "ArrayBuffer (wrap it: new Uint8Array(buffer))");
    expect(() => decodeSafetensors(buffer as unknown as Uint8Array))
      .toThrow("decodeSafetensors: bytes must be a Uint8Array; got an ArrayBuffer");
    const text = new TextEncoder().encode(JSON.stringify(spec)).buffer;
    expect(() => parseSpecText(text as unknown as Uint8Array))
      .toThrow("parseSpecText: text must be a string or a Uint8Array; got an ArrayBuffer " +
        "(wrap it: new Uint8Array(buffer))");
    // Wrapped, the same bytes load.
    loadSafetensorsInto(model, new Uint8Array(buffer), "w.safetensors");
    expect(parseSpecText(new Uint8Array(text))).toEqual(spec);
  });

  test("a string or another typed array is named, not read as a short file", () => {
    const model = fromSpec(spec);
    expect(() => loadSafetensorsInto(model, "model.safetensors" as unknown as Uint8Array))
      .toThrow("loadSafetensorsInto: bytes (safetensors) must be a Uint8Array; got a string");
    expect(() => decodeSafetensors(new Float32Array(4) as unknown as Uint8Array))
      .toThrow("got a Float32Array (view its bytes: new Uint8Array(v.buffer, v.byteOffset, " +
        "v.byteLength))");
  });
});
