// The eager backend: replays a graph op by op through dispatch. It is the reference every other
// backend is compared with, and the fallback when compiling is not possible.
import type { Tensor } from "../core/tensor.js";
import { dispatch } from "../dispatch/dispatch.js";
import { noGrad } from "../dispatch/grad-mode.js";
import { setTracer } from "../dispatch/tracer.js";
import { getOp } from "../ops/registry.js";
import type { Graph, Node } from "../compiler/graph.js";
import type { CompiledGraph } from "./types.js";

/**
 * Runs one call node on concrete inputs, restoring runtime attributes (seeds) from their input.
 * With `into`, the op's kernel writes into those buffers (contiguous, of the node's output shapes
 * and dtypes; the caller owns them) instead of fresh ones, skipping dispatch: the graph's inputs
 * were validated when it was traced.
 */
export function runNode(node: Node, args: Tensor[], into?: Tensor[]): Tensor[] {
  const def = getOp(node.target);
  let attrs: object = node.attrs;
  if (def.runtimeAttrs && def.runtimeAttrs.length) {
    const rng = args.pop()!._data();
    const full: Record<string, unknown> = { ...node.attrs };
    def.runtimeAttrs.forEach((k, i) => (full[k] = rng[i]));
    attrs = full;
  }
  if (!into) return dispatch(node.target, args, attrs);
  for (const t of args) if (t._lazy !== null) t._data();
  if (!def.overwritesOutputs) for (const t of into) t._storage!.data.fill(0);
  return def.kernel!(args, attrs, into) ?? into;
}

/** Whether runNode may run `node` into buffers its caller owns (a kernel writing fixed-shape outputs). */
export function runsInto(node: Node): boolean {
  if (node.op !== "call" || node.target === "getitem") return false;
  const def = getOp(node.target);
  return def.kernel !== undefined && def.kind !== "view" && !def.composite && !def.dataDependentShape;
}

export function eagerBackend(graph: Graph, _exampleInputs: Tensor[] = []): CompiledGraph {
  void _exampleInputs;
  const nodes = graph.nodes;
  return (...inputs: Tensor[]) => {
    const prev = setTracer(null);
    try {
      return noGrad(() => {
        const env = new Map<Node, Tensor[]>();
        let p = 0;
        for (const n of nodes) {
          if (n.op === "placeholder") env.set(n, [inputs[p++]!]);
          else if (n.op === "call") {
            if (n.target === "getitem") env.set(n, [env.get(n.args[0]!)![n.attrs.index as number]!]);
            else env.set(n, runNode(n, n.args.map((a) => env.get(a)![0]!)));
          } else return n.args.map((a) => env.get(a)![0]!);
        }
        return [];
      });
    } finally {
      setTracer(prev);
    }
  };
}
