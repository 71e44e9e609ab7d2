// Known-value and gradient cases for nn.functional: normalisation, losses, dropout, attention.
// Reference values are hand-computed (small cases) or computed with float64 NumPy formulas that
// follow PyTorch's definitions (see the comments).
import * as k from "../../../src/index.js";
import * as F from "../../../src/nn/functional.js";
import type { GradCase, OpCase } from "../../helpers/op-cases.js";

const f32 = (data: k.NestedData) => k.tensor(data, { dtype: "float32" });
const f64 = (data: k.NestedData, requiresGrad = true) => k.tensor(data, { dtype: "float64", requiresGrad });
const i32 = (data: k.NestedData) => k.tensor(data, { dtype: "int32" });

// Shared inputs of the cross-entropy cases: logits [3, 4], targets, class weights.
const X = [[1, 2, 3, 0.5], [0.1, -1, 2, 1], [3, 0, 0, -2]];
const T = [3, 0, 2];
const W = [1, 2, 0.5, 1.5];
const PROB = [[0.1, 0.2, 0.3, 0.4], [1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25]];
const X3 = [[[1, 0], [2, 1], [0, 3]], [[0.5, -1], [0, 0], [1, 2]]];
const T3 = [[2, 1], [0, 2]];

// batchNorm inputs [3, 2, 2]
const XB = [[[1, 2], [0, 1]], [[3, -1], [2, 2]], [[0, 0], [4, 1]]];

const q3 = () => f32([[[1, 0], [0, 1], [1, 1]]]);

export const nnFunctionalCases: OpCase[] = [
  // ------------------------------------------------------------------ normalisation
  { name: "layerNorm of [1, 2, 3]", run: () => F.layerNorm(f32([1, 2, 3]), [3]), expected: [-1.2247357, 0, 1.2247357], dtype: "float32" },
  {
    name: "layerNorm rows, number normalizedShape",
    run: () => F.layerNorm(f32([[1, 2, 3], [4, 6, 8]]), 3),
    expected: [[-1.2247357, 0, 1.2247357], [-1.2247425, 0, 1.2247425]],
  },
  {
    name: "layerNorm over two dims with weight and bias",
    run: () =>
      F.layerNorm(f32([[[1, 2], [3, 5]], [[0, -1], [2, 2]]]), [2, 2], f32([[1, 0.5], [2, -1]]), f32([[0, 1], [-1, 0.5]])),
    expected: [[[-1.1832133, 0.7464543], [-0.6619391, -1.0212742]], [[-0.5773486, 0.3264267], [0.9244952, -0.4622476]]],
  },
  {
    name: "layerNorm of a transposed (non-contiguous) input",
    run: () => F.layerNorm(f32([[1, 4], [2, 6], [3, 8]]).transpose(0, 1), [3]),
    expected: [[-1.2247357, 0, 1.2247357], [-1.2247425, 0, 1.2247425]],
  },
  {
    name: "layerNorm float64 with eps option",
    run: () => F.layerNorm(f64([1, 3], false), [2], null, null, { eps: 0 }),
    expected: [-1, 1],
    dtype: "float64",
  },
  {
    name: "rmsNorm with weight (default eps = finfo(float32).eps)",
    run: () => F.rmsNorm(f32([[1, 2, 3], [-1, 0, 4]]), [3], f32([1, 2, 0.5])),
    expected: [[0.46291, 1.8516402, 0.6943651], [-0.420084, 0, 0.840168]],
  },
  { name: "rmsNorm eps option", run: () => F.rmsNorm(f64([3, 4], false), [2], null, { eps: 0 }), expected: [3 / Math.sqrt(12.5), 4 / Math.sqrt(12.5)] },
  {
    name: "groupNorm 2 groups with weight and bias",
    run: () =>
      F.groupNorm(
        f32([[[1, 2], [3, 4], [0, 0], [1, -1]], [[2, 2], [2, 3], [5, 1], [0, 2]]]),
        2,
        f32([1, 2, 0.5, -1]),
        f32([0, 1, 0, 2]),
      ),
    expected: [
      [[-1.3416354, -0.4472118], [1.8944236, 3.6832708], [0, 0], [0.5858006, 3.4141994]],
      [[-0.5773349, -0.5773349], [-0.1546697, 4.4640092], [0.8017826, -0.2672609], [3.0690434, 2]],
    ],
    atol: 1e-4,
  },
  { name: "groupNorm on [N, C]", run: () => F.groupNorm(f32([[1, 3, 5, 7]]), 2), expected: [[-0.99999, 0.99999, -0.99999, 0.99999]], atol: 1e-4 },
  {
    name: "batchNorm training: batch statistics, running stats updated (unbiased var)",
    run: () => {
      const rm = f32([0.5, -0.5]);
      const rv = f32([1, 2]);
      const y = F.batchNorm(f32(XB), rm, rv, f32([2, 0.5]), f32([1, -1]), { training: true });
      return [y, rm, rv];
    },
    expected: [
      [[[1.2480688, 2.7364815], [-1.668151, -1.2672604]], [[4.2248942, -1.7287566], [-0.8663698, -0.8663698]], [[-0.2403439, -0.2403439], [-0.0645887, -1.2672604]]],
      [0.5333333, -0.2833333],
      [1.1166667, 1.9866667],
    ],
    atol: 1e-4,
  },
  {
    name: "batchNorm training with momentum 0.5 and no running stats",
    run: () => {
      const rm = f32([0, 0]);
      const rv = f32([1, 1]);
      F.batchNorm(f32([[1, 2], [3, 6]]), rm, rv, null, null, { training: true, momentum: 0.5 });
      return [F.batchNorm(f32([[1, 2], [3, 6]]), null, null, null, null, { training: true }), rm, rv];
    },
    expected: [[[-0.999995, -0.9999988], [0.999995, 0.9999988]], [1, 2], [1.5, 4.5]],
    atol: 1e-5,
  },
  {
    name: "batchNorm eval uses running stats",
    run: () => F.batchNorm(f32(XB), f32([0.5, -0.5]), f32([1, 2]), f32([2, 0.5]), f32([1, -1])),
    expected: [[[1.999995, 3.999985], [-0.8232237, -0.4696712]], [[5.999975, -1.999985], [-0.1161187, -0.1161187]], [[5e-6, 5e-6], [0.5909863, -0.4696712]]],
    atol: 1e-4,
  },
  // ------------------------------------------------------------------ attention
  {
    name: "scaledDotProductAttention",
    run: () => F.scaledDotProductAttention(q3(), q3(), q3()),
    expected: [[[0.8022242, 0.5988879], [0.5988879, 0.8022242], [0.7517449, 0.7517449]]],
  },
  {
    name: "scaledDotProductAttention isCausal",
    run: () => F.scaledDotProductAttention(q3(), q3(), q3(), { isCausal: true }),
    // row 1: softmax([0, 1/√2]) = [0.3302385, 0.6697615]
    expected: [[[1, 0], [0.3302385, 0.6697615], [0.7517449, 0.7517449]]],
  },
  {
    name: "scaledDotProductAttention bool mask (true = attend) equals causal",
    run: () =>
      F.scaledDotProductAttention(q3(), q3(), q3(), {
        attnMask: k.tensor([[true, false, false], [true, true, false], [true, true, true]]),
      }),
    expected: [[[1, 0], [0.3302385, 0.6697615], [0.7517449, 0.7517449]]],
  },
  {
    name: "scaledDotProductAttention float mask is added, scale option",
    run: () =>
      F.scaledDotProductAttention(f32([[1, 0]]), f32([[1, 0], [0, 1]]), f32([[10, 0], [0, 10]]), {
        attnMask: f32([[0, Math.log(2)]]),
        scale: 0,
      }),
    // scores [0, log 2] → weights [1/3, 2/3]
    expected: [[10 / 3, 20 / 3]],
  },
  {
    name: "scaledDotProductAttention fully masked row gives zeros",
    run: () => F.scaledDotProductAttention(f32([[1, 0], [0, 1]]), f32([[1, 0], [0, 1]]), f32([[1, 2], [3, 4]]), { attnMask: k.tensor([[false, false], [true, true]]) }),
    expected: [[0, 0], [2.339523, 3.339523]],
  },
  {
    name: "scaledDotProductAttention broadcasts batch dims (key/value shared)",
    run: () => F.scaledDotProductAttention(f32([[[1, 0]], [[0, 1]]]), f32([[[1, 0], [0, 1]]]), f32([[[1, 0], [0, 1]]]), { scale: 0 }),
    expected: [[[0.5, 0.5]], [[0.5, 0.5]]],
  },
  {
    name: "scaledDotProductAttention 4-d [B, H, L, E] with L != S and Ev != E",
    run: () => F.scaledDotProductAttention(k.ones([1, 2, 1, 3]), k.ones([1, 2, 4, 3]), k.ones([1, 2, 4, 5]).mul(2)),
    expected: [[[[2, 2, 2, 2, 2]], [[2, 2, 2, 2, 2]]]],
  },
  // ------------------------------------------------------------------ dropout
  { name: "dropout p = 1 zeroes everything", run: () => F.dropout(k.ones([4]), { p: 1 }), expected: [0, 0, 0, 0] },
  { name: "dropout in eval mode is the identity", run: () => F.dropout(f32([1, 2]), { training: false }), expected: [1, 2] },
  // ------------------------------------------------------------------ crossEntropy
  { name: "crossEntropy mean", run: () => F.crossEntropy(f32(X), i32(T)), expected: 2.8037062, dtype: "float32" },
  { name: "crossEntropy sum", run: () => F.crossEntropy(f32(X), i32(T), { reduction: "sum" }), expected: 8.4111185 },
  { name: "crossEntropy none", run: () => F.crossEntropy(f32(X), i32(T), { reduction: "none" }), expected: [2.9607735, 2.349313, 3.101032] },
  {
    name: "crossEntropy weighted mean divides by the summed target weights",
    run: () => F.crossEntropy(f32(X), i32(T), { weight: f32(W) }),
    expected: 2.7803298,
  },
  { name: "crossEntropy weighted none", run: () => F.crossEntropy(f32(X), i32(T), { weight: f32(W), reduction: "none" }), expected: [4.4411602, 2.349313, 1.550516] },
  {
    name: "crossEntropy ignoreIndex (mean over the kept targets, 0 in none)",
    run: () => [F.crossEntropy(f32(X), i32([3, 1, 2]), { ignoreIndex: 1 }), F.crossEntropy(f32(X), i32([3, -100, 2]), { reduction: "none" })],
    expected: [3.0309028, [2.9607735, 0, 3.101032]],
  },
  { name: "crossEntropy all targets ignored: mean is NaN", run: () => F.crossEntropy(f32(X), i32([-100, -100, -100])), expected: NaN },
  {
    name: "crossEntropy labelSmoothing none",
    run: () => F.crossEntropy(f32(X), i32(T), { labelSmoothing: 0.2, reduction: "none" }),
    expected: [2.7357735, 2.264313, 3.051032],
  },
  {
    name: "crossEntropy labelSmoothing + weight + ignoreIndex, mean",
    run: () => F.crossEntropy(f32(X), i32([3, 1, 2]), { labelSmoothing: 0.2, weight: f32(W), ignoreIndex: 1 }),
    expected: 3.0356462,
  },
  {
    name: "crossEntropy class-probability targets with weight",
    run: () => [
      F.crossEntropy(f32(X), f32(PROB), { weight: f32(W), reduction: "none" }),
      F.crossEntropy(f32(X), f32(PROB), { weight: f32(W) }),
    ],
    expected: [[2.6759669, 2.349313, 3.87629], 2.96719],
  },
  { name: "crossEntropy probability targets with labelSmoothing", run: () => F.crossEntropy(f32(X), f32(PROB), { labelSmoothing: 0.1 }), expected: 2.3387062 },
  {
    name: "crossEntropy 3-d input [N, C, d]",
    run: () => [F.crossEntropy(f32(X3), i32(T3), { reduction: "none" }), F.crossEntropy(f32(X3), i32(T3))],
    expected: [[[2.407606, 2.169846], [1.1802697, 0.169846]], 1.4818919],
  },
  { name: "crossEntropy unbatched [C] input with 0-d target", run: () => F.crossEntropy(f32([1, 2, 3]), i32(1)), expected: 1.407606 },
  { name: "crossEntropy float64", run: () => F.crossEntropy(f64(X, false), i32(T)), expected: 2.8037062, dtype: "float64" },
  // ------------------------------------------------------------------ nllLoss
  { name: "nllLoss none", run: () => F.nllLoss(f32(X), i32(T), { reduction: "none" }), expected: [-0.5, -0.1, -0] },
  { name: "nllLoss weighted mean", run: () => F.nllLoss(f32(X), i32(T), { weight: f32(W) }), expected: -0.2833333 },
  { name: "nllLoss sum with ignoreIndex", run: () => F.nllLoss(f32(X), i32([3, 0, 2]), { reduction: "sum", ignoreIndex: 0 }), expected: -0.5 },
  { name: "nllLoss 3-d", run: () => F.nllLoss(f32(X3), i32(T3), { reduction: "none" }), expected: [[0, -1], [-0.5, -2]] },
  // ------------------------------------------------------------------ regression and binary losses
  { name: "mseLoss mean/sum/none", run: () => ["mean", "sum", "none"].map((r) => F.mseLoss(f32([1.5, 2, -1]), f32([1, 0, -1]), { reduction: r as "mean" })), expected: [4.25 / 3, 4.25, [0.25, 4, 0]] },
  { name: "l1Loss mean/sum/none", run: () => ["mean", "sum", "none"].map((r) => F.l1Loss(f32([1.5, 2, -1]), f32([1, 0, -3]), { reduction: r as "mean" })), expected: [4.5 / 3, 4.5, [0.5, 2, 2]] },
  {
    name: "binaryCrossEntropy with weight: none/mean/sum",
    run: () =>
      ["none", "mean", "sum"].map((r) => F.binaryCrossEntropy(f32([[0.2, 0.7], [0.9, 0.5]]), f32([[0, 1], [1, 0.3]]), { weight: f32([1, 2]), reduction: r as "mean" })),
    expected: [[[0.2231436, 0.7133499], [0.1053605, 1.3862944]], 0.6070371, 2.4281483],
  },
  { name: "binaryCrossEntropy clamps log at -100", run: () => F.binaryCrossEntropy(f32([0, 1]), f32([1, 0]), { reduction: "none" }), expected: [100, 100] },
  {
    name: "binaryCrossEntropyWithLogits with weight and posWeight",
    run: () => [
      F.binaryCrossEntropyWithLogits(f32([[0.5, -2], [3, 0]]), f32([[1, 0], [0.5, 1]]), { weight: f32([[1], [3]]), posWeight: f32([2, 0.5]), reduction: "none" }),
      F.binaryCrossEntropyWithLogits(f32([[0.5, -2], [3, 0]]), f32([[1, 0], [0.5, 1]]), { weight: f32([[1], [3]]), posWeight: f32([2, 0.5]) }),
      F.binaryCrossEntropyWithLogits(f32([[0.5, -2], [3, 0]]), f32([[1, 0], [0.5, 1]]), { reduction: "sum" }),
    ],
    expected: [[[0.948154, 0.126928], [4.7186431, 1.0397208]], 1.7083615, 2.8427395],
  },
  { name: "binaryCrossEntropyWithLogits is stable for large logits", run: () => F.binaryCrossEntropyWithLogits(f32([100, -100]), f32([0, 1]), { reduction: "none" }), expected: [100, 100] },
];

// ---------------------------------------------------------------------------------------------
// gradcheck cases (float64)

const rnd = (shape: number[], seed: number, scale = 1, shift = 0): number[] => {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * scale + shift);
};
const t64 = (shape: number[], seed: number, scale = 1, shift = 0, requiresGrad = true) =>
  k.tensor(rnd(shape, seed, scale, shift), { dtype: "float64" }).reshape(shape).requiresGrad_(requiresGrad);
const c64 = (shape: number[], seed: number, scale = 1, shift = 0) => t64(shape, seed, scale, shift, false);

/** Second-order check: gradcheck of x ↦ ∂(Σ c·f(x))/∂x with createGraph. */
function gradOfGrad(f: (x: k.Tensor, ...rest: k.Tensor[]) => k.Tensor): (x: k.Tensor, ...rest: k.Tensor[]) => k.Tensor {
  return (x, ...rest) =>
    k.enableGrad(() => {
      const y = f(x, ...rest);
      const c = k.tensor(rnd(y.shape.slice(), 7, 1, 0.3), { dtype: "float64" }).reshape(y.shape.slice());
      return k.autograd.grad(y.mul(c).sum(), x, { createGraph: true })[0]!;
    });
}

export const nnFunctionalGradCases: GradCase[] = [
  { name: "layerNorm input", fn: (x) => F.layerNorm(x, [4]), inputs: () => [t64([3, 4], 1)] },
  { name: "layerNorm input, weight, bias over 2 dims", fn: (x, w, b) => F.layerNorm(x, [2, 3], w, b), inputs: () => [t64([2, 2, 3], 2), t64([2, 3], 3, 1, 1), t64([2, 3], 4)] },
  { name: "layerNorm weight only", fn: (x, w) => F.layerNorm(x, [3], w), inputs: () => [t64([2, 3], 5), t64([3], 6)] },
  { name: "layerNorm double backward", fn: gradOfGrad((x) => F.layerNorm(x, [4])), inputs: () => [t64([2, 4], 8)] },
  { name: "layerNorm double backward with weight", fn: gradOfGrad((x, w) => F.layerNorm(x, [3], w)), inputs: () => [t64([2, 3], 9), t64([3], 10)] },
  { name: "rmsNorm input and weight", fn: (x, w) => F.rmsNorm(x, [3], w), inputs: () => [t64([2, 3], 11), t64([3], 12)] },
  { name: "rmsNorm double backward", fn: gradOfGrad((x) => F.rmsNorm(x, [3])), inputs: () => [t64([2, 3], 13)] },
  { name: "groupNorm input, weight, bias", fn: (x, w, b) => F.groupNorm(x, 2, w, b), inputs: () => [t64([2, 4, 3], 14), t64([4], 15), t64([4], 16)] },
  { name: "groupNorm on [N, C]", fn: (x) => F.groupNorm(x, 2), inputs: () => [t64([2, 6], 17)] },
  { name: "groupNorm double backward", fn: gradOfGrad((x) => F.groupNorm(x, 2)), inputs: () => [t64([1, 4, 2], 18)] },
  {
    name: "batchNorm training input, weight, bias",
    fn: (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }),
    inputs: () => [t64([3, 2, 2], 19), t64([2], 20), t64([2], 21)],
  },
  {
    name: "batchNorm training with running stats, [N, C]",
    fn: (x, rm, rv) => F.batchNorm(x, rm!, rv!, null, null, { training: true }),
    inputs: () => [t64([4, 3], 22), c64([3], 1), c64([3], 2, 0.1, 1)],
  },
  {
    name: "batchNorm eval input, weight, bias",
    fn: (x, w, b, rm, rv) => F.batchNorm(x, rm!, rv!, w, b),
    inputs: () => [t64([2, 2, 3], 23), t64([2], 24), t64([2], 25), c64([2], 3), c64([2], 4, 0.1, 1)],
  },
  { name: "batchNorm double backward", fn: gradOfGrad((x) => F.batchNorm(x, null, null, null, null, { training: true })), inputs: () => [t64([3, 2], 26)] },
  {
    name: "dropout (fixed seed)",
    fn: (x) => {
      k.manualSeed(5);
      return F.dropout(x, { p: 0.4 });
    },
    inputs: () => [t64([10], 27)],
  },
  { name: "scaledDotProductAttention q, k, v", fn: (q, kk, v) => F.scaledDotProductAttention(q, kk, v), inputs: () => [t64([2, 3, 4], 28), t64([2, 5, 4], 29), t64([2, 5, 2], 30)] },
  { name: "scaledDotProductAttention causal", fn: (q, kk, v) => F.scaledDotProductAttention(q, kk, v, { isCausal: true }), inputs: () => [t64([1, 4, 3], 31), t64([1, 4, 3], 32), t64([1, 4, 3], 33)] },
  {
    name: "scaledDotProductAttention float mask takes a gradient",
    fn: (q, kk, v, m) => F.scaledDotProductAttention(q, kk, v, { attnMask: m }),
    inputs: () => [t64([2, 3, 2], 34), t64([2, 3, 2], 35), t64([2, 3, 2], 36), t64([3, 3], 37)],
  },
  {
    name: "scaledDotProductAttention bool mask, broadcast key/value batch, scale",
    fn: (q, kk, v) =>
      F.scaledDotProductAttention(q, kk, v, { attnMask: k.tensor([[true, false, true], [false, true, true]]), scale: 0.7 }),
    inputs: () => [t64([2, 2, 2, 3], 38), t64([1, 2, 3, 3], 39), t64([2, 1, 3, 2], 40)],
  },
  {
    name: "scaledDotProductAttention with dropout (fixed seed)",
    fn: (q, kk, v) => {
      k.manualSeed(11);
      return F.scaledDotProductAttention(q, kk, v, { dropoutP: 0.3 });
    },
    inputs: () => [t64([2, 3, 2], 41), t64([2, 4, 2], 42), t64([2, 4, 3], 43)],
  },
  { name: "crossEntropy input (mean)", fn: (x) => F.crossEntropy(x, i32(T)), inputs: () => [f64(X)] },
  { name: "crossEntropy none with weight and ignoreIndex", fn: (x) => F.crossEntropy(x, i32([3, 1, 2]), { weight: f64(W, false), ignoreIndex: 1, reduction: "none" }), inputs: () => [f64(X)] },
  {
    name: "crossEntropy labelSmoothing + weight + ignoreIndex (mean)",
    fn: (x) => F.crossEntropy(x, i32([3, 1, 2]), { weight: f64(W, false), ignoreIndex: 1, labelSmoothing: 0.2 }),
    inputs: () => [f64(X)],
  },
  { name: "crossEntropy 3-d sum", fn: (x) => F.crossEntropy(x, i32(T3), { reduction: "sum", labelSmoothing: 0.1 }), inputs: () => [f64(X3)] },
  { name: "crossEntropy unbatched [C]", fn: (x) => F.crossEntropy(x, i32(2)), inputs: () => [f64([0.3, -1, 2])] },
  {
    name: "crossEntropy probability targets: input and target",
    fn: (x, t) => F.crossEntropy(x, t, { weight: f64(W, false), labelSmoothing: 0.1 }),
    inputs: () => [f64(X), f64(PROB)],
  },
  { name: "crossEntropy probability targets none", fn: (x, t) => F.crossEntropy(x, t, { reduction: "none" }), inputs: () => [t64([2, 3, 2], 44), t64([2, 3, 2], 45, 0.5, 0.5)] },
  { name: "crossEntropy double backward", fn: gradOfGrad((x) => F.crossEntropy(x, i32(T), { weight: f64(W, false), labelSmoothing: 0.1 })), inputs: () => [f64(X)] },
  {
    name: "crossEntropy none + ignoreIndex double backward",
    fn: gradOfGrad((x) => F.crossEntropy(x, i32([3, -100, 2]), { reduction: "none" })),
    inputs: () => [f64(X)],
  },
  { name: "crossEntropy 3-d sum double backward", fn: gradOfGrad((x) => F.crossEntropy(x, i32(T3), { reduction: "sum", labelSmoothing: 0.3 })), inputs: () => [f64(X3)] },
  { name: "crossEntropy prob targets double backward", fn: gradOfGrad((x, t) => F.crossEntropy(x, t!)), inputs: () => [f64(X), f64(PROB)] },
  { name: "nllLoss weighted mean", fn: (x) => F.nllLoss(x, i32(T), { weight: f64(W, false) }), inputs: () => [f64(X)] },
  { name: "nllLoss 3-d none", fn: (x) => F.nllLoss(x, i32(T3), { reduction: "none" }), inputs: () => [f64(X3)] },
  { name: "mseLoss input and target", fn: (x, t) => F.mseLoss(x, t), inputs: () => [t64([2, 3], 46), t64([2, 3], 47)] },
  { name: "mseLoss broadcast none", fn: (x, t) => F.mseLoss(x, t, { reduction: "none" }), inputs: () => [t64([2, 3], 48), t64([3], 49)] },
  { name: "l1Loss sum", fn: (x, t) => F.l1Loss(x, t, { reduction: "sum" }), inputs: () => [t64([2, 3], 50), t64([2, 3], 51)] },
  {
    name: "binaryCrossEntropy input and target with weight",
    fn: (x, t) => F.binaryCrossEntropy(x, t, { weight: f64([1, 2, 0.5], false) }),
    inputs: () => [t64([2, 3], 52, 0.4, 0.5), t64([2, 3], 53, 0.5, 0.5)],
  },
  {
    name: "binaryCrossEntropyWithLogits input, target, weight, posWeight",
    fn: (x, t, w, pw) => F.binaryCrossEntropyWithLogits(x, t, { weight: w, posWeight: pw, reduction: "sum" }),
    inputs: () => [t64([2, 3], 54, 3), t64([2, 3], 55, 0.5, 0.5), t64([2, 1], 56, 0.5, 1), t64([3], 57, 0.5, 1.5)],
  },
  {
    name: "binaryCrossEntropyWithLogits double backward",
    fn: gradOfGrad((x, t) => F.binaryCrossEntropyWithLogits(x, t!, { reduction: "none" })),
    inputs: () => [t64([4], 58, 2), c64([4], 59, 0.5, 0.5)],
  },
];
