// The scheduler of the default backend: decides what becomes one loop nest (a kernel), what is
// computed inline, what gets a buffer and what runs through its eager kernel. It knows nothing
// about JavaScript: renderers (src/backends/codegen/render-js.ts, and later WebAssembly or C++)
// turn each kernel into code.
//
// A kernel iterates over one shape F, split into kept dims and reduced dims. Its members are
// pointwise ops and reductions computed at two levels: "full" values (one per element of F) and
// "row" values (one per kept position: reduction results and pointwise work on them). A member
// reads another member inline when the read maps every element to the one the producer computes
// at the same position (checked on strides, so views and broadcasts that line up fuse); other
// reads and all writes are strided accesses of buffers. Per row, reductions run one after another
// as phases over the reduced dims (softmax: max, then sum of exp, then the scaled write), so a row
// is read from cache, not memory, by the later phases.
import { shapesEqual } from "../../core/shape.js";
import type { Graph, Node } from "../../compiler/graph.js";
import { getOp, type AnyOpDef } from "../../ops/registry.js";
import { contiguousStrides } from "../../core/shape.js";
import { reducedDims } from "../../ops/reduce.js";
import { Tensor } from "../../core/tensor.js";
import { broadcastTo, isFusableView, type Geometry, type Layout } from "./layout.js";
import { reducerFor, type CodegenReducer } from "./reducers.js";

export type Level = "full" | "row";

/** A strided read or write of a buffer inside a kernel. */
export interface Access {
  index: number;
  /** The value owning the buffer: an input, an extern op's output, or a member materialised by an earlier kernel. */
  source: Node;
  /** View nodes applied to the source, in order (reads only). */
  views: Node[];
  /** Shape the value is broadcast to (the consumer's shape); null: read or written as is. */
  target: Node | null;
  level: Level;
  store: boolean;
}

export type Operand = { member: Member } | { access: Access };

export interface Member {
  /** The value computed (for a copy made for an output: the viewed value it copies). */
  node: Node;
  /** Registry op whose pointwise expression or reduction it runs ("clone" for output copies). */
  def: AnyOpDef;
  attrs: Readonly<Record<string, unknown>>;
  level: Level;
  /** The values read, one per operand. */
  args: readonly Node[];
  operands: Operand[];
  reducer: CodegenReducer | null;
  /** Where the value is written when something outside the kernel needs it. */
  store: Access | null;
  /** A graph output: its buffer is fresh on every call. */
  output: boolean;
}

export interface Kernel {
  id: number;
  /** The value whose shape is the iteration space F. */
  anchor: Node;
  /** Reduced dims of F, null while the kernel has no reduction. */
  red: number[] | null;
  members: Member[];
  accesses: Access[];
  /**
   * The matrix product just before this kernel (an extern op declaring `productEpilogue`) when the
   * kernel reads its output only as whole values of its own iteration space (no views; pointwise,
   * or rows reduced over the last dim), with the first such read: a target may run the kernel as
   * the product's epilogue, on rows as the product finishes them. Whether the reads line up
   * element for element depends on the layout (codegen/index.ts checks it per plan).
   */
  epilogue: { product: Node; read: Access } | null;
}

export type Step =
  | { kind: "kernel"; kernel: Kernel }
  | { kind: "extern"; node: Node }
  | { kind: "view"; node: Node };

export interface Schedule {
  graph: Graph;
  steps: Step[];
  /** Graph outputs in order; each is a member (fresh buffer), an extern value, or an input. */
  outputs: Node[];
  members: Map<Node, Member>;
  kernels: Kernel[];
}

/** Whether the code generator can compute this call inline as a pointwise op. */
function pointwiseDef(n: Node): AnyOpDef | null {
  const def = getOp(n.target);
  if (def.kind !== "pointwise" || !def.pointwise || n.outputs.length !== 1) return null;
  if (def.runtimeAttrs && def.runtimeAttrs.length) return null;
  return def;
}

/** The base value behind a chain of fusable views. */
export function resolveViews(n: Node): { base: Node; views: Node[] } {
  const views: Node[] = [];
  let cur = n;
  while (isFusableView(cur)) {
    views.unshift(cur);
    cur = cur.args[0]!;
  }
  return { base: cur, views };
}

function keptShape(F: readonly number[], red: readonly number[]): number[] {
  return F.filter((_, d) => !red.includes(d));
}

function keepdimShape(F: readonly number[], red: readonly number[]): number[] {
  return F.map((s, d) => (red.includes(d) ? 1 : s));
}

/** For a consumer of shape `shape` at `level` in a kernel over F: which F dim each of its dims is. */
export function dimMap(F: readonly number[], red: readonly number[] | null, rank: number, level: Level): number[] {
  if (rank === F.length) return F.map((_, d) => d);
  if (level === "row" && red) {
    const kept = F.map((_, d) => d).filter((d) => !red.includes(d));
    if (kept.length === rank) return kept;
  }
  throw new Error(`codegen: a value of rank ${rank} does not fit a kernel over rank ${F.length}`);
}

/** Strides over F's dims of a strided view `g` read by a consumer of shape `target` at `level`. */
export function stridesOverF(F: readonly number[], red: readonly number[] | null, g: Geometry, target: readonly number[] | null, level: Level): number[] {
  const s = target ? broadcastTo(g, target) : g.strides;
  const shape = target ?? g.shape;
  const map = dimMap(F, red, shape.length, level);
  const out = new Array<number>(F.length).fill(0);
  map.forEach((d, j) => {
    if (shape[j] !== 1) out[d] = s[j]!;
  });
  return out;
}

/** Strides over F of the value a member computes, in its own contiguous layout (its "home"). */
export function homeStrides(F: readonly number[], red: readonly number[] | null, level: Level): number[] {
  if (level === "full") return contiguousStrides(F);
  const kept = keptShape(F, red!);
  const ks = contiguousStrides(kept);
  const out = new Array<number>(F.length).fill(0);
  let j = 0;
  F.forEach((_, d) => {
    if (!red!.includes(d)) out[d] = ks[j++]!;
  });
  return out;
}

/** Whether a read lines up with the producer's home: every element is the one computed at the same position. */
export function readsHome(F: readonly number[], red: readonly number[] | null, read: number[], offset: number, home: number[]): boolean {
  if (offset !== 0) return false;
  for (let d = 0; d < F.length; d++) if (F[d] !== 1 && read[d] !== home[d]) return false;
  return true;
}

export function buildSchedule(graph: Graph, layout: Layout): Schedule {
  const steps: Step[] = [];
  const kernels: Kernel[] = [];
  const members = new Map<Node, Member>();
  const kernelOf = new Map<Member, Kernel>();
  const viewSteps = new Set<Node>();
  let cur: Kernel | null = null;

  const F = (k: Kernel) => layout.shape(k.anchor);

  const materialize = (m: Member): void => {
    if (m.store) return;
    const k = kernelOf.get(m)!;
    m.store = { index: k.accesses.length, source: m.node, views: [], target: null, level: m.level, store: true };
    k.accesses.push(m.store);
  };

  /** Makes a value available as a tensor at run time (for extern ops and outputs). */
  const needTensor = (n: Node): void => {
    const { base, views } = resolveViews(n);
    const m = members.get(base);
    if (m) materialize(m);
    for (const v of views) {
      if (!viewSteps.has(v)) {
        viewSteps.add(v);
        steps.push({ kind: "view", node: v });
      }
    }
  };

  const newKernel = (anchor: Node, red: number[] | null): Kernel => {
    const k: Kernel = { id: kernels.length, anchor, red, members: [], accesses: [], epilogue: null };
    kernels.push(k);
    steps.push({ kind: "kernel", kernel: k });
    cur = k;
    return k;
  };

  /** The operand for reading `arg` from a consumer of shape `target` at `level` in kernel k, or null if it cannot be read there. */
  const operandFor = (k: Kernel, arg: Node, target: Node | null, level: Level, pending: (() => void)[]): Operand | null => {
    const { base, views } = resolveViews(arg);
    const m = members.get(base);
    if (m && kernelOf.get(m) === k) {
      if (m.level === "full" && level === "row") return null;
      const g = layout.geometry(arg);
      const read = stridesOverF(F(k), k.red, g, target ? layout.shape(target) : null, level);
      if (!readsHome(F(k), k.red, read, g.offset, homeStrides(F(k), k.red, m.level))) return null;
      return { member: m };
    }
    // Reads of the same value with the same broadcast share one access (one pointer in the loops).
    const effective = (t: Node | null, vs: Node[], b: Node) => layout.shape(t ?? (vs.length ? vs[vs.length - 1]! : b));
    const shape = effective(target, views, base);
    const same = k.accesses.find(
      (a) =>
        !a.store &&
        a.source === base &&
        a.level === level &&
        a.views.length === views.length &&
        a.views.every((v, i) => v === views[i]) &&
        shapesEqual(effective(a.target, a.views, a.source), shape),
    );
    if (same) return { access: same };
    const access: Access = { index: -1, source: base, views, target, level, store: false };
    pending.push(() => {
      if (m) materialize(m);
      if (access.index >= 0) return;
      access.index = k.accesses.length;
      k.accesses.push(access);
    });
    return { access };
  };

  const levelIn = (k: Kernel, shape: readonly number[]): Level | null => {
    const f = F(k);
    if (shapesEqual(shape, f)) return "full";
    if (k.red && (shapesEqual(shape, keptShape(f, k.red)) || shapesEqual(shape, keepdimShape(f, k.red)))) return "row";
    return null;
  };

  const tryPointwise = (k: Kernel, n: Node, def: AnyOpDef, attrs: Readonly<Record<string, unknown>>, args: readonly Node[]): Member | null => {
    const level = levelIn(k, layout.shape(n));
    if (!level) return null;
    const pending: (() => void)[] = [];
    const operands: Operand[] = [];
    for (const a of args) {
      const op = operandFor(k, a, n, level, pending);
      if (!op) return null;
      operands.push(op);
    }
    for (const f of pending) f();
    return { node: n, def, attrs, level, args, operands, reducer: null, store: null, output: false };
  };

  const addPointwise = (n: Node, def: AnyOpDef, attrs: Readonly<Record<string, unknown>>, args: readonly Node[]): Member => {
    let m = cur ? tryPointwise(cur, n, def, attrs, args) : null;
    if (!m) m = tryPointwise(newKernel(n, null), n, def, attrs, args)!;
    cur!.members.push(m);
    kernelOf.set(m, cur!);
    return m;
  };

  const tryReduce = (k: Kernel, n: Node, def: AnyOpDef, reducer: CodegenReducer, red: number[]): Member | null => {
    const input = n.args[0]!;
    if (!shapesEqual(layout.shape(input), F(k))) return null;
    if (k.red && (k.red.length !== red.length || k.red.some((d, i) => d !== red[i]))) return null;
    const saved = k.red;
    k.red = red;
    const pending: (() => void)[] = [];
    const op = operandFor(k, input, null, "full", pending);
    if (!op) {
      k.red = saved;
      return null;
    }
    for (const f of pending) f();
    return { node: n, def, attrs: n.attrs, level: "row", args: [input], operands: [op], reducer, store: null, output: false };
  };

  for (const n of graph.nodes) {
    if (n.op === "placeholder") continue;
    if (n.op === "output") {
      for (const a of n.args) {
        const m = members.get(a);
        if (m) {
          materialize(m);
          m.output = true;
        } else if (a.op === "placeholder" || isFusableView(a)) {
          // A copy, so the output is fresh and contiguous (the frame would copy otherwise).
          const copy = addPointwise(a, getOp("clone"), {}, [a]);
          members.set(a, copy);
          materialize(copy);
          copy.output = true;
        } else needTensor(a);
      }
      break;
    }
    if (n.target === "getitem" || isFusableView(n)) continue;
    const pw = pointwiseDef(n);
    if (pw) {
      members.set(n, addPointwise(n, pw, n.attrs, n.args));
      continue;
    }
    const def = getOp(n.target);
    const input = n.args[0];
    const reducer = input && n.outputs.length === 1 && !def.runtimeAttrs?.length ? reducerFor(def, input.dtype, n.dtype, n.attrs as Record<string, unknown>) : null;
    if (reducer && input) {
      const shape = layout.shape(input);
      const standIn = new Tensor(null, shape.slice(), contiguousStrides(shape), 0, input.dtype);
      const red = [...new Set(reducedDims(standIn, (n.attrs.dims as number[] | null) ?? null))].filter((d) => d < shape.length).sort((a, b) => a - b);
      let m = cur ? tryReduce(cur, n, def, reducer, red) : null;
      if (!m) m = tryReduce(newKernel(input, red), n, def, reducer, red)!;
      cur!.members.push(m);
      kernelOf.set(m, cur!);
      members.set(n, m);
      continue;
    }
    // Everything else runs through its eager kernel.
    for (const a of n.args) needTensor(a);
    steps.push({ kind: "extern", node: n });
    cur = null;
  }
  markEpilogues(steps, layout);
  return { graph, steps, outputs: graph.outputNode ? [...graph.outputNode.args] : [], members, kernels };
}

/** Sets `epilogue` on kernels that directly follow a matrix product and read its output only whole. */
function markEpilogues(steps: Step[], layout: Layout): void {
  for (let i = 0; i + 1 < steps.length; i++) {
    const s = steps[i]!;
    const t = steps[i + 1]!;
    if (s.kind !== "extern" || t.kind !== "kernel" || !getOp(s.node.target).productEpilogue || s.node.outputs.length !== 1) continue;
    const k = t.kernel;
    const rank = layout.shape(k.anchor).length;
    if (k.red && (k.red.length !== 1 || k.red[0] !== rank - 1)) continue;
    const reads = k.accesses.filter((a) => a.source === s.node);
    if (reads.length === 0 || reads.some((a) => a.store || a.views.length > 0 || a.level !== "full")) continue;
    k.epilogue = { product: s.node, read: reads[0]! };
  }
}

/** A readable printout of a schedule: kernels with their members, levels and accesses; extern ops. */
export function printSchedule(s: Schedule, layout: Layout): string {
  const lines: string[] = [];
  const name = (n: Node) => n.name;
  for (const step of s.steps) {
    if (step.kind === "extern") lines.push(`extern ${name(step.node)} = ${step.node.target}(${step.node.args.map(name).join(", ")})`);
    else if (step.kind === "view") lines.push(`view ${name(step.node)} = ${step.node.target}(${name(step.node.args[0]!)})`);
    else {
      const k = step.kernel;
      const f = layout.shape(k.anchor);
      const space = k.red ? `[${f.map((x, d) => (k.red!.includes(d) ? `r${x}` : String(x))).join(", ")}]` : `[${f.join(", ")}]`;
      lines.push(`kernel ${k.id} over ${space}:`);
      for (const m of k.members) {
        const ops = m.operands.map((o) => ("member" in o ? name(o.member.node) : `load(${[o.access.source, ...o.access.views].map(name).join(" -> ")})`));
        const what = m.reducer ? `reduce ${m.def.name}` : m.def.name;
        const store = m.store ? (m.output ? " -> output" : " -> buffer") : "";
        lines.push(`  ${m.level} ${name(m.node)} = ${what}(${ops.join(", ")})${store}`);
      }
    }
  }
  lines.push(`return [${s.outputs.map(name).join(", ")}]`);
  return lines.join("\n");
}
