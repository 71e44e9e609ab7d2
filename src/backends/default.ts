// The "default" backend: the fusing code generator with the native C++ target where a compiler
// is available (and KILN_DEFAULT_TARGET is not "js"), the JavaScript target otherwise. "js" and
// "native" name the targets explicitly.
import { envVar } from "../core/env.js";
import { KilnError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { Graph } from "../compiler/graph.js";
import { codegenWith } from "./codegen/index.js";
import { unavailableReason } from "./native/build.js";
import { availableNativeTarget } from "./native/target.js";
import type { Backend, CompiledGraph } from "./types.js";

export const defaultBackend: Backend = (graph: Graph, exampleInputs: Tensor[]): CompiledGraph =>
  codegenWith(envVar("KILN_DEFAULT_TARGET") === "js" ? null : availableNativeTarget(), graph, exampleInputs);

export const jsBackend: Backend = (graph, exampleInputs) => codegenWith(null, graph, exampleInputs);

export const nativeBackend: Backend = (graph, exampleInputs) => {
  const target = availableNativeTarget();
  if (!target) throw new KilnError(`backend "native" is unavailable here: ${unavailableReason()}. Use backend "default" to fall back to the JavaScript target.`);
  return codegenWith(target, graph, exampleInputs);
};
