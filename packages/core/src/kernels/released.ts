// Storage given back with `releaseStorage`: its memory may already hold another array, so any
// later use must throw instead of reading someone else's numbers. Until the first release every
// check is one integer test; a compiled step's replay checks its buffers once per release
// (see compile.ts), not per kernel call.
import type { FloatArray } from "../dtype.js";
import type { Kernels } from "./contract.js";
import { KERNEL_NAMES } from "./descriptors.js";

const released = new WeakSet<object>();
let releases = 0;

/** Marks `data` as released: every later use throws. */
export function markReleased(data: FloatArray): void {
  released.add(data);
  releases++;
}

/** How many arrays have been released so far: a replay rechecks its buffers when it changes. */
export function releaseCount(): number {
  return releases;
}

/** Whether `data` was given back with `releaseStorage`. */
export function isReleased(data: unknown): boolean {
  return releases > 0 && typeof data === "object" && data !== null && released.has(data);
}

/**
 * The error for a use of released storage; `owner` names what held it (`sum: x`, a kernel's
 * field, `compileStep: input 0`).
 */
export function releasedError(owner: string): Error {
  return new Error(
    `${owner}'s storage was released with releaseStorage and cannot be used any more ` +
      "(its memory may now belong to another array); release it only when you are done with it",
  );
}

/** Throws if any array in a kernel's record was released. */
export function checkRecord(kernel: string, args: object): void {
  for (const field in args) {
    if (isReleased((args as Record<string, unknown>)[field])) {
      throw releasedError(`${kernel}: ${field}`);
    }
  }
}

// The kernel each guarded wrapper calls, for replays (which check their buffers themselves).
const unguardedKernels = new WeakMap<object, (args: object) => void>();

/** The kernel `guardReleased` wrapped in `kernel`, or `kernel` itself. */
export function unguarded(kernel: (args: object) => void): (args: object) => void {
  return unguardedKernels.get(kernel) ?? kernel;
}

/** `kernels` with each call first checking its arrays, once anything has been released. */
export function guardReleased<K extends Kernels>(kernels: K): K {
  const guarded: Record<string, unknown> = { ...kernels } as Record<string, unknown>;
  for (const name of KERNEL_NAMES) {
    const kernel = unguarded(kernels[name] as (args: object) => void);
    const wrapper = (args: object): void => {
      if (releases > 0) checkRecord(name, args);
      kernel(args);
    };
    unguardedKernels.set(wrapper, kernel);
    guarded[name] = wrapper;
  }
  return guarded as K;
}
