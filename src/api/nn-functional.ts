// Public nn.functional ops of the normalisation, loss, dropout and attention families, with
// PyTorch's signatures: positional parameters stay positional, keyword ones go in an options object.
import { ArgumentError, describeValue } from "../core/errors.js";
import { reserveRandom } from "../core/random.js";
import { broadcastAll, numelOf } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { dispatch, dispatch1 } from "../dispatch/dispatch.js";
import { noGrad } from "../dispatch/grad-mode.js";
import { toTensor } from "../core/operands.js";
import { finfoEps } from "../ops/normalization.js";
import { checkDropoutP } from "../ops/dropout.js";
import { checkReduction, type Reduction } from "../ops/loss.js";
import "../ops/normalization.js";
import "../ops/dropout.js";
import "../ops/loss.js";
import "../ops/attention.js";
// Gradient formulas use these ops' tensor methods.
import "./pointwise.js";
import "./reduce.js";
import "./shape.js";


function optTensor(v: unknown, op: string, arg: string): Tensor | null {
  return v === undefined || v === null ? null : toTensor(v, op, arg, false);
}

function numberOption(v: unknown, what: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || Number.isNaN(v)) throw new ArgumentError(`${what} must be a number, but got ${describeValue(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Normalisation

export interface EpsOptions {
  eps?: number;
}

/** F.layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5). */
export function layerNorm(
  input: Tensor,
  normalizedShape: number | number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  options: EpsOptions = {},
): Tensor {
  const x = toTensor(input, "layer_norm", "input", false);
  const w = optTensor(weight, "layer_norm", "weight");
  const b = optTensor(bias, "layer_norm", "bias");
  const ns = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  const inputs = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
  return dispatch("layerNorm", inputs, {
    normalizedShape: Array.isArray(ns) ? ns.slice() : ns,
    eps: numberOption(options.eps, "eps", 1e-5),
    hasWeight: w !== null,
    hasBias: b !== null,
  })[0]!;
}

/** F.rms_norm(input, normalized_shape, weight=None, eps=None): eps defaults to the dtype's machine epsilon. */
export function rmsNorm(input: Tensor, normalizedShape: number | number[], weight?: Tensor | null, options: { eps?: number | null } = {}): Tensor {
  const x = toTensor(input, "rms_norm", "input", false);
  const w = optTensor(weight, "rms_norm", "weight");
  const ns = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  const eps = options.eps === undefined || options.eps === null ? finfoEps(x.dtype) : numberOption(options.eps, "eps", 0);
  return dispatch("rmsNorm", w ? [x, w] : [x], {
    normalizedShape: Array.isArray(ns) ? ns.slice() : ns,
    eps,
    hasWeight: w !== null,
  })[0]!;
}

/** F.group_norm(input, num_groups, weight=None, bias=None, eps=1e-5). */
export function groupNorm(input: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, options: EpsOptions = {}): Tensor {
  const x = toTensor(input, "group_norm", "input", false);
  const w = optTensor(weight, "group_norm", "weight");
  const b = optTensor(bias, "group_norm", "bias");
  return dispatch("groupNorm", [x, ...(w ? [w] : []), ...(b ? [b] : [])], {
    numGroups,
    eps: numberOption(options.eps, "eps", 1e-5),
    hasWeight: w !== null,
    hasBias: b !== null,
  })[0]!;
}

export interface BatchNormOptions {
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * F.batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
 * momentum=0.1, eps=1e-5). In training the batch statistics normalise the input and the running
 * statistics are updated in place (running_var with the unbiased variance).
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null | undefined,
  runningVar: Tensor | null | undefined,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options: BatchNormOptions = {},
): Tensor {
  const x = toTensor(input, "batch_norm", "input", false);
  const rm = optTensor(runningMean, "batch_norm", "running_mean");
  const rv = optTensor(runningVar, "batch_norm", "running_var");
  if ((rm === null) !== (rv === null)) {
    throw new ArgumentError("batch_norm(): running_mean and running_var must both be given or both be null");
  }
  const w = optTensor(weight, "batch_norm", "weight");
  const b = optTensor(bias, "batch_norm", "bias");
  const training = options.training ?? false;
  const momentum = numberOption(options.momentum, "momentum", 0.1);
  const hasRunning = rm !== null && rv !== null;
  const outs = dispatch("batchNorm", [x, ...(hasRunning ? [rm, rv] : []), ...(w ? [w] : []), ...(b ? [b] : [])], {
    training,
    eps: numberOption(options.eps, "eps", 1e-5),
    hasRunning,
    hasWeight: w !== null,
    hasBias: b !== null,
  });
  if (training && hasRunning) {
    const n = x.numel() / x.shape[1]!;
    const mean = outs[1]!;
    const varBiased = outs[3]!;
    noGrad(() => {
      rm.mul_(1 - momentum).add_(mean.detach().mul(momentum));
      rv.mul_(1 - momentum).add_(varBiased.detach().mul((momentum * n) / Math.max(n - 1, 1)));
    });
  }
  return outs[0]!;
}

// ---------------------------------------------------------------------------------------------
// Dropout

export interface DropoutOptions {
  p?: number;
  training?: boolean;
  inplace?: boolean;
}

/** F.dropout(input, p=0.5, training=True, inplace=False). */
export function dropout(input: Tensor, options: DropoutOptions = {}): Tensor {
  const x = toTensor(input, "dropout", "input", false);
  const p = checkDropoutP(options.p ?? 0.5);
  const training = options.training ?? true;
  if (!training || p === 0 || x.numel() === 0) return x;
  const { seed, offset } = reserveRandom(x.numel());
  const y = dispatch("dropout", [x], { p, seed, offset })[0]!;
  return options.inplace ? x.copy_(y) : y;
}

// ---------------------------------------------------------------------------------------------
// Attention

export interface ScaledDotProductAttentionOptions {
  attnMask?: Tensor | null;
  dropoutP?: number;
  isCausal?: boolean;
  scale?: number | null;
}

/** F.scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None). */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: ScaledDotProductAttentionOptions = {},
): Tensor {
  const op = "scaled_dot_product_attention";
  const q = toTensor(query, op, "query", false);
  const k = toTensor(key, op, "key", false);
  const v = toTensor(value, op, "value", false);
  const mask = optTensor(options.attnMask, op, "attn_mask");
  const dropoutP = checkDropoutP(options.dropoutP ?? 0);
  let counters = 0;
  if (dropoutP > 0 && q.ndim >= 2 && k.ndim >= 2 && v.ndim >= 2) {
    // one counter per attention weight, over the broadcast batch shape
    const parts = [q.shape.slice(0, -2), k.shape.slice(0, -2), v.shape.slice(0, -2)];
    if (mask !== null) parts.push(mask.shape.slice(0, Math.max(0, mask.ndim - 2)));
    counters = numelOf(broadcastAll(parts)) * q.shape[q.ndim - 2]! * k.shape[k.ndim - 2]!;
  }
  const { seed, offset } = counters > 0 ? reserveRandom(counters) : { seed: 0, offset: 0 };
  return dispatch("scaledDotProductAttention", mask ? [q, k, v, mask] : [q, k, v], {
    scale: options.scale ?? null,
    isCausal: options.isCausal ?? false,
    dropoutP,
    seed,
    offset,
    hasMask: mask !== null,
  })[0]!;
}

// ---------------------------------------------------------------------------------------------
// Losses

export interface ReductionOptions {
  reduction?: Reduction;
}

export interface NllLossOptions extends ReductionOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NllLossOptions {
  labelSmoothing?: number;
}

/**
 * F.cross_entropy(input, target, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0).
 * `target` holds int32 class indices ([N] / [N, d1, ...] / [] for a [C] input) or, with the shape of
 * the input, class probabilities.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const x = toTensor(input, "cross_entropy", "input", false);
  const t = toTensor(target, "cross_entropy", "target", false);
  const w = optTensor(options.weight, "cross_entropy", "weight");
  return dispatch("crossEntropy", w ? [x, t, w] : [x, t], {
    ignoreIndex: options.ignoreIndex ?? -100,
    reduction: checkReduction(options.reduction ?? "mean"),
    labelSmoothing: options.labelSmoothing ?? 0,
    hasWeight: w !== null,
  })[0]!;
}

/** F.nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean'). */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const x = toTensor(input, "nll_loss", "input", false);
  const t = toTensor(target, "nll_loss", "target", false);
  const w = optTensor(options.weight, "nll_loss", "weight");
  return dispatch1("nllLoss", w ? [x, t, w] : [x, t], {
    ignoreIndex: options.ignoreIndex ?? -100,
    reduction: checkReduction(options.reduction ?? "mean"),
    labelSmoothing: 0,
    hasWeight: w !== null,
  });
}

/** F.mse_loss(input, target, reduction='mean'). */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return dispatch1("mseLoss", [toTensor(input, "mse_loss", "input", false), toTensor(target, "mse_loss", "target", false)], {
    reduction: checkReduction(options.reduction ?? "mean"),
  });
}

/** F.l1_loss(input, target, reduction='mean'). */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return dispatch1("l1Loss", [toTensor(input, "l1_loss", "input", false), toTensor(target, "l1_loss", "target", false)], {
    reduction: checkReduction(options.reduction ?? "mean"),
  });
}

function reduce(t: Tensor, reduction: Reduction): Tensor {
  return reduction === "none" ? t : reduction === "sum" ? t.sum() : t.mean();
}

export interface BinaryCrossEntropyOptions extends ReductionOptions {
  weight?: Tensor | null;
}

/** F.binary_cross_entropy(input, target, weight=None, reduction='mean'). */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BinaryCrossEntropyOptions = {}): Tensor {
  const op = "binary_cross_entropy";
  const x = toTensor(input, op, "input", false);
  const t = toTensor(target, op, "target", false);
  const w = optTensor(options.weight, op, "weight");
  const reduction = checkReduction(options.reduction ?? "mean");
  return reduce(dispatch1("binaryCrossEntropy", w ? [x, t, w] : [x, t], { hasWeight: w !== null }), reduction);
}

export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  posWeight?: Tensor | null;
}

/** F.binary_cross_entropy_with_logits(input, target, weight=None, reduction='mean', pos_weight=None). */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BinaryCrossEntropyWithLogitsOptions = {}): Tensor {
  const op = "binary_cross_entropy_with_logits";
  const x = toTensor(input, op, "input", false);
  const t = toTensor(target, op, "target", false);
  const w = optTensor(options.weight, op, "weight");
  const pw = optTensor(options.posWeight, op, "pos_weight");
  const reduction = checkReduction(options.reduction ?? "mean");
  const inputs = [x, t, ...(w ? [w] : []), ...(pw ? [pw] : [])];
  return reduce(dispatch1("binaryCrossEntropyWithLogits", inputs, { hasWeight: w !== null, hasPosWeight: pw !== null }), reduction);
}
