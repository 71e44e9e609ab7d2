// Shapes and strided geometry of every value of a graph for one set of inputs: what the scheduler
// uses to decide which reads can be fused, and what the runtime plan turns into loop strides.
// Non-view values are laid out contiguously at offset 0 (their buffers are ours); views get the
// geometry their op's meta function computes on a stand-in of their input, so no view rule is
// restated here. Offsets of views are relative to their base's offset (view metas add to it).
import { contiguousStrides } from "../../core/shape.js";
import { Tensor } from "../../core/tensor.js";
import type { Graph, Node } from "../../compiler/graph.js";
import { getOp } from "../../ops/registry.js";

export interface Geometry {
  shape: number[];
  strides: number[];
  offset: number;
}

/** Whether a call node is a view the code generator turns into index arithmetic. */
export function isFusableView(n: Node): boolean {
  if (n.op !== "call" || n.target === "getitem") return false;
  const def = getOp(n.target);
  if (def.kind !== "view" || n.outputs.length !== 1) return false;
  // A view with an absolute storage offset (asStrided(offset)) is not relative to its base: run it.
  return !(typeof n.attrs.offset === "number");
}

function isContiguousGeometry(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/** Geometry of an input tensor as the plan sees it: canonical strides when contiguous, offset 0. */
export function inputGeometry(t: Tensor): Geometry {
  const shape = t.shape.slice();
  return { shape, strides: isContiguousGeometry(shape, t._strides) ? contiguousStrides(shape) : t._strides.slice(), offset: 0 };
}

/**
 * Shapes (of every output of every node) and geometries (of every single-output value) for these
 * inputs. With `dynamic` false the shapes are the graph's recorded ones; otherwise every call's
 * meta function runs again on stand-ins, so sizes follow the inputs.
 */
export class Layout {
  readonly shapes: (readonly number[])[][];
  private readonly geo: (Geometry | null)[];

  constructor(
    readonly graph: Graph,
    inputs: readonly Tensor[],
    dynamic: boolean,
  ) {
    const nodes = graph.nodes;
    this.shapes = new Array(nodes.length);
    this.geo = new Array(nodes.length).fill(null);
    let p = 0;
    for (const n of nodes) {
      if (n.op === "placeholder") {
        const t = inputs[p++]!;
        this.shapes[n.id] = [t.shape.slice()];
        this.geo[n.id] = inputGeometry(t);
      } else if (n.op === "call") {
        if (n.target === "getitem") {
          this.shapes[n.id] = [this.shapes[n.args[0]!.id]![n.attrs.index as number]!];
        } else if (!dynamic) {
          this.shapes[n.id] = n.outputs.map((o) => o.shape);
        } else {
          this.shapes[n.id] = this.metaShapes(n, inputs);
        }
      }
    }
  }

  private standIn(n: Node): Tensor {
    if (n.op === "placeholder" && n.placeholderKind !== "tensor") return this.realInput(n)!;
    const g = this.geometry(n);
    return new Tensor(null, g.shape.slice(), g.strides.slice(), g.offset, n.outputs[0]!.dtype);
  }

  private realInputs: readonly Tensor[] | null = null;
  private realInput(n: Node): Tensor | null {
    if (!this.realInputs) return null;
    return this.realInputs[this.graph.placeholders.indexOf(n)] ?? null;
  }

  private metaShapes(n: Node, inputs: readonly Tensor[]): (readonly number[])[] {
    this.realInputs = inputs;
    const def = getOp(n.target);
    let args = n.args;
    if (def.runtimeAttrs && def.runtimeAttrs.length) args = args.slice(0, -1);
    try {
      return def.meta(args.map((a) => this.standIn(a)), n.attrs).map((m) => m.shape);
    } catch {
      return n.outputs.map((o) => o.shape);
    }
  }

  shape(n: Node): readonly number[] {
    return this.shapes[n.id]![0]!;
  }

  /** Geometry of a value: contiguous for computed values, derived through view metas for views. */
  geometry(n: Node): Geometry {
    const known = this.geo[n.id];
    if (known) return known;
    let g: Geometry;
    if (n.op === "call" && isFusableView(n)) {
      const base = this.standIn(n.args[0]!);
      const m = getOp(n.target).meta([base], n.attrs)[0]!;
      g = { shape: m.shape.slice(), strides: m.view!.strides.slice(), offset: m.view!.offset };
    } else {
      const shape = this.shape(n).slice();
      g = { shape, strides: contiguousStrides(shape), offset: 0 };
    }
    this.geo[n.id] = g;
    return g;
  }
}

/** Strides of `g` read by a consumer of shape `target` (numpy broadcasting: aligned right, 0 on size-1). */
export function broadcastTo(g: Geometry, target: readonly number[]): number[] {
  const nd = target.length;
  const off = nd - g.shape.length;
  const s = new Array<number>(nd).fill(0);
  for (let i = 0; i < g.shape.length; i++) if (i + off >= 0) s[i + off] = g.shape[i] === 1 ? 0 : g.strides[i]!;
  return s;
}
