// Random tensor programs for the compiler fuzz test: pointwise ops, broadcasting, reductions,
// views, in-place writes (to inputs and through views) and graph breaks of several kinds. A
// program runs eagerly and compiled on identical inputs and every tensor it leaves is compared.
import * as k from "../../src/index.js";
import { compiler, type Tensor } from "../../src/index.js";

export type Step =
  | { kind: "unary"; op: string; a: number }
  | { kind: "binary"; op: string; a: number; b: number }
  | { kind: "scalar"; op: string; a: number; value: number }
  | { kind: "reduce"; a: number; dim: number; keepdim: boolean }
  | { kind: "view"; op: "transpose" | "unsqueeze" | "reshape"; a: number }
  | { kind: "inplace"; op: "add_" | "mul_" | "sub_"; target: number; b: number }
  | { kind: "break"; how: "explicit" | "item" | "tolist" | "print" }
  | { kind: "itemUse"; a: number; b: number };

export interface Program {
  steps: Step[];
  inputShapes: number[][];
}

/** Small deterministic generator (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UNARY = ["tanh", "sin", "sigmoid", "relu", "neg", "abs", "cos"];
const BINARY = ["add", "sub", "mul"];

function broadcastable(a: readonly number[], b: readonly number[]): boolean {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/** Whether `b` broadcasts to exactly `a`'s shape (what an in-place write needs). */
function fitsInto(a: readonly number[], b: readonly number[]): boolean {
  if (b.length > a.length) return false;
  return b.every((s, i) => s === 1 || s === a[a.length - b.length + i]);
}

export function generate(seed: number, length = 12): Program {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const inputShapes = [[3, 4], [4], [3, 1]];
  const shapes: number[][] = inputShapes.map((s) => s.slice());
  const steps: Step[] = [];
  for (let i = 0; i < length; i++) {
    const roll = r();
    const a = Math.floor(r() * shapes.length);
    const sa = shapes[a]!;
    if (roll < 0.22) {
      steps.push({ kind: "unary", op: pick(UNARY), a });
      shapes.push(sa.slice());
    } else if (roll < 0.42) {
      const candidates = shapes.map((s, j) => j).filter((j) => broadcastable(sa, shapes[j]!));
      const b = pick(candidates);
      steps.push({ kind: "binary", op: pick(BINARY), a, b });
      const sb = shapes[b]!;
      const n = Math.max(sa.length, sb.length);
      shapes.push(Array.from({ length: n }, (_, d) => Math.max(sa[sa.length - n + d] ?? 1, sb[sb.length - n + d] ?? 1)));
    } else if (roll < 0.5) {
      steps.push({ kind: "scalar", op: pick(["mul", "add"]), a, value: Math.round((r() * 4 - 2) * 4) / 4 });
      shapes.push(sa.slice());
    } else if (roll < 0.58 && sa.length > 0) {
      const dim = Math.floor(r() * sa.length);
      const keepdim = r() < 0.5;
      steps.push({ kind: "reduce", a, dim, keepdim });
      shapes.push(keepdim ? sa.map((s, d) => (d === dim ? 1 : s)) : sa.filter((_, d) => d !== dim));
    } else if (roll < 0.7) {
      const op = sa.length === 2 ? pick(["transpose", "unsqueeze", "reshape"] as const) : "unsqueeze";
      steps.push({ kind: "view", op, a });
      shapes.push(op === "transpose" ? [sa[1]!, sa[0]!] : op === "unsqueeze" ? [1, ...sa] : [sa.reduce((x, y) => x * y, 1)]);
    } else if (roll < 0.85) {
      const candidates = shapes.map((s, j) => j).filter((j) => fitsInto(sa, shapes[j]!) && j !== a);
      if (candidates.length === 0) continue;
      steps.push({ kind: "inplace", op: pick(["add_", "mul_", "sub_"] as const), target: a, b: pick(candidates) });
    } else if (roll < 0.93) {
      steps.push({ kind: "break", how: pick(["explicit", "item", "tolist", "print"] as const) });
    } else {
      steps.push({ kind: "itemUse", a, b: Math.floor(r() * shapes.length) });
      shapes.push(shapes[steps[steps.length - 1]!.kind === "itemUse" ? (steps[steps.length - 1] as { b: number }).b : 0]!.slice());
    }
  }
  return { steps, inputShapes };
}

/** Runs a program; returns every tensor it made (inputs included, possibly mutated). */
export function run(p: Program, inputs: Tensor[]): Tensor[] {
  const pool: Tensor[] = [...inputs];
  let sink = 0;
  for (const s of p.steps) {
    switch (s.kind) {
      case "unary":
        pool.push((pool[s.a] as unknown as Record<string, () => Tensor>)[s.op]!.call(pool[s.a]));
        break;
      case "binary":
        pool.push((pool[s.a] as unknown as Record<string, (o: Tensor) => Tensor>)[s.op]!.call(pool[s.a], pool[s.b]!).tanh());
        break;
      case "scalar":
        pool.push((pool[s.a] as unknown as Record<string, (o: number) => Tensor>)[s.op]!.call(pool[s.a], s.value));
        break;
      case "reduce":
        pool.push(pool[s.a]!.sum(s.dim, { keepdim: s.keepdim }).tanh());
        break;
      case "view": {
        const t = pool[s.a]!;
        pool.push(s.op === "transpose" ? t.transpose(0, 1) : s.op === "unsqueeze" ? t.unsqueeze(0) : t.reshape([-1]));
        break;
      }
      case "inplace": {
        const t = pool[s.target]!;
        const b = pool[s.b]!.tanh();
        if (s.op === "mul_") t.mul_(b.mul(0.5).add(1));
        else (t as unknown as Record<string, (o: Tensor) => Tensor>)[s.op]!.call(t, b);
        break;
      }
      case "break": {
        const t = pool[pool.length - 1]!;
        if (s.how === "explicit") compiler.graphBreak();
        else if (s.how === "item") sink += t.sum().item() as number;
        else if (s.how === "tolist") sink += JSON.stringify(t.tolist()).length;
        else sink += t.toString().length;
        break;
      }
      case "itemUse": {
        const v = pool[s.a]!.sum().tanh().item() as number;
        pool.push(pool[s.b]!.mul(v));
        break;
      }
    }
  }
  void sink;
  return pool;
}

export function makeInputs(p: Program, seed: number): Tensor[] {
  const r = rng(seed * 7919 + 1);
  return p.inputShapes.map((shape) => {
    const n = shape.reduce((x, y) => x * y, 1);
    return k.tensor(Array.from({ length: n }, () => Math.round((r() * 4 - 2) * 100) / 100), { dtype: "float32" }).reshape(shape);
  });
}

/** Compares the tensors of an eager and a compiled run; returns a description of the first difference. */
export function compareRuns(eager: Tensor[], compiled: Tensor[], tol = 1e-5): string | null {
  if (eager.length !== compiled.length) return `pool sizes differ: ${eager.length} vs ${compiled.length}`;
  for (let i = 0; i < eager.length; i++) {
    const a = eager[i]!;
    const b = compiled[i]!;
    if (a.shape.join() !== b.shape.join()) return `tensor ${i}: shape [${a.shape}] vs [${b.shape}]`;
    const x = a.toArray();
    const y = b.toArray();
    for (let j = 0; j < x.length; j++) {
      if (Math.abs(x[j]! - y[j]!) > tol * (1 + Math.abs(x[j]!))) return `tensor ${i} element ${j}: ${x[j]} vs ${y[j]}`;
    }
  }
  return null;
}
