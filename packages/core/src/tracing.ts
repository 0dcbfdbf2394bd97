// Whether `compileStep` is tracing: reads of values would be frozen into the trace, so the
// places that read values on the host (item, toArray, random numbers) refuse while it is.

let tracing = false;

/** Whether a compiled function is being traced right now. */
export function isTracing(): boolean {
  return tracing;
}

/** Runs `fn` with tracing on, restoring the previous state afterwards. */
export function withTracing<T>(fn: () => T): T {
  const previous = tracing;
  tracing = true;
  try {
    return fn();
  } finally {
    tracing = previous;
  }
}

/** Throws when tracing: `what` would read a value once and replay it forever. */
export function assertNotTracing(what: string): void {
  if (tracing) {
    throw new Error(
      `${what}: not allowed inside a function passed to compileStep; the function is traced ` +
        "once and its kernels replayed, so a value read here would never change. Return the " +
        "tensor from the function instead, or run this step without compileStep",
    );
  }
}
