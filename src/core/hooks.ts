// Hooks through which upper layers (the compiler) take part in tensor data access without the
// core depending on them. The defaults do nothing: eager tensors are always concrete.
import type { Storage } from "./storage.js";
import type { Tensor } from "./tensor.js";

/** Why a tensor's values are being read; the compiler maps these to graph-break types. */
export type AccessKind = "item" | "data" | "primitive" | "print";

export interface TensorAccessHooks {
  /** Makes a lazy tensor concrete (runs or recomputes the graph that produces it). */
  realize(t: Tensor, access: AccessKind): void;
  /** Called when a concrete tensor's values are read; a trace uses this to specialise on them. */
  observeRead(t: Tensor, access: AccessKind): void;
  /** Called before an eager in-place write to `storage`. */
  beforeWrite(storage: Storage): void;
}

const noHooks: TensorAccessHooks = {
  realize() {
    throw new Error("kiln internal error: a lazy tensor exists but no compiler is installed");
  },
  observeRead() {},
  beforeWrite() {},
};

export let accessHooks: TensorAccessHooks = noHooks;

export function installAccessHooks(hooks: TensorAccessHooks): void {
  accessHooks = hooks;
}
