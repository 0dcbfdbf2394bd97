// Picks the kernels a benchmark runs on: the pure-TypeScript ones, or the fast backend.
import { getBackend, jsBackend, setBackend, setNumThreads } from "@tapegrad/core";

/** Selects the backend (and thread count) for a benchmark run and returns a description. */
export function configureFastKernels(options: { js: boolean; threads?: string }): string {
  if (options.js) setBackend(jsBackend);
  const threads = Number(options.threads ?? 1);
  if (!options.js) setNumThreads(threads);
  return options.js ? getBackend().name : `${getBackend().name}, ${threads} thread(s)`;
}
