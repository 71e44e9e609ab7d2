// Graph transformations used by the frontend.
import { Graph, type Node } from "./graph.js";

/**
 * A new graph computing `outputs` from the placeholders they depend on. Returns the graph and,
 * for each of its placeholders, the index of the original placeholder it stands for.
 */
export function extractSubgraph(graph: Graph, outputs: readonly Node[]): { graph: Graph; inputIndices: number[] } {
  const needed = new Set<Node>();
  const stack = [...outputs];
  while (stack.length) {
    const n = stack.pop()!;
    if (needed.has(n)) continue;
    needed.add(n);
    stack.push(...n.args);
  }
  const sub = new Graph();
  const map = new Map<Node, Node>();
  const inputIndices: number[] = [];
  let placeholderIndex = 0;
  for (const n of graph.nodes) {
    if (n.op === "placeholder") {
      if (needed.has(n)) {
        map.set(n, sub.placeholder(n.nameHint, n.outputs[0]!, n.placeholderKind ?? "tensor"));
        inputIndices.push(placeholderIndex);
      }
      placeholderIndex++;
    } else if (n.op === "call" && needed.has(n)) {
      const args = n.args.map((a) => map.get(a)!);
      map.set(n, n.target === "getitem" ? sub.getitem(args[0]!, n.attrs.index as number) : sub.call(n.target, args, n.attrs, n.outputs));
    }
  }
  sub.output(outputs.map((o) => map.get(o)!));
  return { graph: sub, inputIndices };
}

/** Nodes that (transitively) read any of `sources`. */
export function dependentsOf(graph: Graph, sources: ReadonlySet<Node>): Set<Node> {
  const dep = new Set<Node>(sources);
  for (const n of graph.nodes) {
    if (n.op === "call" && n.args.some((a) => dep.has(a))) dep.add(n);
  }
  return dep;
}
