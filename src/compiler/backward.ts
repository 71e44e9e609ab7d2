// The backward of a compiled region is itself traced and compiled (DESIGN.md): when backward()
// starts from a tensor whose autograd history was recorded inside a compiled function, the pass
// runs as a compiled function whose graphs are cached like any other.
import type { Tensor } from "../core/tensor.js";
import { installBackwardRunner } from "../autograd/engine.js";
import { activeTracer } from "../dispatch/tracer.js";
import { compileFunction } from "./compile.js";

const compiledBackward = compileFunction(function backward(pass: () => Tensor[]): Tensor[] {
  return pass();
});

installBackwardRunner((pass) => {
  // Already recording (backward inside a compiled function): the ops go into that graph.
  if (activeTracer !== null) pass();
  else compiledBackward(pass);
});
