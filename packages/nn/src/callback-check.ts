// fit's check of its callbacks: an array of objects, with no hook misspelled.
import { suggestName } from "@tapegrad/core";
import type { Callback } from "./fit-types.js";

/** The hooks of `Callback` (each name type-checked against it). */
const HOOKS: readonly string[] = [
  "onTrainBegin", "onEpochBegin", "afterBackward", "onStep", "onEpochEnd", "onFinding",
  "onTrainEnd",
] satisfies ReadonlyArray<keyof Callback>;

/**
 * Callbacks are an array of objects; a method spelled close to a hook (`onEpochEnds`) would
 * never run, so it is an error. Other keys (a callback's own state, its own `onReport`
 * handler) are left alone, and properties are read as descriptors (no getter runs).
 */
export function checkCallbacks(callbacks: unknown): void {
  if (callbacks === undefined) return;
  if (!Array.isArray(callbacks)) {
    const got = callbacks === null ? "null" : typeof callbacks === "object" ? "an object"
      : typeof callbacks;
    throw new TypeError(`fit: callbacks must be an array of callbacks; got ${got}`);
  }
  callbacks.forEach((c: unknown, i) => {
    if (typeof c !== "object" || c === null) {
      throw new TypeError(`fit: callbacks[${i}] must be an object of hooks (onEpochEnd, …); ` +
        `got ${c === null ? "null" : typeof c}`);
    }
    for (let o: object | null = c; o !== null && o !== Object.prototype;
      o = Object.getPrototypeOf(o)) {
      for (const key of Object.getOwnPropertyNames(o)) {
        const value = Object.getOwnPropertyDescriptor(o, key)?.value;
        if (typeof value !== "function" || HOOKS.includes(key)) continue;
        if (!/^(on|after)[A-Z]/.test(key)) continue;
        const near = suggestName(key, HOOKS);
        if (near === undefined) continue;
        throw new TypeError(`fit: callbacks[${i}] has ${JSON.stringify(key)}, which fit never ` +
          `calls; did you mean ${JSON.stringify(near)}? The hooks: ${HOOKS.join(", ")}`);
      }
    }
  });
}
