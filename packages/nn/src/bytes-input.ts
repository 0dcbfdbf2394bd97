// File contents handed in as bytes: a Uint8Array, or an error that names what came instead.
import { describeValue } from "./describe.js";

/**
 * What `value` is, for an error about bytes: an ArrayBuffer (from `fetch(...).arrayBuffer()`
 * or `File.arrayBuffer()`, the common slip) comes with how to wrap it.
 */
export function describeBytes(value: unknown): string {
  if (value instanceof ArrayBuffer) {
    return "an ArrayBuffer (wrap it: new Uint8Array(buffer))";
  }
  if (ArrayBuffer.isView(value)) {
    return `a ${value.constructor.name} (view its bytes: new Uint8Array(v.buffer, ` +
      "v.byteOffset, v.byteLength))";
  }
  if (typeof value === "string") return "a string";
  return value === null || typeof value !== "object" ? String(value) : describeValue(value);
}

/** Throws a TypeError naming `where` unless `value` is a Uint8Array (a Node Buffer is one). */
export function checkBytes(where: string, value: unknown): asserts value is Uint8Array {
  // By its tag, not instanceof: a Uint8Array from another realm (an iframe, vm, jsdom) is one.
  if (Object.prototype.toString.call(value) !== "[object Uint8Array]") {
    throw new TypeError(`${where} must be a Uint8Array; got ${describeBytes(value)}`);
  }
}
