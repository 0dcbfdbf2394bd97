// Moving tensors' storage into the backend's own memory, where its kernels use it in place.
import type { FloatArray } from "./dtype.js";
import { getBackend } from "./kernels/backend.js";
import type { Backend } from "./kernels/contract.js";
import { isReleased, releasedError } from "./kernels/released.js";
import { Tensor } from "./tensor.js";

/**
 * Moves t's float32 storage into `backend`'s own storage (same values; `t.data` becomes the new
 * array), so its kernels read and write it in place; the copy is a kernel call like any other.
 * Float64, already resident, or no such storage (the TypeScript backend): left as it is.
 */
export function moveTensorToResident(backend: Backend, t: Tensor): void {
  if (!(t.data instanceof Float32Array) || backend.isResident(t.data)) return;
  const resident = backend.residentStorage(t.dtype, t.size);
  if (resident === null) return;
  backend.copy({ x: t.data, out: resident });
  (t as { data: FloatArray }).data = resident;
}

/**
 * Moves the storage of float32 tensors (a model's parameters, say) into the current backend's
 * own memory (WebAssembly memory), where its kernels read them and update them in place with no
 * copy per kernel: each `t.data` becomes a new array with the same values. An array taken from
 * `t.data` before keeps the old values and no longer follows the tensor; read `t.data` again.
 * The new array is a view of the shared memory: its `.buffer` is all of it, and
 * `structuredClone` or `postMessage` share it rather than copy; copy with `t.data.slice()`.
 * `compileStep` does this to its parameters, and `fit` for its eager steps too. Float64
 * tensors, tensors already there, and all of them on a backend without such memory (the
 * TypeScript one) are left as they are.
 * @example moveToResident(model.parameters()); // then eager steps and SGD use them in place
 */
export function moveToResident(tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors)) {
    throw new TypeError("moveToResident: tensors must be an array of Tensors");
  }
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) {
      throw new TypeError(`moveToResident: tensors[${i}] is not a Tensor`);
    }
    if (isReleased(t.data)) throw releasedError(`moveToResident: tensors[${i}]`);
  });
  const backend = getBackend();
  for (const t of tensors) moveTensorToResident(backend, t);
}
