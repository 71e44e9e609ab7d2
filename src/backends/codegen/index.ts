// kiln's default backend: a fusing code generator to JavaScript. A graph is scheduled once
// (schedule.ts: kernels of fused pointwise and reduction work, views as index arithmetic, other
// ops through their eager kernels); each kernel is rendered (render-js.ts) per loop variant and
// compiled with `new Function`. Each call looks up the plan for its input layout (plan.ts: loop
// sizes and strides, computed once per layout, so dynamic dims are runtime sizes), runs the steps,
// and returns fresh contiguous outputs. Buffers of values that do not leave the graph (fused
// intermediates, and results of extern ops run into buffers given to their kernels) belong to the
// plan and are reused across calls. A target (the native one) may run the kernel right after a
// matmul inside the product, on its rows as they are finished (schedule.ts `epilogue`).
import { envVar } from "../../core/env.js";
import { allocate, type DType, type TypedArray } from "../../core/dtype.js";
import { numelOf, shapesEqual } from "../../core/shape.js";
import { Tensor } from "../../core/tensor.js";
import { noGrad } from "../../dispatch/grad-mode.js";
import { setTracer } from "../../dispatch/tracer.js";
import type { Graph, Node } from "../../compiler/graph.js";
import { eagerBackend, runNode, runsInto } from "../eager.js";
import type { CompiledGraph } from "../types.js";
import { Layout } from "./layout.js";
import { planKernel, scheduleFits, type KernelPlan } from "./plan.js";
import { renderKernel, variantKey } from "./render-js.js";
import { buildSchedule, homeStrides, printSchedule, readsHome, stridesOverF, type Kernel, type Member, type Schedule } from "./schedule.js";
import { expandDecompositions } from "./decompose.js";

export type KernelFn = (D: TypedArray[], O: number[], P: KernelPlan, A: readonly object[]) => void;

/**
 * Another code generator for the same schedule (the native C++ target). `build` receives every
 * kernel with its plan for the example inputs and compiles them as one module; `resolve` gives
 * the target's function for a kernel and plan, or null while it is being built in the background
 * or when this kernel or layout is not supported (the JavaScript kernel runs instead).
 */
export interface KernelTarget {
  name: string;
  build(items: { kernel: Kernel; plan: KernelPlan }[]): TargetModule;
}
export interface TargetModule {
  /** Generated code for the output_code log. */
  code: string;
  resolve(kernel: Kernel, plan: KernelPlan): KernelFn | null;
  /** Whether functions not available before may be available now (a background build finished). */
  changed(): boolean;
  /** Called with each fresh output buffer before a kernel first writes it (the native target asks for huge pages). */
  prepareOutput?(data: TypedArray): void;
  /**
   * For a kernel with an `epilogue` (schedule.ts): a function taking the kernel's arguments that
   * arms it to run inside the matrix product just before it, or null where the target cannot.
   */
  resolveEpilogue?(kernel: Kernel, plan: KernelPlan): KernelFn | null;
  /** After the product: whether the armed epilogue ran (else it is disarmed and the caller runs the kernel). */
  epilogueRan?(): boolean;
}

interface CompiledKernel {
  kernel: Kernel;
  attrs: object[];
  variants: Map<string, { fn: KernelFn; source: string; scratch: number }>;
  /** Members whose buffers are written, with their store access index. */
  stored: Member[];
  /** Read accesses (indices) and the node ids of their source tensors. */
  loads: number[];
  sources: number[];
}

interface Plan {
  /** Run the graph eagerly: the schedule does not fit this layout. */
  eager: boolean;
  layout: Layout;
  /** Per kernel: its plan, its function, and the call arming it as its product's epilogue (or null). */
  kernels: { plan: KernelPlan; fn: KernelFn; epilogue: KernelFn | null }[];
  /** Buffers of materialised intermediates (not outputs), reused across calls. */
  temps: Map<Member, Tensor>;
  /** Output buffers of extern ops whose values stay inside the graph, reused across calls. */
  externTemps: Map<Node, Tensor[]>;
  tempStorages: Set<unknown>;
}

/**
 * Whether kernel k, for this layout, reads its product's output (schedule.ts `epilogue`) element
 * for element in its own loop order, so that rows of the product are rows (or elements) of the
 * kernel: same shape, every read at the element's own position; a row kernel's plan keeps the
 * last dim as its one reduced dim.
 */
function epilogueFits(k: Kernel, kp: KernelPlan, layout: Layout): boolean {
  const e = k.epilogue;
  if (!e || kp.variant.column) return false;
  const F = layout.shape(k.anchor);
  if (!shapesEqual(layout.shape(e.product), F)) return false;
  if (k.red && (kp.rShape.length !== 1 || kp.rn !== F[F.length - 1])) return false;
  const home = homeStrides(F, k.red, "full");
  for (const a of k.accesses) {
    if (a.source !== e.product) continue;
    const g = layout.geometry(a.source);
    if (!readsHome(F, k.red, stridesOverF(F, k.red, g, a.target ? layout.shape(a.target) : null, "full"), g.offset, home)) return false;
  }
  return true;
}

/**
 * Whether kernel k (an elementwise epilogue of its product, `into` being the product's buffer) may
 * write its one stored value `m` over the product: nothing else reads the product, and each
 * element is read and then written at the same position. Run inside the product, the kernel then
 * rewrites cache lines the product has just written, where a buffer of its own would be read in
 * from memory first (write-allocate); run after it, it touches half the memory. (The C++ kernels
 * declare their pointers restrict; an element read and then written at one position through two
 * of them is still ordered by the data dependency.)
 */
function writesOverProduct(k: Kernel, m: Member, into: Tensor, kp: KernelPlan, layout: Layout): boolean {
  const e = k.epilogue!;
  if (k.red || m.output || m.node.dtype !== into.dtype || !m.store || m.store.views.length > 0 || m.store.level !== "full") return false;
  if (!shapesEqual(layout.shape(m.node), layout.shape(k.anchor)) || !epilogueFits(k, kp, layout)) return false;
  const inKernel = new Set(k.members.map((x) => x.node));
  return e.product.users.every((u) => inKernel.has(u));
}

function variantOf(ck: CompiledKernel, kp: KernelPlan): { fn: KernelFn; source: string } {
  const key = variantKey(kp.variant);
  let v = ck.variants.get(key);
  if (!v) {
    const { source, scratch } = renderKernel(ck.kernel, kp.variant);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    v = { fn: new Function("D", "O", "P", "A", source) as KernelFn, source, scratch };
    ck.variants.set(key, v);
  }
  while (kp.scratch.length < v.scratch) kp.scratch.push(new Float64Array(kp.rn));
  return v;
}

/** Test mode (KILN_POISON_OUTPUTS=1): fresh buffers start as garbage, so an element a kernel fails to write shows. */
const POISON = envVar("KILN_POISON_OUTPUTS") === "1";

function freshBuffer(dtype: DType, shape: readonly number[]): Tensor {
  const data = allocate(dtype, numelOf(shape));
  if (POISON) data.fill(dtype === "bool" ? 7 : dtype === "int32" ? -123456789 : NaN);
  return Tensor.fromData(data, shape.slice(), dtype);
}

/** Compiles a graph into fused JavaScript kernels (the "default" backend's JavaScript target). */
export function codegenBackend(graph: Graph, exampleInputs: Tensor[] = []): CompiledGraph {
  return codegenWith(null, graph, exampleInputs);
}

/** The fusing code generator with kernels from `target` where it has them, JavaScript elsewhere. */
export function codegenWith(target: KernelTarget | null, graph: Graph, exampleInputs: Tensor[] = []): CompiledGraph {
  const placeholders = graph.placeholders;
  if (exampleInputs.length !== placeholders.length || !graph.outputNode) return eagerBackend(graph, exampleInputs);
  const dynamic = placeholders.some((p) => ((p.meta.dynamicDims as number[] | undefined)?.length ?? 0) > 0);
  // Composite "other" ops with a registered decomposition are expanded (static shapes only: a
  // decomposition may bake sizes into attributes).
  const expanded = dynamic ? null : expandDecompositions(graph, exampleInputs);
  const g = expanded?.graph ?? graph;
  const inputsOf = (inputs: Tensor[]): Tensor[] => (expanded ? expanded.bind(inputs) : inputs);

  const exampleLayout = new Layout(g, inputsOf(exampleInputs), dynamic);
  const schedule: Schedule = buildSchedule(g, exampleLayout);
  const compiled: CompiledKernel[] = schedule.kernels.map((k) => ({
    kernel: k,
    attrs: k.members.map((m) => m.attrs),
    variants: new Map(),
    stored: k.members.filter((m) => m.store),
    loads: k.accesses.filter((a) => !a.store).map((a) => a.index),
    sources: k.accesses.filter((a) => !a.store).map((a) => a.source.id),
  }));
  const gph = g.placeholders;
  const varying = placeholders.map((p, i) => p.placeholderKind === "tensor" && (dynamic || !exampleInputs[i]!.isContiguous()));
  const anyVarying = varying.some((v) => v);
  const fallback = eagerBackend(graph, exampleInputs);

  const graphOutputs = new Set(schedule.outputs);
  const internalExterns = schedule.steps.flatMap((step) => {
    if (step.kind !== "extern" || !runsInto(step.node)) return [];
    const n = step.node;
    const values = n.outputs.length === 1 ? [n] : n.users.filter((u) => u.target === "getitem");
    return values.some((v) => graphOutputs.has(v)) ? [] : [n];
  });

  const makePlan = (inputs: Tensor[]): Plan => {
    const layout = inputs === exampleInputs ? exampleLayout : new Layout(g, inputsOf(inputs), dynamic);
    if (dynamic && !scheduleFits(schedule, layout)) return { eager: true, layout, kernels: [], temps: new Map(), externTemps: new Map(), tempStorages: new Set() };
    const kernels = compiled.map((ck) => {
      const plan = planKernel(ck.kernel, layout);
      return { plan, fn: module?.resolve(ck.kernel, plan) ?? variantOf(ck, plan).fn, epilogue: epilogueOf(ck, plan, layout) };
    });
    const temps = new Map<Member, Tensor>();
    for (const ck of compiled) for (const m of ck.stored) if (!m.output) temps.set(m, freshBuffer(m.node.dtype, layout.shape(m.node)));
    // Extern values that are not graph outputs get buffers of the plan too: a fresh buffer per
    // call costs page faults that can exceed the op itself (a 4 MB matmul result: about 3 ms).
    const externTemps = new Map<Node, Tensor[]>();
    for (const n of internalExterns) externTemps.set(n, layout.shapes[n.id]!.map((shape, i) => freshBuffer(n.outputs[i]!.dtype, shape)));
    for (const ck of compiled) {
      const m = ck.stored.length === 1 ? ck.stored[0]! : null;
      const into = ck.kernel.epilogue ? externTemps.get(ck.kernel.epilogue.product)?.[0] : undefined;
      if (m && into && writesOverProduct(ck.kernel, m, into, kernels[ck.kernel.id]!.plan, layout)) temps.set(m, into);
    }
    const storages = [...new Set([...temps.values(), ...[...externTemps.values()].flat()])].map((t) => t._storage);
    return { eager: false, layout, kernels, temps, externTemps, tempStorages: new Set(storages) };
  };

  /** Products whose outputs are plan buffers (known before they run): their kernels may be epilogues. */
  const bufferedProducts = new Set(internalExterns);
  const epilogueOf = (ck: CompiledKernel, kp: KernelPlan, layout: Layout): KernelFn | null => {
    const e = ck.kernel.epilogue;
    if (!e || !module?.resolveEpilogue || ck.stored.length === 0 || !bufferedProducts.has(e.product) || !epilogueFits(ck.kernel, kp, layout)) return null;
    return module.resolveEpilogue(ck.kernel, kp);
  };

  const plans = new Map<string, Plan>();
  // The target's module, built from the example inputs' plans (the JS kernels stay as fallback).
  let module: TargetModule | null = null;
  const refresh = (): void => {
    const all = fixed ? [fixed, ...plans.values()] : [...plans.values()];
    for (const p of all) for (const ck of compiled) {
      const slot = p.kernels[ck.kernel.id];
      if (!slot) continue;
      slot.fn = module!.resolve(ck.kernel, slot.plan) ?? slot.fn;
      slot.epilogue = epilogueOf(ck, slot.plan, p.layout);
    }
  };
  const keyOf = (inputs: Tensor[]): string => {
    let key = "";
    for (let i = 0; i < inputs.length; i++) {
      if (!varying[i]) continue;
      const t = inputs[i]!;
      key += t.shape.join(",") + (t.isContiguous() ? ";" : ":" + t._strides.join(",") + ";");
    }
    return key;
  };
  let fixed: Plan | null = null;
  const planFor = (inputs: Tensor[]): Plan => {
    if (!anyVarying) return (fixed ??= makePlan(inputs));
    const key = keyOf(inputs);
    let p = plans.get(key);
    if (!p) {
      if (plans.size >= 32) plans.clear();
      p = makePlan(inputs);
      plans.set(key, p);
    }
    return p;
  };

  const nNodes = g.nodes.length;
  const nOut = schedule.outputs.length;
  const outputIds = schedule.outputs.map((o) => o.id);
  const outputFresh = schedule.outputs.map((o) => schedule.members.get(o)?.output === true);
  const checkDuplicates = new Set(schedule.outputs).size !== nOut;
  let busy = false;

  /** The arguments of kernel ck for this call; allocates or takes its output buffers and records them in env. */
  const kernelArgs = (ck: CompiledKernel, kp: KernelPlan, plan: Plan, env: (Tensor | undefined)[], reentrant: boolean): { D: TypedArray[]; O: number[] } => {
    const k = ck.kernel;
    const n = ck.loads.length;
    const D: TypedArray[] = new Array(k.accesses.length);
    const O: number[] = new Array(k.accesses.length);
    for (let j = 0; j < n; j++) {
      const i = ck.loads[j]!;
      const src = env[ck.sources[j]!];
      if (src === undefined) continue; // a dead member's input
      D[i] = src._data();
      O[i] = src._offset + kp.offsets[i]!;
    }
    for (const m of ck.stored) {
      let t = plan.temps.get(m);
      if (m.output || reentrant || !t) {
        t = freshBuffer(m.node.dtype, plan.layout.shape(m.node));
        module?.prepareOutput?.(t._storage!.data);
      }
      D[m.store!.index] = t._storage!.data;
      O[m.store!.index] = 0;
      env[m.node.id] = t;
    }
    return { D, O };
  };

  const run = (plan: Plan, inputs: Tensor[], reentrant: boolean): Tensor[] => {
    const env: (Tensor | undefined)[] = new Array(nNodes);
    const all = inputsOf(inputs);
    for (let i = 0; i < gph.length; i++) env[gph[i]!.id] = all[i];
    const steps = schedule.steps;
    for (let s = 0; s < steps.length; s++) {
      const step = steps[s]!;
      if (step.kind === "kernel") {
        const ck = compiled[step.kernel.id]!;
        if (ck.stored.length === 0) continue;
        const { plan: kp, fn } = plan.kernels[step.kernel.id]!;
        const { D, O } = kernelArgs(ck, kp, plan, env, reentrant);
        fn(D, O, kp, ck.attrs);
      } else if (step.kind === "view") {
        const n = step.node;
        env[n.id] = runNode(n, [env[n.args[0]!.id]!])[0];
      } else {
        const n = step.node;
        const into = reentrant ? undefined : plan.externTemps.get(n);
        // The next kernel as this product's epilogue: armed with its arguments (the product's
        // buffer among them), it runs inside the product, or after it if the product did not take it.
        const next = steps[s + 1];
        const slot = into && next?.kind === "kernel" ? plan.kernels[next.kernel.id]! : null;
        let armed: { ck: CompiledKernel; D: TypedArray[]; O: number[] } | null = null;
        if (slot?.epilogue && next?.kind === "kernel") {
          const ck = compiled[next.kernel.id]!;
          env[n.id] = into![0];
          armed = { ck, ...kernelArgs(ck, slot.plan, plan, env, reentrant) };
          slot.epilogue(armed.D, armed.O, slot.plan, ck.attrs);
        }
        const outs = runNode(n, n.args.map((a) => env[a.id]!), into);
        for (let i = 0; i < outs.length; i++) if (!outs[i]!.isContiguous()) outs[i] = outs[i]!.contiguous();
        env[n.id] = outs[0];
        for (const u of n.users) if (u.target === "getitem") env[u.id] = outs[u.attrs.index as number];
        if (armed && slot) {
          if (!module!.epilogueRan!()) {
            if (outs[0] === into![0]) slot.fn(armed.D, armed.O, slot.plan, armed.ck.attrs);
            else continue; // a new output after all: the kernel's step reads it
          }
          s++;
        }
      }
    }
    const outs: Tensor[] = new Array(nOut);
    for (let i = 0; i < nOut; i++) {
      let t = env[outputIds[i]!]!;
      if (!outputFresh[i] || (checkDuplicates && outs.includes(t))) {
        // An extern op's value: fresh unless it aliases an input, one of our buffers, or another output.
        if (outs.includes(t) || t._offset !== 0 || !t.isContiguous() || plan.tempStorages.has(t._storage) || all.some((x) => x._storage === t._storage)) t = t.clone();
      }
      outs[i] = t;
    }
    return outs;
  };

  const fn: CompiledGraph = (...inputs: Tensor[]) => {
    if (module?.changed()) refresh();
    const plan = planFor(inputs);
    if (plan.eager) return fallback(...inputs);
    const prev = setTracer(null);
    const reentrant = busy;
    busy = true;
    try {
      return noGrad(() => run(plan, inputs, reentrant));
    } finally {
      busy = reentrant;
      setTracer(prev);
    }
  };

  const example = planFor(exampleInputs);
  if (target && !example.eager) {
    module = target.build(compiled.filter((ck) => ck.stored.length > 0).map((ck) => ({ kernel: ck.kernel, plan: example.kernels[ck.kernel.id]!.plan })));
    refresh();
  }

  // Readable code for the output_code log: the schedule, then each kernel for the example layout.
  const parts = [`// schedule\n${printSchedule(schedule, example.layout)}`];
  for (const ck of compiled) {
    if (ck.stored.length === 0 || example.eager) continue;
    const kp = example.kernels[ck.kernel.id]!.plan;
    parts.push(variantOf(ck, kp).source);
  }
  if (module) parts.push(module.code);
  fn.code = parts.join("\n\n");
  Object.defineProperty(fn, "schedule", { value: schedule });
  return fn;
}

/** The schedule printout of a compiled graph (for tests and tools), if it came from this backend. */
export function scheduleOf(fn: CompiledGraph): Schedule | undefined {
  return (fn as { schedule?: Schedule }).schedule;
}

export type { Node };
