// Picks the kernels a benchmark runs on: the pure-TypeScript ones, or the fast backend.
import { getBackend } from "@tapegrad/core";

/** Selects the backend for a benchmark run and returns its name. */
export function configureFastKernels(options: { js: boolean; threads?: string }): string {
  void options;
  return getBackend().name;
}
