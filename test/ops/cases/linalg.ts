// Known-value and gradient cases for matmul and friends, einsum and diagonal.
import * as k from "../../../src/index.js";
import type { GradCase, OpCase } from "../../helpers/op-cases.js";

type Nested = number | Nested[];

/** Deterministic pseudo-random values in [-1, 1] for a shape. */
export function values(shape: number[], seed = 1): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 0.9);
}

export function nest(flat: ArrayLike<number>, shape: number[]): Nested {
  if (shape.length === 0) return flat[0]!;
  let pos = 0;
  const build = (d: number): Nested => {
    if (d === shape.length) return flat[pos++]!;
    return Array.from({ length: shape[d]! }, () => build(d + 1));
  };
  return build(0);
}

/** A float tensor of deterministic values. */
export function det(shape: number[], seed = 1, dtype: "float32" | "float64" = "float64", requiresGrad = false): k.Tensor {
  const t = k.tensor(Float64Array.from(values(shape, seed)), { dtype }).reshape(shape);
  if (requiresGrad) return t.detach().requiresGrad_(true);
  return t;
}

/** Reference matmul on nested 2-D arrays. */
export function refMatmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, kk) => s + v * b[kk]![j]!, 0)));
}

const f64 = (data: Nested, requiresGrad = true) => k.tensor(data as number[], { dtype: "float64", requiresGrad });
const f32 = (data: Nested) => k.tensor(data as number[], { dtype: "float32" });

const A = [[1, 2, 3], [4, 5, 6]];
const B = [[7, 8], [9, 10], [11, 12]];
const AB = [[58, 64], [139, 154]];

export const linalgCases: OpCase[] = [
  { name: "matmul 1-D · 1-D is a 0-d dot", run: () => k.matmul(f32([1, 2, 3]), f32([4, 5, 6])), expected: 32, dtype: "float32" },
  { name: "matmul 2-D · 1-D", run: () => k.matmul(f32(A), f32([1, 0, -1])), expected: [-2, -2] },
  { name: "matmul 1-D · 2-D", run: () => k.matmul(f32([1, -1]), f32(A)), expected: [-3, -3, -3] },
  { name: "matmul 2-D · 2-D", run: () => k.matmul(f32(A), f32(B)), expected: AB, dtype: "float32" },
  { name: "matmul int32", run: () => k.tensor(A).matmul(k.tensor(B)), expected: AB, dtype: "int32" },
  { name: "matmul float64", run: () => f64(A, false).matmul(f64(B, false)), expected: AB, dtype: "float64" },
  {
    name: "matmul batched · 2-D (folded)",
    run: () => k.matmul(f32([A, [[1, 0, 0], [0, 1, 0]]]), f32(B)),
    expected: [AB, [[7, 8], [9, 10]]],
  },
  {
    name: "matmul 2-D · batched",
    run: () => k.matmul(f32([[1, 1]]), f32([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])),
    expected: [[[4, 6]], [[12, 14]]],
  },
  {
    name: "matmul broadcasts batch dims [2,1,...] × [3,...]",
    run: () => {
      const a = f32([[[[1, 0], [0, 1]]], [[[2, 0], [0, 2]]]]); // [2,1,2,2]
      const b = f32([[[1, 2], [3, 4]], [[0, 1], [1, 0]], [[1, 1], [1, 1]]]); // [3,2,2]
      return k.matmul(a, b);
    },
    expected: [
      [[[1, 2], [3, 4]], [[0, 1], [1, 0]], [[1, 1], [1, 1]]],
      [[[2, 4], [6, 8]], [[0, 2], [2, 0]], [[2, 2], [2, 2]]],
    ],
  },
  { name: "matmul 1-D · batched", run: () => k.matmul(f32([1, 2]), f32([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])), expected: [[7, 10], [19, 22]] },
  { name: "matmul batched · 1-D", run: () => k.matmul(f32([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]), f32([1, -1])), expected: [[-1, -1], [-1, -1]] },
  {
    name: "matmul of transposed (strided) inputs",
    run: () => k.matmul(f32(B).transpose(0, 1), f32(A).transpose(0, 1)),
    expected: [[58, 139], [64, 154]],
  },
  {
    name: "matmul of expanded batch",
    run: () => k.matmul(f32([[1, 2]]).unsqueeze(0).expand([3, 1, 2]), f32([[[1], [1]], [[2], [0]], [[0], [3]]])),
    expected: [[[3]], [[2]], [[6]]],
  },
  {
    name: "matmul large blocked path matches reference (strided)",
    run: () => {
      const a = det([67, 45], 2, "float64");
      const b = det([70, 67], 3, "float64").transpose(0, 1); // [67, 70] strided
      return k.matmul(a.transpose(0, 1), b);
    },
    expected: refMatmul(
      (() => {
        const a = nest(values([67, 45], 2), [67, 45]) as number[][];
        return a[0]!.map((_, j) => a.map((r) => r[j]!));
      })(),
      (() => {
        const b = nest(values([70, 67], 3), [70, 67]) as number[][];
        return b[0]!.map((_, j) => b.map((r) => r[j]!));
      })(),
    ),
    atol: 1e-9,
  },
  {
    name: "matmul float32 large folded batch matches reference",
    run: () => det([2, 33, 40], 4, "float32").matmul(det([40, 9], 5, "float32")).reshape([66, 9]),
    expected: refMatmul(nest(values([66, 40], 4), [66, 40]) as number[][], nest(values([40, 9], 5), [40, 9]) as number[][]),
    atol: 1e-4,
  },
  { name: "mm", run: () => k.mm(f32(A), f32(B)), expected: AB },
  { name: "bmm", run: () => k.bmm(f32([A]), f32([B])), expected: [AB] },
  { name: "mv", run: () => f32(A).mv(f32([1, 1, 1])), expected: [6, 15] },
  { name: "dot", run: () => k.dot(f32([1, 2]), f32([3, -4])), expected: -5 },
  { name: "outer", run: () => k.outer(f32([1, 2]), f32([3, 4, 5])), expected: [[3, 4, 5], [6, 8, 10]] },
  {
    name: "addmm with beta and alpha (broadcast input)",
    run: () => k.addmm(f32([1, -1]), f32(A), f32(B), { beta: 2, alpha: 0.5 }),
    expected: [[31, 30], [71.5, 75]],
  },
  {
    name: "addmm beta 0 ignores NaN input",
    run: () => k.addmm(f32([[NaN, NaN], [NaN, NaN]]), f32(A), f32(B), { beta: 0 }),
    expected: AB,
  },
  {
    name: "baddbmm",
    run: () => k.baddbmm(f32([[[1, 1], [1, 1]]]), f32([A]), f32([B]), { alpha: 2 }),
    expected: [[[117, 129], [279, 309]]],
  },
  { name: "einsum ij,jk->ik", run: () => k.einsum("ij,jk->ik", f32(A), f32(B)), expected: AB },
  { name: "einsum with operand array", run: () => k.einsum("ij,jk->ik", [f32(A), f32(B)]), expected: AB },
  {
    name: "einsum bij,bjk->bik",
    run: () => k.einsum("bij,bjk->bik", f32([A, A]), f32([B, B])),
    expected: [AB, AB],
  },
  { name: "einsum ii->i (diagonal)", run: () => k.einsum("ii->i", f32([[1, 2], [3, 4]])), expected: [1, 4] },
  { name: "einsum ii-> (trace)", run: () => k.einsum("ii->", f32([[1, 2], [3, 4]])), expected: 5 },
  { name: "einsum ij->ji", run: () => k.einsum("ij->ji", f32(A)), expected: [[1, 4], [2, 5], [3, 6]] },
  { name: "einsum i,i->", run: () => k.einsum("i,i->", f32([1, 2, 3]), f32([1, 1, 2])), expected: 9 },
  { name: "einsum implicit ij,jk", run: () => k.einsum("ij,jk", f32(A), f32(B)), expected: AB },
  { name: "einsum implicit ba (alphabetical output)", run: () => k.einsum("ba", f32(A)), expected: [[1, 4], [2, 5], [3, 6]] },
  { name: "einsum ij-> (sum)", run: () => k.einsum("ij->", f32(A)), expected: 21 },
  { name: "einsum i,j->ij (outer)", run: () => k.einsum("i,j->ij", f32([1, 2]), f32([3, 4])), expected: [[3, 4], [6, 8]] },
  {
    name: "einsum bhqd,bhkd->bhqk",
    run: () => k.einsum("bhqd,bhkd->bhqk", det([2, 3, 4, 5], 1, "float64"), det([2, 3, 6, 5], 2, "float64")),
    expected: (() => {
      const q = nest(values([2, 3, 4, 5], 1), [2, 3, 4, 5]) as number[][][][];
      const kk = nest(values([2, 3, 6, 5], 2), [2, 3, 6, 5]) as number[][][][];
      return q.map((qb, b) => qb.map((qh, h) => refMatmul(qh, kk[b]![h]![0]!.map((_, j) => kk[b]![h]!.map((r) => r[j]!)))));
    })(),
    atol: 1e-9,
  },
  {
    name: "einsum three operands i,ij,j->",
    run: () => k.einsum("i,ij,j->", f32([1, 2]), f32([[1, 2, 3], [4, 5, 6]]), f32([1, 0, -1])),
    expected: -2 + 2 * -2,
  },
  {
    name: "einsum ellipsis ...ij,...jk->...ik",
    run: () => k.einsum("...ij,...jk->...ik", f32([A, A]), f32(B)),
    expected: [AB, AB],
  },
  { name: "einsum broadcasting size-1 label", run: () => k.einsum("ij,ij->ij", f32([[1], [2]]), f32([[1, 2], [3, 4]])), expected: [[1, 2], [6, 8]] },
  { name: "diagonal", run: () => k.diagonal(f32([[1, 2, 3], [4, 5, 6]])), expected: [1, 5] },
  { name: "diagonal offset 1", run: () => f32([[1, 2, 3], [4, 5, 6]]).diagonal(1), expected: [2, 6] },
  { name: "diagonal offset -1", run: () => f32([[1, 2, 3], [4, 5, 6]]).diagonal(-1), expected: [4] },
  {
    name: "diagonal of 3-D over dims 1, 2",
    run: () => f32([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]).diagonal(0, 1, 2),
    expected: [[1, 4], [5, 8]],
  },
];

export const linalgGradCases: GradCase[] = [
  { name: "matmul 2-D", fn: (a, b) => a.matmul(b), inputs: () => [det([3, 4], 1, "float64", true), det([4, 2], 2, "float64", true)] },
  // A linear layer: a shared 2-d B, plain and as a transposed view of a weight (x·Wᵀ).
  { name: "matmul 3-D · shared 2-D", fn: (a, b) => a.matmul(b), inputs: () => [det([2, 3, 4], 1, "float64", true), det([4, 5], 2, "float64", true)] },
  { name: "matmul 3-D · transposed weight (x·Wᵀ)", fn: (a, w) => a.matmul(w.transpose(0, 1)), inputs: () => [det([2, 3, 4], 1, "float64", true), det([5, 4], 2, "float64", true)] },
  { name: "matmul 1-D · 1-D", fn: (a, b) => a.matmul(b), inputs: () => [det([4], 1, "float64", true), det([4], 2, "float64", true)] },
  { name: "matmul 2-D · 1-D", fn: (a, b) => a.matmul(b), inputs: () => [det([3, 4], 1, "float64", true), det([4], 2, "float64", true)] },
  { name: "matmul 1-D · 3-D", fn: (a, b) => a.matmul(b), inputs: () => [det([4], 1, "float64", true), det([2, 4, 3], 2, "float64", true)] },
  { name: "matmul 3-D · 1-D", fn: (a, b) => a.matmul(b), inputs: () => [det([2, 3, 4], 1, "float64", true), det([4], 2, "float64", true)] },
  {
    name: "matmul broadcast batch",
    fn: (a, b) => a.matmul(b),
    inputs: () => [det([2, 1, 3, 4], 1, "float64", true), det([3, 4, 2], 2, "float64", true)],
  },
  {
    name: "matmul transposed inputs",
    fn: (a, b) => a.transpose(0, 1).matmul(b.transpose(0, 1)),
    inputs: () => [det([4, 3], 1, "float64", true), det([2, 4], 2, "float64", true)],
  },
  {
    name: "matmul twice differentiable (grad of grad)",
    fn: (a, b) => {
      return k.enableGrad(() => {
        const y = a.matmul(b);
        const [ga] = k.autograd.grad([y.mul(y).sum()], [a], { createGraph: true }) as [k.Tensor];
        return ga;
      });
    },
    inputs: () => [det([2, 3], 1, "float64", true), det([3, 2], 2, "float64", true)],
  },
  { name: "mm", fn: (a, b) => k.mm(a, b), inputs: () => [det([2, 3], 1, "float64", true), det([3, 2], 2, "float64", true)] },
  { name: "bmm", fn: (a, b) => k.bmm(a, b), inputs: () => [det([2, 2, 3], 1, "float64", true), det([2, 3, 2], 2, "float64", true)] },
  { name: "dot", fn: (a, b) => k.dot(a, b), inputs: () => [det([3], 1, "float64", true), det([3], 2, "float64", true)] },
  { name: "mv", fn: (a, b) => k.mv(a, b), inputs: () => [det([2, 3], 1, "float64", true), det([3], 2, "float64", true)] },
  { name: "outer", fn: (a, b) => k.outer(a, b), inputs: () => [det([3], 1, "float64", true), det([2], 2, "float64", true)] },
  {
    name: "addmm",
    fn: (c, a, b) => k.addmm(c, a, b, { beta: 0.5, alpha: -2 }),
    inputs: () => [det([2], 3, "float64", true), det([3, 4], 1, "float64", true), det([4, 2], 2, "float64", true)],
  },
  {
    name: "baddbmm",
    fn: (c, a, b) => k.baddbmm(c, a, b, { beta: 1.5, alpha: 0.5 }),
    inputs: () => [det([2, 1, 2], 3, "float64", true), det([2, 2, 3], 1, "float64", true), det([2, 3, 2], 2, "float64", true)],
  },
  {
    name: "einsum bij,bjk->bik",
    fn: (a, b) => k.einsum("bij,bjk->bik", a, b),
    inputs: () => [det([2, 2, 3], 1, "float64", true), det([2, 3, 2], 2, "float64", true)],
  },
  { name: "einsum ii->i", fn: (a) => k.einsum("ii->i", a), inputs: () => [det([3, 3], 1, "float64", true)] },
  { name: "einsum ij->ji", fn: (a) => k.einsum("ij->ji", a), inputs: () => [det([2, 3], 1, "float64", true)] },
  {
    name: "einsum bhqd,bhkd->bhqk",
    fn: (a, b) => k.einsum("bhqd,bhkd->bhqk", a, b),
    inputs: () => [det([1, 2, 3, 2], 1, "float64", true), det([1, 2, 2, 2], 2, "float64", true)],
  },
  {
    name: "einsum i,ij,j->",
    fn: (a, m, b) => k.einsum("i,ij,j->", a, m, b),
    inputs: () => [det([2], 1, "float64", true), det([2, 3], 2, "float64", true), det([3], 3, "float64", true)],
  },
  { name: "diagonal offset 1", fn: (a) => a.diagonal(1), inputs: () => [det([3, 4], 1, "float64", true)] },
  {
    name: "diagonal twice differentiable",
    fn: (a) => {
      return k.enableGrad(() => {
        const [g] = k.autograd.grad([a.diagonal(0, 0, 2).square().sum()], [a], { createGraph: true }) as [k.Tensor];
        return g;
      });
    },
    inputs: () => [det([2, 2, 3], 1, "float64", true)],
  },
];
