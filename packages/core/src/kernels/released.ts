// Storage given back with `releaseStorage`: its memory may already hold another array, so any
// later use must throw instead of reading someone else's numbers. The checks cost one flag test
// until the first release.
import type { FloatArray } from "../dtype.js";
import type { Kernels } from "./contract.js";
import { KERNEL_NAMES } from "./descriptors.js";

const released = new WeakSet<object>();
let anyReleased = false;

/** Marks `data` as released: every later use throws. */
export function markReleased(data: FloatArray): void {
  released.add(data);
  anyReleased = true;
}

/** Whether `data` was given back with `releaseStorage`. */
export function isReleased(data: FloatArray): boolean {
  return anyReleased && released.has(data);
}

/** The error for a use of released storage by `where` (an op and argument, or a kernel). */
export function releasedError(where: string): Error {
  return new Error(
    `${where}: this storage was released with releaseStorage and cannot be used any more ` +
      "(its memory may now belong to another array); keep it until you are done with it",
  );
}

function checkArgs(kernel: string, args: object): void {
  for (const [field, value] of Object.entries(args)) {
    if (ArrayBuffer.isView(value) && released.has(value)) {
      throw releasedError(`${kernel}: ${field}`);
    }
  }
}

/** `kernels` with each call first checking its arrays, once anything has been released. */
export function guardReleased<K extends Kernels>(kernels: K): K {
  const guarded: Record<string, unknown> = { ...kernels } as Record<string, unknown>;
  for (const name of KERNEL_NAMES) {
    const kernel = kernels[name] as (args: object) => void;
    guarded[name] = (args: object): void => {
      if (anyReleased) checkArgs(name, args);
      kernel(args);
    };
  }
  return guarded as K;
}
