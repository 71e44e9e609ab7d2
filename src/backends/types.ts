// The backend interface (SPEC §1): a graph and example inputs in, a callable out.
import type { Tensor } from "../core/tensor.js";
import type { Graph } from "../compiler/graph.js";

/** A compiled graph: called with the graph's inputs in placeholder order, returns its outputs. */
export type CompiledGraph = ((...inputs: Tensor[]) => Tensor[]) & {
  /** Generated code, shown by the `output_code` log. */
  code?: string;
};

export type Backend = (graph: Graph, exampleInputs: Tensor[]) => CompiledGraph;
