// The one path every op call takes: validate through the op's meta function, record autograd
// history, then run the eager kernel or hand the call to the active tracer.
import { canCast, torchTypeName } from "../core/dtype.js";
import { KilnRuntimeError, ShapeError } from "../core/errors.js";
import { accessHooks } from "../core/hooks.js";
import { shapesEqual } from "../core/shape.js";
import { Storage } from "../core/storage.js";
import { stridedCopy } from "../core/strided.js";
import type { TypedArray } from "../core/dtype.js";
import { Tensor } from "../core/tensor.js";
import { contiguousStrides, numelOf } from "../core/shape.js";
import { getOp, installOpCaller, type AnyOpDef, type OutputMeta } from "../ops/registry.js";
import { isGradEnabled, noGrad } from "./grad-mode.js";
import { OpGradNode, FunctionGradNode, type GradNode } from "./grad-node.js";
import { activeTracer } from "./tracer.js";

function needsGrad(def: AnyOpDef, inputs: readonly Tensor[]): boolean {
  if (def.grad === "nondifferentiable" || !isGradEnabled()) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

/** Allocates a contiguous output for a meta, or builds the view a view op describes. */
function materialize(meta: OutputMeta, viewOf: Tensor | undefined): Tensor {
  if (meta.view) {
    const base = viewOf!;
    const t = new Tensor(base._storage, meta.shape, meta.view.strides, meta.view.offset, meta.dtype);
    t._base = base._base ?? base;
    return t;
  }
  return new Tensor(Storage.allocate(meta.dtype, numelOf(meta.shape)), meta.shape, contiguousStrides(meta.shape), 0, meta.dtype);
}

/** Runs an op's eager kernel (or builds its view) without autograd or tracing. */
export function runEager(def: AnyOpDef, inputs: readonly Tensor[], attrs: object, metas: OutputMeta[]): Tensor[] {
  if (def.kind === "view") {
    inputs[0]!._data();
    return metas.map((m) => materialize(m, inputs[0]));
  }
  // Realise lazy inputs (escaped values of a compiled region) before the kernel reads them.
  for (const t of inputs) if (t._lazy !== null) t._data();
  const outs = def.dataDependentShape ? [] : metas.map((m) => materialize(m, undefined));
  const returned = def.kernel!(inputs, attrs, outs);
  return returned ?? outs;
}

function attachGrad(node: GradNode, outs: readonly Tensor[]): void {
  outs.forEach((t, i) => {
    if (t.dtype !== "float32" && t.dtype !== "float64") return;
    t.gradFn = node;
    t._outputNr = i;
    t._requiresGrad = true;
  });
}

/** Runs op `name` on tensor inputs and returns all of its outputs. */
export function dispatch(name: string, inputs: readonly Tensor[], attrs: object = {}): Tensor[] {
  const def = getOp(name);
  const metas = def.meta(inputs, attrs);
  if (def.composite) return def.composite(inputs, attrs);
  const tracer = activeTracer;
  const outs =
    tracer !== null
      ? tracer.record(def, inputs, attrs, metas)
      : runEager(def, inputs, attrs, metas);
  if (needsGrad(def, inputs)) {
    const node = new OpGradNode(def, inputs, attrs, outs);
    node.recordedInTrace = tracer !== null;
    attachGrad(node, outs);
  }
  return outs;
}

/** Runs a single-output op. */
export function dispatch1(name: string, inputs: readonly Tensor[], attrs: object = {}): Tensor {
  return dispatch(name, inputs, attrs)[0]!;
}

function checkInPlaceAutograd(target: Tensor): void {
  if (!isGradEnabled()) return;
  if (target.isLeaf && target.requiresGrad) {
    throw new KilnRuntimeError("a leaf Variable that requires grad is being used in an in-place operation.");
  }
  const base = target._base;
  if (base !== null && base.isLeaf && base.requiresGrad) {
    throw new KilnRuntimeError(
      "a view of a leaf Variable that requires grad is being used in an in-place operation.",
    );
  }
}

/**
 * Writes `value` into `target` as an in-place op does: broadcast to the target's shape, cast to
 * its dtype, bump its version, and move its autograd history onto the new value.
 */
export function writeInto(target: Tensor, value: Tensor, opName = "copy_"): Tensor {
  if (!shapesEqual(value.shape, target.shape)) {
    const expanded = broadcastTo(value, target.shape, opName);
    value = expanded;
  }
  checkInPlaceAutograd(target);
  const recordGrad = isGradEnabled() && (value.requiresGrad || target.requiresGrad);
  if (recordGrad && target._base !== null && target._base.requiresGrad) {
    throw new KilnRuntimeError(
      `kiln does not yet support in-place operations on a view of a tensor that requires grad (${opName} on a view); clone the base first`,
    );
  }
  const tracer = activeTracer;
  if (tracer === null || !tracer.recordWrite(target, value)) {
    if (target._lazy !== null) target._data();
    const src = value._data();
    accessHooks.beforeWrite(target._storage!);
    copyStrided(target, value, src);
    target._storage!.version++;
  }
  if (recordGrad) {
    const source = value;
    const node = new FunctionGradNode("CopyBackwards", [source], 1, ([g]) => [g ?? null]);
    target.gradFn = node;
    target._outputNr = 0;
    target._requiresGrad = true;
  }
  return target;
}

/**
 * The in-place write of writeInto without the copy, for a caller that owns `data` (same dtype and
 * size as the storage; the compiler's write-back of a result buffer): the storage takes the array.
 * Views and other holders of the Storage object see the new contents; the old array is returned.
 */
export function replaceStorageData(storage: Storage, data: TypedArray): TypedArray {
  const old = storage.data;
  accessHooks.beforeWrite(storage);
  storage.data = data;
  storage.version++;
  return old;
}

function broadcastTo(value: Tensor, shape: readonly number[], opName: string): Tensor {
  const n = shape.length;
  const vs = value.shape;
  const ok = vs.length <= n && vs.every((s, i) => s === 1 || s === shape[n - vs.length + i]);
  if (!ok) {
    throw new ShapeError(
      `output with shape [${shape.join(", ")}] doesn't match the broadcast shape [${broadcastDescribe(vs, shape)}] (in ${opName})`,
    );
  }
  return dispatch1("expand", [value], { size: shape.slice() });
}

function broadcastDescribe(a: readonly number[], b: readonly number[]): string {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out.join(", ");
}

/** Element copy with dtype conversion between two same-shaped tensors (eager only). */
function copyStrided(target: Tensor, value: Tensor, src: TypedArray): void {
  // Bool targets store 0/1: route other dtypes through a cast first.
  if (target.dtype === "bool" && value.dtype !== "bool") {
    const v = runEager(getOp("cast"), [value], { dtype: "bool" }, [{ shape: value.shape.slice(), dtype: "bool" }])[0]!;
    stridedCopy(v._data(), v._offset, v._strides, target.shape, target._storage!.data, target._offset, target._strides);
    return;
  }
  stridedCopy(src, value._offset, value._strides, target.shape, target._storage!.data, target._offset, target._strides);
}

/**
 * An in-place op: computes op `name` functionally, checks that the result fits the target's shape
 * and dtype, and writes it into the target (PyTorch's messages for both).
 */
export function dispatchInPlace(name: string, target: Tensor, inputs: readonly Tensor[], attrs: object = {}): Tensor {
  const def = getOp(name);
  const metas = def.meta(inputs, attrs);
  const meta = metas[0]!;
  if (!shapesEqual(meta.shape, target.shape)) {
    throw new ShapeError(
      `output with shape [${target.shape.join(", ")}] doesn't match the broadcast shape [${meta.shape.join(", ")}]`,
    );
  }
  if (!canCast(meta.dtype, target.dtype)) {
    throw new KilnRuntimeError(
      `result type ${torchTypeName(meta.dtype)} can't be cast to the desired output type ${torchTypeName(target.dtype)}`,
    );
  }
  checkInPlaceAutograd(target);
  const recordGrad = needsGrad(def, inputs);
  const tracer = activeTracer;
  // Fast path: eager, no autograd, an elementwise kernel writing straight into a contiguous target.
  if (
    !recordGrad &&
    tracer === null &&
    def.kind === "pointwise" &&
    def.kernel &&
    target.dtype === meta.dtype &&
    target.isContiguous() &&
    target._lazy === null
  ) {
    for (const t of inputs) if (t._lazy !== null) t._data();
    accessHooks.beforeWrite(target._storage!);
    def.kernel(inputs, attrs, [target]);
    target._storage!.version++;
    return target;
  }
  // General path: compute out of place (from a snapshot when autograd needs the old value).
  const args = recordGrad ? inputs.map((t) => (t === target ? dispatch1("clone", [t]) : t)) : inputs;
  const value = dispatch1(name, args, attrs);
  if (recordGrad) {
    noGrad(() => writeInto(target, value, name + "_"));
    target.gradFn = value.gradFn;
    target._outputNr = value._outputNr;
    target._requiresGrad = true;
  } else {
    writeInto(target, value, name + "_");
  }
  return target;
}

installOpCaller(dispatch);
