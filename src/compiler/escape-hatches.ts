// Escape hatches and controls (SPEC §4, §5): graphBreak, skipFrame, errorOnGraphBreak, disable
// and cond (nonstrictTrace is in nonstrict.ts).
import { ArgumentError, KilnError, ShapeError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { setTracer, activeTracer } from "../dispatch/tracer.js";
import { dispatch1 } from "../dispatch/dispatch.js";
import { activeFrame, recordingFrame } from "./frame.js";
import { modes } from "./state.js";
import { traceMetas } from "./meta-trace.js";

/** compiler.graphBreak(): forces a break here (ignored inside nonstrictTrace). */
export function graphBreak(): void {
  const frame = recordingFrame();
  if (frame === null || modes.nonstrictDepth > 0) return;
  frame.graphBreak("explicit-graph-break", "compiler.graphBreak() was called");
}

/** compiler.skipFrame(): the current compiled function runs eagerly from here, now and later. */
export function skipFrame(): void {
  const frame = activeFrame();
  if (frame !== null) frame.skip();
}

/** Wraps fn so that during its calls a graph break throws (true) or is allowed (false). */
export function errorOnGraphBreak<F extends (...args: never[]) => unknown>(flag: boolean, fn: F): F {
  if (typeof flag !== "boolean") throw new ArgumentError(`errorOnGraphBreak(): flag must be a boolean, but got ${describeValue(flag)}`);
  return function (this: unknown, ...args: Parameters<F>) {
    modes.errorOnBreak.push(flag);
    try {
      return fn.apply(this, args);
    } finally {
      modes.errorOnBreak.pop();
    }
  } as F;
}

export interface DisableOptions {
  /** true (default): compiled functions called inside also run eagerly. */
  recursive?: boolean;
}

/** compiler.disable(fn): calls always run eagerly, with a graph break before them in compiled code. */
export function disable<F extends (...args: never[]) => unknown>(fn: F, options: DisableOptions = {}): F {
  const recursive = options.recursive ?? true;
  const name = fn.name || "<anonymous>";
  const wrapped = function (this: unknown, ...args: Parameters<F>) {
    const frame = recordingFrame();
    if (frame !== null) frame.graphBreak("disabled-function", `call to '${name}', which is wrapped by compiler.disable`);
    const prev = setTracer(null);
    if (recursive) modes.disabledDepth++;
    try {
      return fn.apply(this, args);
    } finally {
      if (recursive) modes.disabledDepth--;
      setTracer(prev);
    }
  };
  Object.defineProperty(wrapped, "name", { value: name });
  return wrapped as F;
}

type Branch = (...operands: Tensor[]) => Tensor | Tensor[];

function asList(v: Tensor | Tensor[], which: string): Tensor[] {
  const list = Array.isArray(v) ? v : [v];
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ArgumentError(`cond(): ${which} must return tensors, but output ${i} is ${describeValue(t)}`);
  });
  return list;
}

function checkBranchesMatch(a: { shape: readonly number[]; dtype: string }[], b: { shape: readonly number[]; dtype: string }[]): void {
  if (a.length !== b.length) {
    throw new ShapeError(`cond(): trueFn returned ${a.length} tensors but falseFn returned ${b.length}; both branches must return the same number of tensors`);
  }
  a.forEach((x, i) => {
    const y = b[i]!;
    if (x.dtype !== y.dtype || x.shape.length !== y.shape.length || x.shape.some((s, d) => s !== y.shape[d])) {
      throw new ShapeError(
        `cond(): output ${i} of trueFn is ${x.dtype}[${x.shape.join(", ")}] but output ${i} of falseFn is ${y.dtype}[${y.shape.join(", ")}]; both branches must return the same shapes and dtypes`,
      );
    }
  });
}

/**
 * cond(pred, trueFn, falseFn, operands): data-dependent branching without a graph break. Both
 * branches are captured (and checked to agree); only the taken branch's result is returned.
 */
export function cond(pred: boolean | Tensor, trueFn: Branch, falseFn: Branch, operands: Tensor[] = []): Tensor | Tensor[] {
  if (typeof trueFn !== "function" || typeof falseFn !== "function") throw new ArgumentError("cond(): trueFn and falseFn must be functions");
  if (!Array.isArray(operands)) throw new ArgumentError(`cond(): operands must be an array of tensors, but got ${describeValue(operands)}`);
  if (pred instanceof Tensor) {
    if (pred.numel() !== 1) throw new ShapeError(`cond(): pred must be a boolean or a one-element tensor, but got a tensor of shape [${pred.shape.join(", ")}]`);
  } else if (typeof pred !== "boolean") {
    throw new ArgumentError(`cond(): pred must be a boolean or a one-element bool tensor, but got ${describeValue(pred)}`);
  }
  const single = (v: Tensor | Tensor[]) => !Array.isArray(v);
  if (activeTracer === null || typeof pred === "boolean") {
    // Eager (or a JS boolean): run the taken branch, check the other one's metadata without computing it.
    const taken = (typeof pred === "boolean" ? pred : Boolean(pred.item())) ? trueFn : falseFn;
    const other = taken === trueFn ? falseFn : trueFn;
    const out = taken(...operands);
    const outs = asList(out, taken === trueFn ? "trueFn" : "falseFn");
    const otherMetas = traceMetas(() => asList(other(...operands), other === trueFn ? "trueFn" : "falseFn"));
    if (taken === trueFn) checkBranchesMatch(outs, otherMetas);
    else checkBranchesMatch(otherMetas, outs);
    return out;
  }
  // Traced with a tensor predicate: both branches go into the graph and `where` picks per output.
  const a = trueFn(...operands);
  const b = falseFn(...operands);
  const as = asList(a, "trueFn");
  const bs = asList(b, "falseFn");
  checkBranchesMatch(as, bs);
  const p = pred.dtype === "bool" ? pred.reshape([]) : dispatch1("ne", [pred.reshape([]), Tensor.fromData(new Int32Array([0]), [], "int32")]);
  const picked = as.map((x, i) => dispatch1("where", [p, x, bs[i]!]));
  return single(a) ? picked[0]! : picked;
}

export { KilnError };
