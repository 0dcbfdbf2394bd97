// The convolutional-network kernels (contract.ts names them) as every backend's entries:
// convolution, pooling, normalization statistics, lookups and dropout masks. Their TypeScript
// implementations are installed by the ops that use them (cnn-install.ts), so a program without
// those ops carries none of their code; the entries here dispatch to whatever is installed.
import type { Kernels } from "./contract.js";

/** The convolutional-network kernels' names. */
export const CNN_KERNEL_NAMES = [
  "padPlanes", "conv2d", "conv2dInputGrad", "conv2dWeightGrad", "channelSum",
  "maxPool2d", "maxPool2dBackward", "maxPool2dGather", "avgPool2d", "avgPool2dBackward",
  "batchNormUpdate", "batchNormForward", "batchNormBackward", "batchNormEval", "embedding",
  "embeddingBackward", "classProbabilities", "dropoutMask",
] as const;
export type CnnKernelName = (typeof CNN_KERNEL_NAMES)[number];

type CnnKernels = Pick<Kernels, CnnKernelName>;
const installed: Partial<CnnKernels> = {};

/** Installs TypeScript implementations of CNN kernels (the ops' modules do, when loaded). */
export function installCnnKernels(kernels: Partial<CnnKernels>): void {
  Object.assign(installed, kernels);
}

/**
 * Entries that call `first[name]` where set, else the installed TypeScript kernel (or throw,
 * naming the kernel, when no op has installed it).
 */
export function cnnDispatch(first: Partial<CnnKernels> = {}): CnnKernels {
  return Object.fromEntries(CNN_KERNEL_NAMES.map((name) => [name, (args: never) => {
    const kernel = (first[name] ?? installed[name]) as ((args: never) => unknown) | undefined;
    if (kernel === undefined) {
      throw new Error(
        `${name}: kernel not installed; it is installed when the op that uses it is loaded ` +
          "(import the op from @tapegrad/core)");
    }
    return kernel(args);
  }])) as unknown as CnnKernels;
}

/** The TypeScript implementations, once installed: every dtype, and the reference. */
export const cnnKernels: CnnKernels = cnnDispatch();
