// compiler.nonstrictTrace(fn): fn is declared pure. Inside a compiled region its ops go into the
// graph and explicit graph breaks inside it are ignored; and once a call has been recorded, later
// calls whose arguments have the same metadata replay the recorded ops without running fn's
// JavaScript (not when autograd must record, nor when fn wrote, broke the graph or drew random
// numbers: then it simply runs again).
import { Tensor } from "../core/tensor.js";
import { isGradEnabled } from "../dispatch/grad-mode.js";
import { activeTracer } from "../dispatch/tracer.js";
import type { Node } from "./graph.js";
import { LazyValue } from "./lazy.js";
import { modes } from "./state.js";
import { GraphTrace } from "./trace.js";

interface Recording {
  /** Nodes that stood for the tensor arguments when the call was recorded. */
  argNodes: Node[];
  /** Calls (and getitems) fn added, in order. */
  calls: Node[];
  /** Placeholders fn created (tensors it read that were not arguments: constants by identity). */
  constants: Map<Node, Tensor>;
  outputs: Node[];
  returnsArray: boolean;
}

/** Metadata key of the arguments, or null when they cannot be keyed (then no replay). */
function argumentsKey(args: readonly unknown[]): string | null {
  let key = "";
  for (const a of args) {
    if (a instanceof Tensor) key += `T${a.dtype}[${a.shape.join(",")}]${a.isContiguous() ? "c" : "s"};`;
    else if (a === null || a === undefined || typeof a === "number" || typeof a === "boolean" || typeof a === "string") {
      key += `${typeof a}:${String(a)};`;
    } else return null;
  }
  return key;
}

function outputList(result: unknown): Tensor[] | null {
  const list = Array.isArray(result) ? result : [result];
  return list.every((t) => t instanceof Tensor) ? (list as Tensor[]) : null;
}

export function nonstrictTrace<F extends (...args: never[]) => unknown>(fn: F): F {
  const recordings = new Map<string, Recording | "unreplayable">();
  const wrapped = function (this: unknown, ...args: Parameters<F>) {
    const trace = activeTracer;
    if (!(trace instanceof GraphTrace) || trace.metaOnly) return callIgnoringBreaks(fn, this, args);
    const tensors = (args as unknown[]).filter((a): a is Tensor => a instanceof Tensor);
    const needsGrad = isGradEnabled() && tensors.some((t) => t.requiresGrad);
    const key = needsGrad ? null : argumentsKey(args);
    const known = key === null ? undefined : recordings.get(key);
    if (known !== undefined && known !== "unreplayable") return replay(trace, known, tensors);

    const argNodes = tensors.map((t) => trace.valueOf(t));
    const start = trace.graph.nodes.length;
    const writes = trace.writeCount;
    const result = callIgnoringBreaks(fn, this, args);
    if (key === null || known === "unreplayable") return result;
    const outs = outputList(result);
    const added = trace.graph.nodes.slice(start);
    const sameTrace = activeTracer === trace && trace.active;
    const random = added.some((n) => n.op === "placeholder" && n.placeholderKind === "rng");
    const outNodes = outs?.map((t) => (t._lazy instanceof LazyValue && t._lazy.storage.trace === trace ? trace.valueOf(t) : null));
    const addedSet = new Set(added);
    const known2 = new Set<Node>([...argNodes, ...added]);
    const selfContained = added.every((n) => n.args.every((a) => known2.has(a) || a.op === "placeholder"));
    if (!sameTrace || random || trace.writeCount !== writes || !outNodes || outNodes.some((n) => n === null || !addedSet.has(n)) || !selfContained) {
      recordings.set(key, "unreplayable");
      return result;
    }
    // Placeholders fn read that are not its arguments are constants (tensors by identity).
    const argSet = new Set(argNodes);
    const constants = new Map<Node, Tensor>();
    const placeholders = trace.graph.placeholders;
    for (const n of added) {
      for (const a of n.args) {
        if (a.op === "placeholder" && !argSet.has(a) && !constants.has(a)) constants.set(a, trace.inputs[placeholders.indexOf(a)]!);
      }
    }
    recordings.set(key, {
      argNodes,
      calls: added.filter((n) => n.op === "call"),
      constants,
      outputs: outNodes as Node[],
      returnsArray: Array.isArray(result),
    });
    return result;
  };
  Object.defineProperty(wrapped, "name", { value: fn.name });
  return wrapped as F;
}

function callIgnoringBreaks<F extends (...args: never[]) => unknown>(fn: F, self: unknown, args: Parameters<F>): ReturnType<F> {
  modes.nonstrictDepth++;
  try {
    return fn.apply(self, args) as ReturnType<F>;
  } finally {
    modes.nonstrictDepth--;
  }
}

/** Copies a recording into the current graph with the new arguments. */
function replay(trace: GraphTrace, rec: Recording, tensors: Tensor[]): Tensor | Tensor[] {
  const map = new Map<Node, Node>();
  rec.argNodes.forEach((n, i) => map.set(n, trace.valueOf(tensors[i]!)));
  for (const [p, t] of rec.constants) map.set(p, trace.valueOf(t));
  for (const n of rec.calls) {
    const args = n.args.map((a) => map.get(a)!);
    map.set(n, n.target === "getitem" ? trace.replayGetitem(args[0]!, n.attrs.index as number) : trace.replayCall(n.target, args, n.attrs, n.outputs));
  }
  const outs = rec.outputs.map((o) => trace.lazyFromNode(map.get(o)!));
  return rec.returnsArray ? outs : outs[0]!;
}
