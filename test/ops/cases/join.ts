// Known-value and gradient cases for joining and rearranging ops: cat, stack, hstack, vstack,
// repeat, tile, flip, roll.
import * as k from "../../../src/index.js";
import type { GradCase, OpCase } from "../../helpers/op-cases.js";

const f64 = (data: k.NestedData) => k.tensor(data, { dtype: "float64", requiresGrad: true });
const f32 = (data: k.NestedData) => k.tensor(data, { dtype: "float32" });
const i32 = (data: k.NestedData) => k.tensor(data, { dtype: "int32" });

export const joinCases: OpCase[] = [
  // cat
  {
    name: "cat dim 0",
    run: () => k.cat([i32([[1, 2], [3, 4]]), i32([[5, 6]])]),
    expected: [[1, 2], [3, 4], [5, 6]],
    dtype: "int32",
  },
  {
    name: "cat dim 1 promotes int32 and float32",
    run: () => k.cat([i32([[1], [2]]), f32([[0.5, 1.5], [2.5, 3.5]])], 1),
    expected: [[1, 0.5, 1.5], [2, 2.5, 3.5]],
    dtype: "float32",
  },
  {
    name: "cat negative dim",
    run: () => k.cat([i32([[1], [2]]), i32([[3], [4]]), i32([[5], [6]])], -1),
    expected: [[1, 3, 5], [2, 4, 6]],
  },
  { name: "cat bool with int32 gives int32", run: () => k.cat([k.tensor([true, false]), i32([7])]), expected: [1, 0, 7], dtype: "int32" },
  { name: "cat float32 with float64 gives float64", run: () => k.cat([f32([1.5]), k.tensor([2], { dtype: "float64" })]), expected: [1.5, 2], dtype: "float64" },
  {
    name: "cat skips 1-D empty tensors (legacy rule)",
    run: () => k.cat([i32([[1, 2]]), k.tensor([], { dtype: "int32" }), i32([[3, 4]])]),
    expected: [[1, 2], [3, 4]],
  },
  {
    name: "cat of non-contiguous inputs",
    run: () => k.cat([i32([[1, 2], [3, 4]]).transpose(0, 1), i32([[9, 8, 7]]).transpose(0, 1).expand([3, 2]).narrow(0, 1, 2)], 1),
    expected: [[1, 3, 8, 8], [2, 4, 7, 7]],
  },
  { name: "cat single tensor", run: () => k.cat([i32([1, 2])]), expected: [1, 2] },
  { name: "concat alias", run: () => k.concat([i32([1]), i32([2])], 0), expected: [1, 2] },
  // stack
  { name: "stack dim 0", run: () => k.stack([i32([1, 2]), i32([3, 4])]), expected: [[1, 2], [3, 4]] },
  { name: "stack dim 1", run: () => k.stack([i32([1, 2]), i32([3, 4])], 1), expected: [[1, 3], [2, 4]] },
  { name: "stack dim -1 of matrices", run: () => k.stack([i32([[1, 2]]), i32([[3, 4]])], -1), expected: [[[1, 3], [2, 4]]] },
  { name: "stack of 0-d tensors", run: () => k.stack([k.tensor(1), k.tensor(2.5)]), expected: [1, 2.5], dtype: "float32" },
  // hstack / vstack
  { name: "hstack of 1-D tensors", run: () => k.hstack([i32([1, 2]), i32([3])]), expected: [1, 2, 3] },
  { name: "hstack of matrices", run: () => k.hstack([i32([[1], [2]]), i32([[3, 4], [5, 6]])]), expected: [[1, 3, 4], [2, 5, 6]] },
  { name: "vstack of 1-D tensors", run: () => k.vstack([i32([1, 2]), i32([3, 4])]), expected: [[1, 2], [3, 4]] },
  { name: "vstack of a matrix and a vector", run: () => k.vstack([i32([[1, 2], [3, 4]]), i32([5, 6])]), expected: [[1, 2], [3, 4], [5, 6]] },
  // repeat / tile
  { name: "repeat adds leading dims", run: () => i32([1, 2]).repeat(2, 2), expected: [[1, 2, 1, 2], [1, 2, 1, 2]] },
  { name: "repeat array form", run: () => i32([[1, 2], [3, 4]]).repeat([1, 2]), expected: [[1, 2, 1, 2], [3, 4, 3, 4]] },
  { name: "repeat rows", run: () => i32([[1, 2], [3, 4]]).repeat(2, 1), expected: [[1, 2], [3, 4], [1, 2], [3, 4]] },
  { name: "repeat zero times", run: () => i32([1, 2]).repeat(0), expected: [] },
  { name: "repeat of transposed input", run: () => i32([[1, 2], [3, 4]]).transpose(0, 1).repeat(1, 2), expected: [[1, 3, 1, 3], [2, 4, 2, 4]] },
  { name: "tile pads dims with 1", run: () => i32([[1, 2], [3, 4]]).tile(2), expected: [[1, 2, 1, 2], [3, 4, 3, 4]] },
  { name: "tile with more dims", run: () => k.tile(i32([1, 2]), [2, 1]), expected: [[1, 2], [1, 2]] },
  // flip
  { name: "flip dim 0", run: () => i32([[1, 2], [3, 4]]).flip(0), expected: [[3, 4], [1, 2]] },
  { name: "flip both dims", run: () => i32([[1, 2, 3], [4, 5, 6]]).flip([0, 1]), expected: [[6, 5, 4], [3, 2, 1]] },
  { name: "flip negative dim", run: () => i32([[1, 2, 3], [4, 5, 6]]).flip(-1), expected: [[3, 2, 1], [6, 5, 4]] },
  { name: "flip non-contiguous", run: () => i32([[1, 2, 3], [4, 5, 6]]).transpose(0, 1).flip(0), expected: [[3, 6], [2, 5], [1, 4]] },
  { name: "flip no dims is a copy", run: () => f32([1.5, 2]).flip([]), expected: [1.5, 2], dtype: "float32" },
  { name: "flip bool", run: () => k.tensor([true, false, false]).flip(0), expected: [false, false, true], dtype: "bool" },
  // roll
  { name: "roll flattened", run: () => i32([[1, 2], [3, 4]]).roll(1), expected: [[4, 1], [2, 3]] },
  { name: "roll negative shift", run: () => i32([1, 2, 3, 4, 5]).roll(-2), expected: [3, 4, 5, 1, 2] },
  { name: "roll shift larger than size", run: () => i32([1, 2, 3]).roll(7, 0), expected: [3, 1, 2] },
  { name: "roll along dim 1", run: () => i32([[1, 2, 3], [4, 5, 6]]).roll(1, 1), expected: [[3, 1, 2], [6, 4, 5]] },
  { name: "roll along two dims", run: () => i32([[1, 2, 3], [4, 5, 6]]).roll([1, -1], [0, 1]), expected: [[5, 6, 4], [2, 3, 1]] },
  { name: "roll along dim -2", run: () => i32([[1, 2], [3, 4], [5, 6]]).roll(1, -2), expected: [[5, 6], [1, 2], [3, 4]] },
  {
    name: "roll non-contiguous",
    run: () => i32([[1, 2, 3], [4, 5, 6]]).transpose(0, 1).roll(1, 0),
    expected: [[3, 6], [1, 4], [2, 5]],
  },
  { name: "roll non-contiguous flattened", run: () => i32([[1, 2], [3, 4]]).transpose(0, 1).roll(1), expected: [[4, 1], [3, 2]] },
];

export const joinGradCases: GradCase[] = [
  { name: "cat dim 0", fn: (a, b) => k.cat([a!, b!]), inputs: () => [f64([[1, 2], [3, 4]]), f64([[5, 6]])] },
  { name: "cat dim -1 with a constant", fn: (a, b) => k.cat([a!, b!.mul(2), a!], -1), inputs: () => [f64([[1], [2]]), k.tensor([[3, 4], [5, 6]], { dtype: "float64" })] },
  { name: "stack dim 1", fn: (a, b) => k.stack([a!, b!], 1), inputs: () => [f64([1, 2, 3]), f64([4, 5, 6])] },
  { name: "hstack", fn: (a, b) => k.hstack([a!, b!]), inputs: () => [f64([[1], [2]]), f64([[3, 4], [5, 6]])] },
  { name: "vstack", fn: (a, b) => k.vstack([a!, b!]), inputs: () => [f64([1, 2]), f64([[3, 4]])] },
  { name: "repeat", fn: (a) => a!.repeat(2, 3, 1), inputs: () => [f64([[1, 2], [3, 4]])] },
  { name: "tile", fn: (a) => a!.tile(3), inputs: () => [f64([[1, 2], [3, 4]])] },
  { name: "flip", fn: (a) => a!.flip([0, -1]).mul(k.tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" })), inputs: () => [f64([[1, 2, 3], [4, 5, 6]])] },
  { name: "roll dims", fn: (a) => a!.roll([1, 2], [0, 1]), inputs: () => [f64([[1, 2, 3], [4, 5, 6]])] },
  { name: "roll flattened", fn: (a) => a!.roll(-3), inputs: () => [f64([[1, 2, 3], [4, 5, 6]])] },
];
