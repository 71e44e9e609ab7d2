// The backward engine: walks gradFn nodes in reverse topological order, summing gradients that
// meet at a node, running hooks, and accumulating into leaves' `.grad`. Gradient formulas are
// ordinary ops, so a backward pass run inside a compiled region is traced like any other code.
import { KilnRuntimeError, ArgumentError } from "../core/errors.js";
import { shapesEqual } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { isGradEnabled, noGrad, enableGrad } from "../dispatch/grad-mode.js";
import { AccumulateGrad, gradEdge, type Edge, type GradNode } from "../dispatch/grad-node.js";

export interface BackwardOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
}

function defaultGrad(t: Tensor): Tensor {
  if (t.numel() !== 1) throw new KilnRuntimeError("grad can be implicitly created only for scalar outputs");
  return t.detach().mul(0).add(1);
}

/** Nodes reachable from the roots, in an order where each node comes before the nodes it feeds. */
function topoOrder(roots: GradNode[]): GradNode[] {
  const order: GradNode[] = [];
  const state = new Map<GradNode, 0 | 1>();
  for (const root of roots) {
    const stack: [GradNode, number][] = [[root, 0]];
    if (state.has(root)) continue;
    state.set(root, 0);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      if (i < node.nextFunctions.length) {
        top[1]++;
        const e = node.nextFunctions[i];
        if (e && !state.has(e.node)) {
          state.set(e.node, 0);
          stack.push([e.node, 0]);
        }
      } else {
        stack.pop();
        state.set(node, 1);
        order.push(node);
      }
    }
  }
  return order.reverse();
}

function addGrad(a: Tensor | null, b: Tensor): Tensor {
  return a === null ? b : a.add(b);
}

/**
 * Runs backward from `roots` with their gradients. When `capture` is given, gradients arriving at
 * those edges are returned instead of being accumulated into `.grad` (autograd.grad).
 */
/**
 * Runs a backward pass and returns the tensors it produced (captured gradients, then the new
 * `.grad` of every leaf it touched). Set by the compiler so that the backward of a compiled
 * region is itself traced and compiled; the default runs it eagerly.
 */
export type BackwardRunner = (pass: () => Tensor[]) => void;
let backwardRunner: BackwardRunner | null = null;

export function installBackwardRunner(runner: BackwardRunner): void {
  backwardRunner = runner;
}

function fromCompiledRegion(roots: Tensor[]): boolean {
  return roots.some((r) => (r.gradFn as GradNode | null)?.recordedInTrace === true);
}

function runBackward(
  roots: Tensor[],
  rootGrads: Tensor[],
  options: BackwardOptions,
  capture: Edge[] | null,
): (Tensor | null)[] {
  if (backwardRunner === null || !fromCompiledRegion(roots)) return runBackwardPass(roots, rootGrads, options, capture, []);
  let captured: (Tensor | null)[] = [];
  backwardRunner(() => {
    const touched: Tensor[] = [];
    captured = runBackwardPass(roots, rootGrads, options, capture, touched);
    return [...captured.filter((g): g is Tensor => g !== null), ...touched.map((t) => t.grad!).filter((g) => g !== null)];
  });
  return captured;
}

function runBackwardPass(
  roots: Tensor[],
  rootGrads: Tensor[],
  options: BackwardOptions,
  capture: Edge[] | null,
  touched: Tensor[],
): (Tensor | null)[] {
  const edges = roots.map((r) => {
    const e = gradEdge(r);
    if (e === null) throw new KilnRuntimeError("element 0 of tensors does not require grad and does not have a grad_fn");
    return e;
  });
  const pending = new Map<GradNode, (Tensor | null)[]>();
  const push = (e: Edge, g: Tensor) => {
    let slots = pending.get(e.node);
    if (!slots) {
      slots = new Array<Tensor | null>(e.node.numOutputs).fill(null);
      pending.set(e.node, slots);
    }
    slots[e.outputNr] = addGrad(slots[e.outputNr] ?? null, g);
  };
  edges.forEach((e, i) => push(e, rootGrads[i]!));
  const captured: (Tensor | null)[] = capture ? capture.map(() => null) : [];
  const captureIndex = new Map<GradNode, { outputNr: number; index: number }[]>();
  capture?.forEach((e, index) => {
    const list = captureIndex.get(e.node) ?? [];
    list.push({ outputNr: e.outputNr, index });
    captureIndex.set(e.node, list);
  });
  const run = () => {
    for (const node of topoOrder(edges.map((e) => e.node))) {
      const grads = pending.get(node);
      if (!grads) continue;
      pending.delete(node);
      if (node.preHooks) {
        for (const [nr, hooks] of node.preHooks) {
          for (const h of hooks) {
            const g = grads[nr];
            if (g) grads[nr] = h(g) ?? g;
          }
        }
      }
      const caps = captureIndex.get(node);
      if (caps) {
        for (const c of caps) captured[c.index] = grads[c.outputNr] ?? null;
        if (node instanceof AccumulateGrad) continue;
      }
      if (node instanceof AccumulateGrad) {
        if (capture) continue;
        accumulate(node.variable, grads[0]!, options.createGraph ?? false);
        touched.push(node.variable);
        continue;
      }
      if (grads.every((g) => g === null)) continue;
      const inGrads = node.apply(grads);
      if (!options.retainGraph) node.releaseSaved();
      node.nextFunctions.forEach((e, i) => {
        const g = inGrads[i];
        if (e && g) push(e, g);
      });
    }
  };
  if (options.createGraph) enableGrad(run);
  else noGrad(run);
  return captured;
}

function accumulate(leaf: Tensor, g: Tensor, createGraph: boolean): void {
  let grad = g;
  if (leaf._hooks) for (const h of leaf._hooks) grad = h(grad) ?? grad;
  if (!shapesEqual(grad.shape, leaf.shape)) grad = grad.expand(leaf.shape.slice()).contiguous();
  if (grad.dtype !== leaf.dtype) grad = grad.to(leaf.dtype);
  // The stored grad never aliases a tensor the caller holds (a hook's result or the root gradient).
  if (leaf.grad === null) leaf.grad = createGraph ? grad : noGrad(() => grad.detach().clone());
  else leaf.grad = createGraph ? leaf.grad.add(grad) : noGrad(() => leaf.grad!.add(grad));
}

/** tensor.backward(gradient?, { retainGraph, createGraph }). */
export function backward(t: Tensor, gradient?: Tensor | null, options: BackwardOptions = {}): void {
  if (!(t instanceof Tensor)) throw new ArgumentError("backward(): expected a Tensor");
  if (!t.requiresGrad) {
    throw new KilnRuntimeError("element 0 of tensors does not require grad and does not have a grad_fn");
  }
  const g = gradient ?? defaultGrad(t);
  if (!shapesEqual(g.shape, t.shape)) {
    throw new KilnRuntimeError(`Mismatch in shape: grad_output[0] has a shape of [${g.shape.join(", ")}] and output[0] has a shape of [${t.shape.join(", ")}].`);
  }
  runBackward([t], [g], options, null);
}

export interface GradOptions extends BackwardOptions {
  gradOutputs?: (Tensor | null)[];
  allowUnused?: boolean;
}

/** autograd.grad(outputs, inputs, options): gradients of outputs with respect to inputs. */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const gouts = outs.map((o, i) => options.gradOutputs?.[i] ?? defaultGrad(o));
  const edges = ins.map((t, i) => {
    const e = gradEdge(t);
    if (e === null) throw new KilnRuntimeError(`One of the differentiated Tensors (input ${i}) does not require grad`);
    return e;
  });
  const result = runBackward(outs, gouts, { retainGraph: options.retainGraph ?? options.createGraph, createGraph: options.createGraph }, edges);
  result.forEach((g, i) => {
    if (g === null && !options.allowUnused) {
      throw new KilnRuntimeError(
        `One of the differentiated Tensors (input ${i}) appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.`,
      );
    }
  });
  return result.map((g, i) => (g !== null && g.dtype !== ins[i]!.dtype ? g.to(ins[i]!.dtype) : g));
}

export { isGradEnabled };
