// The reverse-mode tape: op nodes numbered in creation order, backward, and grad mode.
import { formatShape, shapesEqual } from "./shape.js";
import { anomalyChecks } from "./anomaly-mode.js";
import type { FloatArray } from "./dtype.js";
import { Tensor } from "./tensor.js";

/**
 * Maps the gradient of an op's output to one gradient per input (null where an input
 * needs none), each already reduced to that input's shape. Written with tensor ops, so
 * running it while recording yields a differentiable gradient (higher order).
 */
export type Vjp = (dy: Tensor) => ReadonlyArray<Tensor | null>;

/** What an op records about its output: the inputs, the vjp and its place on the tape. */
export interface TapeNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly vjp: Vjp;
  /** Creation order: every input has a smaller number than its consumers. */
  readonly seq: number;
}

/** A node as recorded: `freed` is set once a backward pass without retainGraph has run it. */
interface RecordedNode extends TapeNode {
  freed: boolean;
}

let gradEnabled = true;
let nextSeq = 0;
// Depth of vjps running: their ops belong to the backward pass, so anomaly mode reports a
// non-finite gradient once, as the backward of the op that owns the vjp.
let vjpDepth = 0;

/** Whether ops currently record onto the tape. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` with recording switched on or off, restoring the previous mode afterwards. */
export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Runs `fn` without recording: results do not require grad and keep no graph. Use it for
 * evaluation and for in-place parameter updates.
 * @example const acc = noGrad(() => model.forward(x).argmax(1));
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/**
 * Wraps an op's output in a tensor and, when grad mode is on and some input requires grad,
 * records the node that backward will visit.
 */
export function record(
  op: string,
  inputs: readonly Tensor[],
  data: FloatArray,
  shape: readonly number[],
  vjp: Vjp,
): Tensor {
  const out = new Tensor(data, shape);
  const checks = anomalyChecks();
  if (checks !== undefined && vjpDepth === 0) checks.forward(op, inputs, out);
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    const node: RecordedNode = { op, inputs, vjp, seq: nextSeq++, freed: false };
    out.node = node;
  }
  return out;
}

/** Options for backward passes. */
export interface BackwardOptions {
  /** Record the backward pass itself, so the gradients can be differentiated again. */
  readonly createGraph?: boolean;
  /**
   * Keep the graph usable for another backward pass (defaults to `createGraph`). Without it,
   * a backward pass frees every node it runs, and a later pass reaching one of them throws.
   */
  readonly retainGraph?: boolean;
}

/** How `propagate` treats the nodes it runs, and the name its errors start with. */
export interface PropagateOptions {
  /** Keep the nodes run usable for another pass (default false: they are freed). */
  readonly retainGraph?: boolean;
  /** The public entry point, for error messages (default "backward"). */
  readonly caller?: string;
}

/**
 * Propagates `seed` from `root` back through the tape. Returns the gradient of every
 * tensor in `targets` (or, without targets, of every leaf that requires grad); only nodes
 * that lead to a target run. Unless `retainGraph`, the nodes run are freed once the pass
 * succeeds; a pass that would run a freed node throws before running anything.
 */
export function propagate(
  root: Tensor,
  seed: Tensor,
  createGraph: boolean,
  targets?: readonly Tensor[],
  options: PropagateOptions = {},
): Map<Tensor, Tensor> {
  const isTarget = targets ? new Set(targets) : null;
  const order = reachableNodes(root, isTarget);
  const runs = (t: Tensor) => t.node !== null && !isTarget?.has(t);
  for (const t of order) {
    if (runs(t) && (t.node as RecordedNode).freed) {
      throw freedError(options.caller ?? "backward", t.node!);
    }
  }
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const found = new Map<Tensor, Tensor>();
  for (const t of order) {
    const dy = grads.get(t);
    if (dy === undefined) continue;
    if (isTarget ? isTarget.has(t) : t.node === null) {
      found.set(t, dy);
      continue;
    }
    const node = t.node;
    if (node === null) continue; // a leaf nobody asked about
    grads.delete(t); // let intermediate gradients be collected as the walk goes on
    const inputGrads = runVjp(node, dy, createGraph);
    node.inputs.forEach((input, i) => {
      const g = inputGrads[i];
      if (!input.requiresGrad || g === null || g === undefined) return;
      checkGradient(node, i, input, g);
      anomalyChecks()?.backward(node.op, i, input, dy, g);
      const previous = grads.get(input);
      grads.set(input, previous ? withGradMode(createGraph, () => previous.add(g)) : g);
    });
  }
  if (!(options.retainGraph ?? false)) {
    for (const t of order) if (runs(t)) (t.node as RecordedNode).freed = true;
  }
  return found;
}

function freedError(caller: string, node: TapeNode): Error {
  return new Error(
    `${caller}: this graph was already used by an earlier backward pass, which freed it ` +
      `(reached the "${node.op}" node again). Pass { retainGraph: true } to the earlier ` +
      "backward() to run backward through the same graph twice, or add the losses and call " +
      "backward() once",
  );
}

/** The nodes `root.backward()` would run: those between root and the leaves requiring grad. */
export function nodesReached(root: Tensor): TapeNode[] {
  return reachableNodes(root, null).flatMap((t) => (t.node === null ? [] : [t.node]));
}

/** The leaves whose `.grad` `root.backward()` sets: reached from root, no node, requiring grad. */
export function gradLeaves(root: Tensor): Tensor[] {
  return reachableNodes(root, null).filter((t) => t.node === null && t.requiresGrad);
}

/**
 * Tensors reachable from `root` through nodes, ordered by decreasing creation number —
 * every consumer before its inputs. With targets, the walk stops at them and keeps only
 * the tensors from which a target can be reached.
 */
function reachableNodes(root: Tensor, targets: Set<Tensor> | null): Tensor[] {
  const seen = new Set<Tensor>([root]);
  const stack = [root];
  const withNode: Tensor[] = [];
  const leaves: Tensor[] = [];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t.node === null || targets?.has(t)) {
      (t.node === null ? leaves : withNode).push(t);
      continue;
    }
    withNode.push(t);
    for (const input of t.node.inputs) {
      if (input.requiresGrad && !seen.has(input)) {
        seen.add(input);
        stack.push(input);
      }
    }
  }
  withNode.sort((x, y) => y.node!.seq - x.node!.seq);
  const ordered = withNode.concat(leaves);
  return targets ? leadingTo(ordered, targets) : ordered;
}

/** The tensors of `ordered` (consumers first) from which some target can be reached. */
function leadingTo(ordered: readonly Tensor[], targets: Set<Tensor>): Tensor[] {
  const useful = new Set<Tensor>();
  // Backwards through `ordered`: leaves first, then nodes by increasing creation number, so
  // every input is settled before its consumers.
  for (let i = ordered.length - 1; i >= 0; i--) {
    const t = ordered[i];
    const node = targets.has(t) ? null : t.node;
    if (targets.has(t) || (node !== null && node.inputs.some((x) => useful.has(x)))) useful.add(t);
  }
  return ordered.filter((t) => useful.has(t));
}

function runVjp(node: TapeNode, dy: Tensor, createGraph: boolean): ReadonlyArray<Tensor | null> {
  vjpDepth++;
  try {
    return withGradMode(createGraph, () => node.vjp(dy));
  } finally {
    vjpDepth--;
  }
}

function checkGradient(node: TapeNode, index: number, input: Tensor, g: Tensor): void {
  if (!shapesEqual(g.shape, input.shape) || g.dtype !== input.dtype) {
    throw new Error(
      `${node.op}: vjp returned a gradient of ${g.dtype} ${formatShape(g.shape)} for input ` +
        `${index}, which is ${input.dtype} ${formatShape(input.shape)}`,
    );
  }
}
