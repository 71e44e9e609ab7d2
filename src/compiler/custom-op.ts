// library.customOp: an op the compiler never looks into. Its body runs on concrete tensors when
// the graph runs; a fake implementation gives its output metadata while tracing.
import { ArgumentError, KilnError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { dispatch, writeInto } from "../dispatch/dispatch.js";
import { toTensor, type TensorLike } from "../core/operands.js";
import { activeTracer, setTracer } from "../dispatch/tracer.js";
import { defineOp, hasOp } from "../ops/registry.js";
import { recordingFrame } from "./frame.js";
import { traceMetas } from "./meta-trace.js";

export type CustomOpResult = Tensor | Tensor[];
export type CustomOpFn = (...args: Tensor[]) => CustomOpResult;

export interface CustomOpOptions {
  /** Indices of arguments the body writes in place. */
  mutatesArgs?: number[];
}

export interface CustomOp {
  (...args: TensorLike[]): CustomOpResult;
  readonly opName: string;
  /** Gives output metadata: fakeFn builds outputs of the right shapes and dtypes (e.g. with emptyLike). */
  registerFake(fakeFn: CustomOpFn): void;
}

function asList(r: unknown, name: string): Tensor[] {
  const list = Array.isArray(r) ? r : [r];
  for (const t of list) if (!(t instanceof Tensor)) throw new KilnError(`custom op ${name} must return tensors, but returned ${describeValue(t)}`);
  return list as Tensor[];
}

/** library.customOp("ns::name", fn, { mutatesArgs }). */
export function customOp(name: string, fn: CustomOpFn, options: CustomOpOptions = {}): CustomOp {
  if (typeof name !== "string" || !/^[A-Za-z_]\w*::[A-Za-z_]\w*$/.test(name)) {
    throw new ArgumentError(`customOp(): name must look like "namespace::op_name", but got ${describeValue(name)}`);
  }
  if (hasOp(name)) throw new ArgumentError(`customOp(): an op named "${name}" is already registered`);
  if (typeof fn !== "function") throw new ArgumentError(`customOp(): fn must be a function, but got ${describeValue(fn)}`);
  const mutated = options.mutatesArgs ?? [];
  let fake: CustomOpFn | null = null;
  let returnsList = false;

  // The graph form is functional: mutated arguments are cloned, and their new values are extra outputs.
  defineOp<object>({
    name,
    kind: "other",
    meta(inputs) {
      const metas = traceMetas(() => {
        const r = fake!(...inputs);
        returnsList = Array.isArray(r);
        return asList(r, name);
      });
      return [...metas, ...mutated.map((i) => inputs[i]!)].map((m) => ({ shape: m.shape.slice(), dtype: m.dtype }));
    },
    kernel(inputs) {
      const args = inputs.map((t, i) => (mutated.includes(i) ? t.clone() : t));
      const outs = asList(fn(...args), name);
      return [...outs, ...mutated.map((i) => args[i]!)];
    },
    grad: "nondifferentiable",
  });

  const op = ((...rawArgs: TensorLike[]) => {
    const args = rawArgs.map((a, i) => toTensor(a, name, `arg${i}`));
    if (activeTracer === null) return fn(...args);
    if (fake === null) {
      const frame = recordingFrame();
      if (frame === null) throw new KilnError(`custom op ${name} has no fake implementation, so it cannot run for metadata only`);
      frame.graphBreak("custom-op-without-fake", `custom op ${name} has no fake implementation, so its output metadata is unknown`);
      const prev = setTracer(null);
      try {
        return fn(...args);
      } finally {
        setTracer(prev);
      }
    }
    const outs = dispatch(name, args, {});
    const visible = outs.length - mutated.length;
    mutated.forEach((argIndex, k) => writeInto(args[argIndex]!, outs[visible + k]!));
    const result = outs.slice(0, visible);
    return returnsList ? result : result[0]!;
  }) as CustomOp;
  Object.defineProperty(op, "opName", { value: name });
  op.registerFake = (fakeFn: CustomOpFn) => {
    if (typeof fakeFn !== "function") throw new ArgumentError(`registerFake(): expected a function, but got ${describeValue(fakeFn)}`);
    fake = fakeFn;
  };
  return op;
}
