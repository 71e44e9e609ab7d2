// Lowering before scheduling: ops with a decomposition (the registry's `decompose`, or a proposed
// one from decompositions.ts) are replaced by the primitive ops it records, so their pointwise and
// reduction work can fuse. The decomposition runs once, at compile time, on stand-in tensors with
// a recording tracer; numbers it wraps become constant inputs of the new graph.
import { contiguousStrides } from "../../core/shape.js";
import { Tensor } from "../../core/tensor.js";
import { noGrad } from "../../dispatch/grad-mode.js";
import { setTracer, type Tracer } from "../../dispatch/tracer.js";
import { Graph, type Node } from "../../compiler/graph.js";
import { getOp, type AnyOpDef, type OutputMeta } from "../../ops/registry.js";
import { Layout } from "./layout.js";

type Decompose = (inputs: readonly Tensor[], attrs: Record<string, unknown>) => Tensor[];

function decompositionOf(def: AnyOpDef): Decompose | null {
  // Ops with runtime attributes (random ops) decline in their decompose when randomness is used.
  if (def.kind === "pointwise" || def.kind === "reduction" || def.kind === "view") return null;
  return def.decompose ? (inputs, attrs) => def.decompose!(inputs, attrs) : null;
}

class Abort extends Error {}

/** Records ops into `graph`, expanding nested decompositions. */
class Recorder implements Tracer {
  readonly nodeOf = new Map<Tensor, Node>();
  readonly constants: Tensor[] = [];
  constructor(readonly graph: Graph) {}

  valueOf(t: Tensor): Node {
    const n = this.nodeOf.get(t);
    if (n) return n;
    if (t._storage === null) throw new Abort("a stand-in of another graph");
    const p = this.graph.placeholder("const", { shape: t.shape.slice(), dtype: t.dtype }, t._wrappedNumber ? "scalar" : "tensor");
    this.nodeOf.set(t, p);
    this.constants.push(t);
    return p;
  }

  record(def: AnyOpDef, inputs: readonly Tensor[], attrs: object, metas: OutputMeta[]): Tensor[] {
    if (def.runtimeAttrs?.length || def.dataDependentShape) throw new Abort("random or data-dependent op");
    const nested = decompositionOf(def);
    if (nested) return nested(inputs, attrs as Record<string, unknown>);
    const args = inputs.map((t) => this.valueOf(t));
    const node = this.graph.call(def.name, args, attrs as Record<string, unknown>, metas.map((m) => ({ shape: m.shape.slice(), dtype: m.dtype })));
    return metas.map((m, i) => {
      const t = new Tensor(null, m.shape.slice(), m.view ? m.view.strides.slice() : contiguousStrides(m.shape), m.view ? m.view.offset : 0, m.dtype);
      this.nodeOf.set(t, metas.length === 1 ? node : this.graph.getitem(node, i));
      return t;
    });
  }

  recordWrite(): boolean {
    throw new Abort("a decomposition writes in place");
  }
}

/** The graph with decomposable ops expanded, or null when there is nothing to expand. */
export function expandDecompositions(graph: Graph, inputs: readonly Tensor[]): { graph: Graph; bind: (inputs: readonly Tensor[]) => Tensor[] } | null {
  if (!graph.nodes.some((n) => n.op === "call" && n.target !== "getitem" && decompositionOf(getOp(n.target)))) return null;
  const layout = new Layout(graph, inputs, false);
  const out = new Graph();
  const rec = new Recorder(out);
  const map = new Map<Node, Node>();
  const multi = new Map<Node, Node[]>();
  for (const n of graph.nodes) {
    if (n.op === "placeholder") {
      const p = out.placeholder(n.name, n.outputs[0]!, n.placeholderKind ?? "tensor");
      Object.assign(p.meta, n.meta);
      map.set(n, p);
    } else if (n.op === "output") {
      out.output(n.args.map((a) => map.get(a)!));
    } else if (n.target === "getitem") {
      const parts = multi.get(n.args[0]!);
      map.set(n, parts ? parts[n.attrs.index as number]! : out.getitem(map.get(n.args[0]!)!, n.attrs.index as number));
    } else {
      const decompose = decompositionOf(getOp(n.target));
      let done = false;
      if (decompose) {
        const standIns = n.args.map((a) => {
          const g = layout.geometry(a);
          const t = new Tensor(null, g.shape.slice(), g.strides.slice(), g.offset, a.outputs[0]!.dtype);
          rec.nodeOf.set(t, map.get(a)!);
          return t;
        });
        const size = out.nodes.length;
        const nConstants = rec.constants.length;
        const prev = setTracer(rec);
        try {
          const results = noGrad(() => decompose(standIns, n.attrs as Record<string, unknown>));
          const ok =
            results.length === n.outputs.length &&
            results.every((t, i) => t.dtype === n.outputs[i]!.dtype && t.shape.join() === n.outputs[i]!.shape.join() && rec.nodeOf.has(t));
          if (ok) {
            const nodes = results.map((t) => rec.nodeOf.get(t)!);
            if (nodes.length === 1) map.set(n, nodes[0]!);
            else multi.set(n, nodes);
            done = true;
          }
        } catch {
          done = false;
        } finally {
          setTracer(prev);
        }
        if (!done) {
          // Drop what the failed attempt recorded.
          out.nodes.length = size;
          rec.constants.length = nConstants;
          for (const m of out.nodes) if (m.users.some((u) => u.id >= size)) m.users.splice(0, m.users.length, ...m.users.filter((u) => u.id < size));
          for (const [t, m] of rec.nodeOf) if (m.id >= size) rec.nodeOf.delete(t);
        }
      }
      if (!done) map.set(n, out.call(n.target, n.args.map((a) => map.get(a)!), n.attrs, n.outputs));
    }
  }
  // Placeholders of the new graph in order: an original input (by index) or a constant.
  const sources: (number | Tensor)[] = out.placeholders.map((p) => {
    const orig = [...map.entries()].find(([o, m]) => m === p && o.op === "placeholder");
    if (orig) return graph.placeholders.indexOf(orig[0]);
    return [...rec.nodeOf.entries()].find(([, m]) => m === p)![0];
  });
  return { graph: out, bind: (xs) => sources.map((s) => (typeof s === "number" ? xs[s]! : s)) };
}
