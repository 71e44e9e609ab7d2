// Loss functions: crossEntropy (fused log-softmax + nll, class-index or class-probability targets,
// label smoothing), nllLoss, binaryCrossEntropy(WithLogits), mseLoss, l1Loss. Reductions follow
// PyTorch exactly: a weighted "mean" of nll/crossEntropy divides by the summed weights of the
// targets that are not ignored; with probability targets it divides by the number of positions.
import { type DType, isFloating, torchTypeName } from "../core/dtype.js";
import { ArgumentError, DTypeError, IndexError, KilnRuntimeError, ShapeError, describeValue } from "../core/errors.js";
import { broadcastAll, formatShape, numelOf, shapesEqual } from "../core/shape.js";
import { Tensor } from "../core/tensor.js";
import { callOp, defineOp, type GradContext } from "./registry.js";
import { pointwiseKernel, type ScalarExpr } from "./pointwise-kernel.js";
import { floatResult, promote } from "./shared.js";
import { gradAs, sumToShape } from "./grad-utils.js";
import { contiguousData, requireFloatInput } from "./normalization.js";

export type Reduction = "none" | "mean" | "sum";

export function checkReduction(r: unknown): Reduction {
  if (r !== "none" && r !== "mean" && r !== "sum") throw new ArgumentError(`${String(r)} is not a valid value for reduction`);
  return r;
}

function reduceLoss(t: Tensor, r: Reduction): Tensor {
  return r === "none" ? t : r === "sum" ? t.sum() : t.mean();
}

function reducedMeta(shape: number[], r: Reduction, dtype: DType) {
  return { shape: r === "none" ? shape : [], dtype };
}

// ---------------------------------------------------------------------------------------------
// Class-index losses: layout [N, C, d1, ...] (or [C] without a batch dim).

interface ClassLayout {
  classDim: number;
  C: number;
  outer: number;
  inner: number;
  /** Shape of the per-position loss (the input without its class dim). */
  positions: number[];
}

function classLayout(shape: readonly number[]): ClassLayout {
  const nd = shape.length;
  const classDim = nd === 1 ? 0 : 1;
  return {
    classDim,
    C: shape[classDim]!,
    outer: nd === 1 ? 1 : shape[0]!,
    inner: numelOf(shape.slice(2)),
    positions: nd === 1 ? [] : [shape[0]!, ...shape.slice(2)],
  };
}

/** A shape putting C elements on the class dim of a rank-`nd` input. */
function classView(C: number, nd: number, classDim: number): number[] {
  const s = new Array<number>(nd).fill(1);
  s[classDim] = C;
  return s;
}

export interface ClassLossAttrs {
  ignoreIndex: number;
  reduction: Reduction;
  labelSmoothing: number;
  hasWeight: boolean;
}

/** PyTorch's nll_loss_nd checks; returns whether the target holds class probabilities. */
function checkClassLoss(op: string, x: Tensor, target: Tensor, weight: Tensor | null, attrs: ClassLossAttrs, allowProb: boolean): boolean {
  requireFloatInput(op, x);
  checkReduction(attrs.reduction);
  if (typeof attrs.ignoreIndex !== "number" || !Number.isInteger(attrs.ignoreIndex)) {
    throw new ArgumentError(`ignore_index must be an integer, but got ${describeValue(attrs.ignoreIndex)}`);
  }
  const ls = attrs.labelSmoothing;
  if (typeof ls !== "number" || Number.isNaN(ls) || ls < 0 || ls > 1) {
    throw new ArgumentError(`label_smoothing must be between 0.0 and 1.0. Got: ${String(ls)}`);
  }
  if (x.ndim < 1) throw new ShapeError(`Expected 1 or more dimensions (got ${x.ndim})`);
  const { C, classDim } = classLayout(x.shape);
  if (allowProb && shapesEqual(x.shape, target.shape)) {
    if (!isFloating(target.dtype)) {
      throw new DTypeError(`Expected floating point type for target with class probabilities, got ${torchTypeName(target.dtype)}`);
    }
    if (attrs.ignoreIndex >= 0) throw new ArgumentError("ignore_index is not supported for floating point target");
    if (weight !== null && (weight.ndim !== 1 || weight.numel() !== C)) {
      throw new ShapeError(
        `cross_entropy: weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: ${formatShape(weight.shape)}`,
      );
    }
    return true;
  }
  if (x.ndim !== 1 && (target.ndim === 0 || x.shape[0] !== target.shape[0])) {
    throw new ShapeError(`Expected input batch_size (${x.shape[0]}) to match target batch_size (${target.shape[0] ?? 0}).`);
  }
  if (target.dtype !== "int32") {
    throw new DTypeError(`expected scalar type Int but found ${torchTypeName(target.dtype)}`);
  }
  if (x.ndim === 1 && target.ndim !== 0) {
    throw new ShapeError(`size mismatch (got input: ${formatShape(x.shape)}, target: ${formatShape(target.shape)})`);
  }
  if (x.ndim === 2 && target.ndim !== 1) throw new ShapeError("0D or 1D target tensor expected, multi-target not supported");
  if (x.ndim >= 3 && !shapesEqual(target.shape.slice(1), x.shape.slice(2))) {
    throw new ShapeError(`Expected target size ${formatShape([x.shape[0]!, ...x.shape.slice(2)])}, got ${formatShape(target.shape)}`);
  }
  if (weight !== null && (weight.ndim !== 1 || weight.numel() !== C)) {
    throw new ShapeError(
      `weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: ${formatShape(weight.shape)}`,
    );
  }
  void classDim;
  return false;
}

function outOfBounds(t: number): never {
  throw new IndexError(`Target ${t} is out of bounds.`);
}

/**
 * The per-position coefficients B[n, c, d] with loss_n = Σ_c B[n, c] · (lse_n − x[n, c]) (for
 * crossEntropy) or loss_n = −Σ_c B[n, c] · x[n, c] (for nllLoss), already divided by the "mean"
 * denominator. Built with ops from the target so gradient formulas stay traceable.
 */
function classCoefficients(
  shape: readonly number[],
  dtype: DType,
  target: Tensor,
  weight: Tensor | null,
  attrs: ClassLossAttrs,
  prob: boolean,
): Tensor {
  const { reduction, labelSmoothing: eps, ignoreIndex } = attrs;
  const nd = shape.length;
  const L = classLayout(shape);
  const wv = weight !== null ? weight.reshape(classView(L.C, nd, L.classDim)) : null;
  if (prob) {
    let q = target;
    if (eps > 0) q = q.mul(1 - eps).add(eps / L.C);
    let B = wv !== null ? q.mul(wv) : q;
    if (reduction === "mean") B = B.div(numelOf(L.positions));
    return gradAs(B, dtype);
  }
  const classes = new Int32Array(L.C);
  for (let c = 0; c < L.C; c++) classes[c] = c;
  const classIdx = Tensor.fromData(classes, classView(L.C, nd, L.classDim), "int32");
  const t = target.unsqueeze(L.classDim);
  const keep = t.ne(ignoreIndex).to(dtype);
  const onehot = t.eq(classIdx).to(dtype);
  let sel = onehot.mul(keep);
  if (wv !== null) sel = sel.mul(wv);
  let B = eps > 0 ? sel.mul(1 - eps).add((wv !== null ? keep.mul(wv) : keep).mul(eps / L.C)) : sel;
  if (reduction === "mean") B = B.div(sel.sum());
  return gradAs(B, dtype);
}

export const crossEntropy = defineOp<ClassLossAttrs>({
  name: "crossEntropy",
  kind: "other",
  meta(inputs, attrs) {
    const [x, target] = inputs;
    const w = attrs.hasWeight ? inputs[2]! : null;
    checkClassLoss("cross_entropy", x!, target!, w, attrs, true);
    const L = classLayout(x!.shape);
    return [reducedMeta(L.positions.slice(), attrs.reduction, x!.dtype), { shape: L.positions.slice(), dtype: x!.dtype }];
  },
  kernel(inputs, attrs, outs) {
    const x = inputs[0]!;
    const t = inputs[1]!;
    const prob = shapesEqual(x.shape, t.shape);
    const { C, outer, inner } = classLayout(x.shape);
    const { d: xd, o: xo } = contiguousData(x);
    const { d: td, o: to } = contiguousData(t);
    const w = attrs.hasWeight ? contiguousData(inputs[2]!) : null;
    const loss = outs[0]!._storage!.data;
    const lseOut = outs[1]!._storage!.data;
    const eps = attrs.labelSmoothing;
    const ignore = attrs.ignoreIndex;
    const none = attrs.reduction === "none";
    let sumW = C;
    if (w !== null) {
      sumW = 0;
      for (let c = 0; c < C; c++) sumW += w.d[w.o + c]!;
    }
    let total = 0;
    let denom = 0;
    for (let n = 0; n < outer; n++) {
      for (let j = 0; j < inner; j++) {
        const pos = n * inner + j;
        const base = xo + n * C * inner + j;
        // logsumexp in one pass (running maximum, rescaled sum)
        let m = -Infinity;
        let s = 0;
        for (let c = 0, p = base; c < C; c++, p += inner) {
          const v = xd[p]!;
          if (v > m) {
            s = s * Math.exp(m - v) + 1;
            m = v;
          } else if (v !== -Infinity) s += Math.exp(v - m);
        }
        const lse = m + Math.log(s);
        lseOut[pos] = lse;
        let l: number;
        if (prob) {
          const tb = to + n * C * inner + j;
          let sq = 0;
          let sqx = 0;
          for (let c = 0, p = 0; c < C; c++, p += inner) {
            let q = td[tb + p]!;
            if (eps > 0) q = q * (1 - eps) + eps / C;
            if (w !== null) q *= w.d[w.o + c]!;
            sq += q;
            sqx += q * xd[base + p]!;
          }
          l = lse * sq - sqx;
          denom += 1;
        } else {
          const tgt = td[to + pos]!;
          if (tgt === ignore) {
            if (none) loss[pos] = 0;
            continue;
          }
          if (tgt < 0 || tgt >= C) outOfBounds(tgt);
          const wt = w !== null ? w.d[w.o + tgt]! : 1;
          l = wt * (lse - xd[base + tgt * inner]!);
          if (eps > 0) {
            let swx = 0;
            for (let c = 0, p = base; c < C; c++, p += inner) swx += (w !== null ? w.d[w.o + c]! : 1) * xd[p]!;
            l = (1 - eps) * l + (eps / C) * (lse * sumW - swx);
          }
          denom += wt;
        }
        if (none) loss[pos] = l;
        else total += l;
      }
    }
    if (!none) loss[0] = attrs.reduction === "sum" ? total : total / denom;
  },
  grad(ctx, [g, gLse]) {
    const { reduction, labelSmoothing: eps, hasWeight } = ctx.attrs;
    const shape = ctx.inputShape(0);
    const L = classLayout(shape);
    const prob = isFloating(ctx.inputDType(1));
    const x = ctx.input(0);
    const lse = ctx.output(1).unsqueeze(L.classDim);
    const needX = ctx.needsInputGrad(0);
    const needT = prob && ctx.needsInputGrad(1);
    let gx: Tensor | null = null;
    let gt: Tensor | null = null;
    let p: Tensor | null = null;
    if (g && (needX || needT)) {
      const gb = reduction === "none" ? g.unsqueeze(L.classDim) : g;
      if (needX && !prob) {
        const w = hasWeight ? [ctx.input(2)] : [];
        gx = callOp("crossEntropyBackward", [g, x, ctx.output(1), ctx.input(1), ...w], ctx.attrs)[0]!;
      } else if (needX) {
        const B = classCoefficients(shape, ctx.inputDType(0), ctx.input(1), hasWeight ? ctx.input(2) : null, ctx.attrs, true);
        p = x.sub(lse).exp();
        gx = B.sum(L.classDim, { keepdim: true }).mul(p).sub(B).mul(gb);
      }
      if (needT) {
        let d = lse.sub(x);
        if (hasWeight) d = d.mul(ctx.input(2).reshape(classView(L.C, shape.length, L.classDim)));
        const factor = (1 - eps) / (reduction === "mean" ? numelOf(L.positions) : 1);
        gt = gradAs(d.mul(gb).mul(factor), ctx.inputDType(1));
      }
    }
    if (gLse && needX) {
      p ??= x.sub(lse).exp();
      const term = gLse.unsqueeze(L.classDim).mul(p);
      gx = gx === null ? term : gx.add(term);
    }
    const out: (Tensor | null)[] = [gx === null ? null : gradAs(gx, ctx.inputDType(0)), gt];
    if (hasWeight) out.push(null);
    return out;
  },
});

/**
 * Fused gradient of crossEntropy with class-index targets: inputs [gradOut, input, lse, target,
 * weight?], output dInput = g · (A·softmax − B) in one sweep. Its own gradient (double backward)
 * is written with ops; the part that reaches `lse` flows back into crossEntropy's lse output.
 */
export const crossEntropyBackward = defineOp<ClassLossAttrs>({
  name: "crossEntropyBackward",
  kind: "other",
  meta: (inputs) => [{ shape: inputs[1]!.shape.slice(), dtype: inputs[1]!.dtype }],
  kernel(inputs, attrs, outs) {
    const [g, x, lse, t] = inputs as [Tensor, Tensor, Tensor, Tensor];
    const { C, outer, inner } = classLayout(x.shape);
    const { d: gd, o: go } = contiguousData(g);
    const { d: xd, o: xo } = contiguousData(x);
    const { d: ld, o: lo } = contiguousData(lse);
    const { d: td, o: to } = contiguousData(t);
    const w = attrs.hasWeight ? contiguousData(inputs[4]!) : null;
    const gx = outs[0]!._storage!.data;
    const eps = attrs.labelSmoothing;
    const ignore = attrs.ignoreIndex;
    const none = attrs.reduction === "none";
    const npos = outer * inner;
    let sumW = C;
    if (w !== null) {
      sumW = 0;
      for (let c = 0; c < C; c++) sumW += w.d[w.o + c]!;
    }
    let denom = 1;
    if (attrs.reduction === "mean") {
      denom = 0;
      for (let pos = 0; pos < npos; pos++) {
        const tgt = td[to + pos]!;
        if (tgt !== ignore) denom += w !== null ? w.d[w.o + tgt]! : 1;
      }
    }
    for (let n = 0; n < outer; n++) {
      for (let j = 0; j < inner; j++) {
        const pos = n * inner + j;
        const tgt = td[to + pos]!;
        if (tgt === ignore) continue;
        if (tgt < 0 || tgt >= C) outOfBounds(tgt);
        const s = (none ? gd[go + pos]! : gd[go]!) / denom;
        const wt = w !== null ? w.d[w.o + tgt]! : 1;
        const A = (1 - eps) * wt + (eps / C) * sumW;
        const l = ld[lo + pos]!;
        const base = n * C * inner + j;
        const sA = s * A;
        const sE = (s * eps) / C;
        if (w !== null && eps > 0) {
          for (let c = 0, p = base; c < C; c++, p += inner) gx[p] = sA * Math.exp(xd[xo + p]! - l) - sE * w.d[w.o + c]!;
        } else {
          for (let c = 0, p = base; c < C; c++, p += inner) gx[p] = sA * Math.exp(xd[xo + p]! - l) - sE;
        }
        gx[base + tgt * inner] -= s * (1 - eps) * wt;
      }
    }
  },
  grad(ctx, [h]) {
    const n = ctx.attrs.hasWeight ? 5 : 4;
    const out: (Tensor | null)[] = new Array<Tensor | null>(n).fill(null);
    if (!h) return out;
    const shape = ctx.inputShape(1);
    const L = classLayout(shape);
    const g = ctx.input(0);
    const x = ctx.input(1);
    const B = classCoefficients(shape, ctx.inputDType(1), ctx.input(3), ctx.attrs.hasWeight ? ctx.input(4) : null, ctx.attrs, false);
    const A = B.sum(L.classDim, { keepdim: true });
    const p = x.sub(ctx.input(2).unsqueeze(L.classDim)).exp();
    const none = ctx.attrs.reduction === "none";
    const gb = none ? g.unsqueeze(L.classDim) : g;
    if (ctx.needsInputGrad(0)) {
      const dg = h.mul(A.mul(p).sub(B));
      out[0] = gradAs(none ? dg.sum(L.classDim) : dg.sum(), ctx.inputDType(0));
    }
    if (ctx.needsInputGrad(1) || ctx.needsInputGrad(2)) {
      const dx = h.mul(A).mul(gb).mul(p);
      if (ctx.needsInputGrad(1)) out[1] = gradAs(dx, ctx.inputDType(1));
      if (ctx.needsInputGrad(2)) out[2] = gradAs(dx.sum(L.classDim).neg(), ctx.inputDType(2));
    }
    return out;
  },
});

export const nllLoss = defineOp<ClassLossAttrs>({
  name: "nllLoss",
  kind: "other",
  meta(inputs, attrs) {
    const [x, target] = inputs;
    checkClassLoss("nll_loss", x!, target!, attrs.hasWeight ? inputs[2]! : null, attrs, false);
    return [reducedMeta(classLayout(x!.shape).positions, attrs.reduction, x!.dtype)];
  },
  kernel(inputs, attrs, outs) {
    const x = inputs[0]!;
    const { C, outer, inner } = classLayout(x.shape);
    const { d: xd, o: xo } = contiguousData(x);
    const { d: td, o: to } = contiguousData(inputs[1]!);
    const w = attrs.hasWeight ? contiguousData(inputs[2]!) : null;
    const loss = outs[0]!._storage!.data;
    const none = attrs.reduction === "none";
    let total = 0;
    let denom = 0;
    for (let n = 0; n < outer; n++) {
      for (let j = 0; j < inner; j++) {
        const pos = n * inner + j;
        const tgt = td[to + pos]!;
        if (tgt === attrs.ignoreIndex) {
          if (none) loss[pos] = 0;
          continue;
        }
        if (tgt < 0 || tgt >= C) outOfBounds(tgt);
        const wt = w !== null ? w.d[w.o + tgt]! : 1;
        const l = -wt * xd[xo + (n * C + tgt) * inner + j]!;
        if (none) loss[pos] = l;
        else total += l;
        denom += wt;
      }
    }
    if (!none) loss[0] = attrs.reduction === "sum" ? total : total / denom;
  },
  grad(ctx, [g]) {
    const L = classLayout(ctx.inputShape(0));
    let gx: Tensor | null = null;
    if (g && ctx.needsInputGrad(0)) {
      const gb = ctx.attrs.reduction === "none" ? g.unsqueeze(L.classDim) : g;
      const B = classCoefficients(ctx.inputShape(0), ctx.inputDType(0), ctx.input(1), ctx.attrs.hasWeight ? ctx.input(2) : null, ctx.attrs, false);
      gx = gradAs(B.mul(gb).neg(), ctx.inputDType(0));
    }
    return ctx.attrs.hasWeight ? [gx, null, null] : [gx, null];
  },
});

// ---------------------------------------------------------------------------------------------
// Binary cross entropy

export interface BceAttrs {
  hasWeight: boolean;
}

function checkSameSize(x: Tensor, t: Tensor): void {
  if (!shapesEqual(x.shape, t.shape)) {
    throw new ShapeError(
      `Using a target size (${formatShape(t.shape)}) that is different to the input size (${formatShape(x.shape)}) is deprecated. Please ensure they have the same size.`,
    );
  }
}

function checkWeightBroadcast(x: Tensor, others: Tensor[]): void {
  const shape = broadcastAll([x.shape, ...others.map((t) => t.shape)]);
  if (!shapesEqual(shape, x.shape)) {
    throw new ShapeError(`weight of shape ${formatShape(others[others.length - 1]!.shape)} cannot be broadcast to the input size ${formatShape(x.shape)}`);
  }
}

const bceExpr: ScalarExpr<BceAttrs> = ([x, t, w]) => {
  const l = `((${t} - 1) * Math.max(Math.log(1 - ${x}), -100) - ${t} * Math.max(Math.log(${x}), -100))`;
  return w !== undefined ? `${l} * ${w}` : l;
};
const bceLoop = pointwiseKernel(bceExpr);

export const binaryCrossEntropy = defineOp<BceAttrs>({
  name: "binaryCrossEntropy",
  kind: "pointwise",
  meta(inputs, attrs) {
    const [x, t] = inputs;
    requireFloatInput("binary_cross_entropy", x!);
    checkSameSize(x!, t!);
    if (attrs.hasWeight) checkWeightBroadcast(x!, [inputs[2]!]);
    return [{ shape: x!.shape.slice(), dtype: floatResult(promote(inputs)) }];
  },
  kernel(inputs, attrs, outs) {
    const { d, o } = contiguousData(inputs[0]!);
    for (let i = 0, n = inputs[0]!.numel(); i < n; i++) {
      const v = d[o + i]!;
      if (!(v >= 0 && v <= 1)) throw new KilnRuntimeError("all elements of input should be between 0 and 1");
    }
    bceLoop(inputs, attrs, outs);
  },
  pointwise: bceExpr,
  grad(ctx, [g]) {
    const out: (Tensor | null)[] = ctx.attrs.hasWeight ? [null, null, null] : [null, null];
    if (!g) return out;
    const x = ctx.input(0);
    const gw = ctx.attrs.hasWeight ? g.mul(ctx.input(2)) : g;
    // PyTorch's clamps, written with relu: max(a, m) = relu(a − m) + m.
    if (ctx.needsInputGrad(0)) {
      const denom = x.mul(x.neg().add(1)).sub(1e-12).relu().add(1e-12);
      out[0] = gradAs(gw.mul(x.sub(ctx.input(1))).div(denom), ctx.inputDType(0));
    }
    if (ctx.needsInputGrad(1)) {
      const clampedLog = (v: Tensor) => v.log().add(100).relu();
      out[1] = gradAs(gw.mul(clampedLog(x.neg().add(1)).sub(clampedLog(x))), ctx.inputDType(1));
    }
    return out;
  },
});

export interface BceLogitsAttrs {
  hasWeight: boolean;
  hasPosWeight: boolean;
}

/** softplus(−x) = log(1 + e^−x), computed stably. */
const softplusNegExpr = (x: string) => `(Math.max(-${x}, 0) + Math.log1p(Math.exp(-Math.abs(${x}))))`;

const bceLogitsExpr: ScalarExpr<BceLogitsAttrs> = (args, _d, attrs) => {
  const [x, t] = args;
  let i = 2;
  const w = attrs.hasWeight ? args[i++] : undefined;
  const pw = attrs.hasPosWeight ? args[i++] : undefined;
  const sp = softplusNegExpr(x!);
  const lw = pw !== undefined ? `(1 + (${pw} - 1) * ${t})` : "";
  const l = `((1 - ${t}) * ${x} + ${lw ? `${lw} * ` : ""}${sp})`;
  return w !== undefined ? `${l} * ${w}` : l;
};

export const binaryCrossEntropyWithLogits = defineOp<BceLogitsAttrs>({
  name: "binaryCrossEntropyWithLogits",
  kind: "pointwise",
  meta(inputs, attrs) {
    const [x, t] = inputs;
    requireFloatInput("binary_cross_entropy_with_logits", x!);
    if (!shapesEqual(x!.shape, t!.shape)) {
      throw new ShapeError(`Target size (${formatShape(t!.shape)}) must be the same as input size (${formatShape(x!.shape)})`);
    }
    if (inputs.length > 2) checkWeightBroadcast(x!, inputs.slice(2));
    void attrs;
    return [{ shape: x!.shape.slice(), dtype: floatResult(promote(inputs)) }];
  },
  kernel: pointwiseKernel(bceLogitsExpr),
  pointwise: bceLogitsExpr,
  grad(ctx, [g]) {
    const { hasWeight, hasPosWeight } = ctx.attrs;
    const n = 2 + (hasWeight ? 1 : 0) + (hasPosWeight ? 1 : 0);
    const out: (Tensor | null)[] = new Array<Tensor | null>(n).fill(null);
    if (!g) return out;
    const x = ctx.input(0);
    const t = ctx.input(1);
    const wi = hasWeight ? 2 : -1;
    const pi = hasPosWeight ? (hasWeight ? 3 : 2) : -1;
    const w = wi >= 0 ? ctx.input(wi) : null;
    const pw = pi >= 0 ? ctx.input(pi) : null;
    const gw = w !== null ? g.mul(w) : g;
    // softplus(−x) with ops: relu(−x) + log(1 + e^−|x|)
    const spNeg = () => x.neg().relu().add(x.abs().neg().exp().add(1).log());
    const lw = pw !== null ? pw.sub(1).mul(t).add(1) : null;
    if (ctx.needsInputGrad(0)) {
      // d/dx = (1 − t) − lw·(1 − σ(x)); without posWeight: σ(x) − t
      const sig = x.sigmoid();
      const d = lw !== null ? t.neg().add(1).sub(lw.mul(sig.neg().add(1))) : sig.sub(t);
      out[0] = gradAs(sumToShape(gw.mul(d), ctx.inputShape(0)), ctx.inputDType(0));
    }
    if (ctx.needsInputGrad(1)) {
      const d = pw !== null ? x.neg().add(pw.sub(1).mul(spNeg())) : x.neg();
      out[1] = gradAs(sumToShape(gw.mul(d), ctx.inputShape(1)), ctx.inputDType(1));
    }
    if (wi >= 0 && ctx.needsInputGrad(wi)) {
      const unweighted = t.neg().add(1).mul(x).add(lw !== null ? lw.mul(spNeg()) : spNeg());
      out[wi] = gradAs(sumToShape(g.mul(unweighted), ctx.inputShape(wi)), ctx.inputDType(wi));
    }
    if (pi >= 0 && ctx.needsInputGrad(pi)) {
      out[pi] = gradAs(sumToShape(gw.mul(t).mul(spNeg()), ctx.inputShape(pi)), ctx.inputDType(pi));
    }
    return out;
  },
});

// ---------------------------------------------------------------------------------------------
// Regression losses (composites: autograd flows through their ops)

export interface ReductionAttrs {
  reduction: Reduction;
}

function regressionLoss(name: string, elementwise: (d: Tensor) => Tensor) {
  return defineOp<ReductionAttrs>({
    name,
    kind: "composite",
    meta(inputs, attrs) {
      checkReduction(attrs.reduction);
      const dtype = promote(inputs);
      if (!isFloating(dtype)) throw new DTypeError(`${name}(): expected floating point inputs, but got ${torchTypeName(dtype)}`);
      const shape = broadcastAll(inputs.map((t) => t.shape));
      return [reducedMeta(shape, attrs.reduction, dtype)];
    },
    composite: ([x, t], { reduction }) => [reduceLoss(elementwise(x!.sub(t!)), reduction)],
    grad: "composite",
  });
}

export const mseLoss = regressionLoss("mseLoss", (d) => d.square());
export const l1Loss = regressionLoss("l1Loss", (d) => d.abs());

export { reduceLoss };
