// Autograd methods on tensors: backward, detach, requiresGrad_, hooks, retainGrad.
import { KilnRuntimeError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { backward as runBackward, type BackwardOptions } from "../autograd/engine.js";
import { dispatch1 } from "../dispatch/dispatch.js";
import type { GradNode } from "../dispatch/grad-node.js";
import { installMethods, type AsMethods } from "./methods.js";

export function detach(input: Tensor): Tensor {
  const t = dispatch1("detach", [input]);
  t._requiresGrad = false;
  t.gradFn = null;
  return t;
}

const autogradMethods = {
  backward(self: Tensor, gradient?: Tensor | null, options: BackwardOptions = {}): void {
    runBackward(self, gradient, options);
  },
  detach,
  detach_(self: Tensor): Tensor {
    self.gradFn = null;
    self._requiresGrad = false;
    return self;
  },
  requiresGrad_(self: Tensor, flag = true): Tensor {
    self.requiresGrad = flag;
    return self;
  },
  /** Registers a hook called with this tensor's gradient; it may return a replacement. */
  registerHook(self: Tensor, hook: (grad: Tensor) => Tensor | void): { remove(): void } {
    if (!self.requiresGrad) {
      throw new KilnRuntimeError("cannot register a hook on a tensor that doesn't require gradient");
    }
    if (self.gradFn === null) {
      (self._hooks ??= []).push(hook);
      return { remove: () => void self._hooks!.splice(self._hooks!.indexOf(hook), 1) };
    }
    const node = self.gradFn as GradNode;
    node.addPreHook(self._outputNr, hook);
    return {
      remove: () => {
        const list = node.preHooks?.get(self._outputNr);
        if (list) list.splice(list.indexOf(hook), 1);
      },
    };
  },
  /** Keeps `.grad` of a non-leaf tensor after backward. */
  retainGrad(self: Tensor): void {
    if (self.gradFn === null || self._retainsGrad) return;
    self._retainsGrad = true;
    (self.gradFn as GradNode).addPreHook(self._outputNr, (g) => {
      self.grad = self.grad === null ? g.detach() : self.grad.add(g.detach());
    });
  },
};
installMethods(autogradMethods);

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof autogradMethods> {}
}
