// Optional parts of the generated module: the convolution kernels join it only in programs that
// use them (ops/conv.ts and ops/pool.ts register them when loaded), so a bundle without CNN ops
// carries neither their generators nor their functions.
import type { ModuleBuilder } from "./encoder.js";
import type { KernelConfig } from "./kernel-module.js";

/** Exports every module has that call slices may run (relu's backward masks). */
export const BASE_CALLS = ["stepMul", "stepMulRelu"] as const;

/** A part of the module: its functions, and the exports call slices may run by name. */
export interface ModuleExtension {
  readonly name: string;
  readonly calls: readonly string[];
  add(module: ModuleBuilder, config: KernelConfig): void;
}

const registered: ModuleExtension[] = [];

/**
 * Adds `extension` to every module built from now on (once). A module already built keeps
 * its functions: runners check `State.extensions` and fall back to TypeScript until the next
 * reconfiguration builds one with it.
 */
export function registerExtension(extension: ModuleExtension): void {
  if (!registered.some((e) => e.name === extension.name)) registered.push(extension);
}

/** The registered extensions, in order. */
export function moduleExtensions(): readonly ModuleExtension[] {
  return registered;
}
