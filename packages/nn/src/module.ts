// Module: named parameters, buffers and submodules, train/eval mode, and state dicts.
import { Rng, Tensor, checkOptions, formatShape, noGrad } from "@tapegrad/core";
import { describeInput } from "./describe.js";

/**
 * `x` itself when it is a Tensor; otherwise a TypeError naming `where` and what it got, so
 * `model.forward([[1, 2]])` says to wrap the array instead of failing deep inside an op.
 * @example checkInput("Dense", x) // Dense: input must be a Tensor; got an array (wrap it …)
 */
export function checkInput(where: string, x: unknown): Tensor {
  if (x instanceof Tensor) return x;
  throw new TypeError(`${where}: input must be a Tensor; got ${describeInput(x)}`);
}

/**
 * Base of every layer and model. Subclasses register parameters, buffers (state that is not
 * trained, such as batch norm's running statistics) and child modules in constructor order;
 * `parameters()` walks them in that stable order with dotted names (`layers.0.weight`).
 */
export abstract class Module {
  readonly #ownParameters = new Map<string, Tensor>();
  readonly #ownBuffers = new Map<string, Tensor>();
  readonly #childModules = new Map<string, Module>();
  /** True in training mode (the default); layers such as dropout behave differently. */
  training = true;

  /** Computes the module's output for a batch-first input. */
  abstract forward(x: Tensor): Tensor;

  /** Registers `tensor` as a trainable parameter named `name` (marks it requiresGrad). */
  protected registerParameter(name: string, tensor: Tensor): Tensor {
    tensor.requiresGrad = true;
    this.#ownParameters.set(name, tensor);
    return tensor;
  }

  /**
   * Registers `tensor` as a buffer named `name`: state the module updates itself (running
   * statistics), saved in state dicts and weight files but not trained (no gradient, not in
   * `parameters()`, so optimizers leave it alone).
   */
  protected registerBuffer(name: string, tensor: Tensor): Tensor {
    tensor.requiresGrad = false;
    this.#ownBuffers.set(name, tensor);
    return tensor;
  }

  /** Registers a child module whose parameters appear under `name.`. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.#childModules.set(name, module);
    return module;
  }

  /** [name, parameter] pairs, depth first in registration order. */
  namedParameters(prefix = ""): Array<[string, Tensor]> {
    return this.#named(prefix, this.#ownParameters, (child, p) => child.namedParameters(p));
  }

  /** Every trainable parameter, in a stable order. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** [name, buffer] pairs, depth first in registration order. */
  namedBuffers(prefix = ""): Array<[string, Tensor]> {
    return this.#named(prefix, this.#ownBuffers, (child, p) => child.namedBuffers(p));
  }

  /** Every buffer (state that is saved but not trained), in a stable order. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /**
   * Parameters and buffers by name in PyTorch's state_dict order: each module's parameters,
   * then its buffers, then its children's.
   */
  namedState(prefix = ""): Array<[string, Tensor]> {
    const own = [...this.#ownParameters, ...this.#ownBuffers];
    return this.#named(prefix, own, (child, p) => child.namedState(p));
  }

  // `own` with `prefix`, then each child's (through the child's public method, `inner`).
  #named(
    prefix: string, own: Iterable<[string, Tensor]>,
    inner: (child: Module, prefix: string) => Array<[string, Tensor]>,
  ): Array<[string, Tensor]> {
    const out = [...own].map(([name, t]): [string, Tensor] => [prefix + name, t]);
    for (const [name, child] of this.#childModules) out.push(...inner(child, `${prefix}${name}.`));
    return out;
  }

  /** [name, module] pairs of the direct children. */
  children(): Array<[string, Module]> {
    return [...this.#childModules];
  }

  /** Clears the gradient of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Switches this module and its children to training (or, with false, evaluation) mode. */
  train(on = true): this {
    this.training = on;
    for (const [, child] of this.#childModules) child.train(on);
    return this;
  }

  /** Switches to evaluation mode. */
  eval(): this {
    return this.train(false);
  }

  /** The parameters and buffers by name (the tensors themselves, not copies). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedState());
  }

  /**
   * Copies values into the parameters and buffers, checking names, shapes and dtypes. With
   * `strict` (the default) missing and unexpected names are errors.
   */
  loadStateDict(state: Record<string, Tensor>, options: { strict?: boolean } = {}): void {
    const { strict = true } = checkOptions("loadStateDict", options, ["strict"]);
    if (typeof state !== "object" || state === null || Array.isArray(state)) {
      throw new TypeError("loadStateDict: state must be an object of tensors by name; got " +
        describeInput(state));
    }
    const own = new Map(this.namedState());
    for (const [name, value] of Object.entries(state)) {
      // Keys the model does not have are ignored (or, with strict, listed below).
      if (!(value instanceof Tensor) && own.has(name)) {
        const got = describeInput(value);
        throw new TypeError(`loadStateDict: "${name}" must be a Tensor; got ${got}`);
      }
    }
    if (strict) {
      const missing = [...own.keys()].filter((k) => !(k in state));
      const unexpected = Object.keys(state).filter((k) => !own.has(k));
      if (missing.length > 0 || unexpected.length > 0) {
        throw new Error(
          `loadStateDict: names do not match; missing [${missing.join(", ")}], ` +
            `unexpected [${unexpected.join(", ")}]`,
        );
      }
    }
    for (const [name, source] of Object.entries(state)) {
      const target = own.get(name);
      if (!target) continue;
      if (source.dtype !== target.dtype || source.size !== target.size ||
        source.shape.some((d, i) => d !== target.shape[i]) || source.rank !== target.rank) {
        throw new Error(
          `loadStateDict: "${name}" is ${target.dtype} ${formatShape(target.shape)} but the ` +
            `state has ${source.dtype} ${formatShape(source.shape)}`,
        );
      }
    }
    noGrad(() => {
      for (const [name, source] of Object.entries(state)) own.get(name)?.data.set(source.data);
    });
  }
}

/** `module` and every module inside it, depth first. */
function modulesOf(module: Module): Module[] {
  return [module, ...module.children().flatMap(([, child]) => modulesOf(child))];
}

/**
 * Puts `module` and every module inside it in training (true) or evaluation (false) mode and
 * returns a function that puts each one back in the mode it had: evaluate() and summary() run
 * in evaluation mode without changing the caller's.
 * @example const restore = enterMode(model, false); try { … } finally { restore(); }
 */
export function enterMode(module: Module, training: boolean): () => void {
  const all = modulesOf(module);
  const before = all.map((m) => m.training);
  module.train(training);
  return () => all.forEach((m, i) => { m.training = before[i]; });
}

/**
 * Runs `fn` and then puts back what running a model changes besides gradients: its buffers
 * (batch norm's running statistics) and the state of every generator its layers draw from
 * (dropout masks). A diagnosis in the middle of training leaves training as it would have been.
 */
export function preservingState<T>(module: Module, fn: () => T): T {
  const buffers = module.buffers().map((b) => [b, b.data.slice()] as const);
  const generators = [...new Set(modulesOf(module)
    .map((m) => (m as { rng?: unknown }).rng)
    .filter((r): r is Rng => r instanceof Rng))];
  const states = generators.map((r) => r.getState());
  try {
    return fn();
  } finally {
    noGrad(() => buffers.forEach(([b, data]) => b.data.set(data)));
    generators.forEach((r, i) => r.setState(states[i]));
  }
}
