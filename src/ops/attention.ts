// scaledDotProductAttention as one fused kernel: per query row, scores = q·kᵀ·scale (+ float mask,
// bool mask false → −∞, causal j > i → −∞), a safe softmax (fully masked rows give 0, as PyTorch's
// math backend since 2.5), optional dropout of the weights, and the weighted sum of values. The
// softmax weights are a second output, used by a dedicated backward kernel. Batch dims of query,
// key, value and mask broadcast. Double backward through attention is not supported: the backward
// op's gradient throws.
import { type TypedArray, isFloating, torchTypeName } from "../core/dtype.js";
import { ArgumentError, DTypeError, KilnRuntimeError, ShapeError } from "../core/errors.js";
import { uniform24 } from "../core/random.js";
import { broadcastAll, broadcastShapes, formatShape, numelOf, shapesEqual } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { broadcastStrides } from "./pointwise-kernel.js";
import { callOp, defineOp } from "./registry.js";
import { gradAs, sumToShape } from "./grad-utils.js";
import { checkDropoutP, dropoutScale } from "./dropout.js";

export interface SdpaAttrs {
  /** Score scale; null means 1/sqrt(E). */
  scale: number | null;
  isCausal: boolean;
  dropoutP: number;
  seed: number;
  offset: number;
  hasMask: boolean;
}

interface SdpaShapes {
  batch: number[];
  L: number;
  S: number;
  E: number;
  Ev: number;
}

function sdpaShapes(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null): SdpaShapes {
  const L = q.shape[q.ndim - 2]!;
  const E = q.shape[q.ndim - 1]!;
  const S = k.shape[k.ndim - 2]!;
  const Ev = v.shape[v.ndim - 1]!;
  const parts = [q.shape.slice(0, -2), k.shape.slice(0, -2), v.shape.slice(0, -2)];
  if (mask !== null) parts.push(mask.shape.slice(0, Math.max(0, mask.ndim - 2)));
  return { batch: broadcastAll(parts), L, S, E, Ev };
}

/** Per-batch element offsets of `t` viewed as [...batch, r, c], and its row/column strides. */
function batchAccess(t: Tensor, batch: number[], r: number, c: number): { offs: Float64Array; sr: number; sc: number } {
  const st = broadcastStrides(t, [...batch, r, c]);
  const nb = batch.length;
  const n = numelOf(batch);
  const offs = new Float64Array(n);
  const idx = new Array<number>(nb).fill(0);
  let p = t._offset;
  for (let b = 0; b < n; b++) {
    offs[b] = p;
    for (let d = nb - 1; d >= 0; d--) {
      idx[d]!++;
      p += st[d]!;
      if (idx[d]! < batch[d]!) break;
      p -= st[d]! * batch[d]!;
      idx[d] = 0;
    }
  }
  return { offs, sr: st[nb]!, sc: st[nb + 1]! };
}

export const scaledDotProductAttention = defineOp<SdpaAttrs>({
  name: "scaledDotProductAttention",
  kind: "other",
  meta(inputs, attrs) {
    const [q, k, v] = inputs as [Tensor, Tensor, Tensor];
    const mask = attrs.hasMask ? inputs[3]! : null;
    if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) {
      throw new ShapeError(
        `Expected query, key, and value to all be at least 2 dimensional, but got query.dim: ${q.ndim} key.dim: ${k.ndim} and value.dim: ${v.ndim} instead.`,
      );
    }
    if (q.dtype !== k.dtype || q.dtype !== v.dtype) {
      throw new DTypeError(
        `Expected query, key, and value to have the same dtype, but got query.dtype: ${torchTypeName(q.dtype)} key.dtype: ${torchTypeName(k.dtype)} and value.dtype: ${torchTypeName(v.dtype)} instead.`,
      );
    }
    if (!isFloating(q.dtype)) {
      throw new DTypeError(`scaled_dot_product_attention(): expected floating point query, key and value, but got ${torchTypeName(q.dtype)}`);
    }
    if (mask !== null && mask.dtype !== "bool" && !isFloating(mask.dtype)) {
      throw new DTypeError(
        `Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: ${torchTypeName(mask.dtype)} and  query.dtype: ${torchTypeName(q.dtype)} instead.`,
      );
    }
    if (attrs.isCausal && mask !== null) {
      throw new ArgumentError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
    }
    checkDropoutP(attrs.dropoutP);
    if (attrs.scale !== null && (typeof attrs.scale !== "number" || Number.isNaN(attrs.scale))) {
      throw new ArgumentError(`scale must be a number, but got ${String(attrs.scale)}`);
    }
    const { batch, L, S, E, Ev } = sdpaShapes(q, k, v, mask);
    if (k.shape[k.ndim - 1] !== E) {
      throw new ShapeError(`Expected query and key to have the same embedding size, but got query ${formatShape(q.shape)} and key ${formatShape(k.shape)}`);
    }
    if (v.shape[v.ndim - 2] !== S) {
      throw new ShapeError(`Expected key and value to have the same sequence length, but got key ${formatShape(k.shape)} and value ${formatShape(v.shape)}`);
    }
    if (mask !== null) {
      const tail = mask.shape.slice(Math.max(0, mask.ndim - 2));
      const full = broadcastShapes(tail, [L, S]);
      if (!shapesEqual(full, [L, S])) {
        throw new ShapeError(`attn_mask of shape ${formatShape(mask.shape)} cannot be broadcast to the attention weights of shape ${formatShape([...batch, L, S])}`);
      }
    }
    return [
      { shape: [...batch, L, Ev], dtype: q.dtype },
      { shape: [...batch, L, S], dtype: q.dtype },
    ];
  },
  // For code generators: two matrix products around a softmax that fuses. Declined (thrown) with
  // dropout, masks or causal masking, whose safe softmax and random weights stay in the kernel.
  decompose(inputs, attrs) {
    if (attrs.dropoutP !== 0 || attrs.hasMask || attrs.isCausal) throw new KilnRuntimeError("scaledDotProductAttention: no decomposition with dropout or masks");
    const [q, k, v] = inputs as [Tensor, Tensor, Tensor];
    const scale = attrs.scale ?? 1 / Math.sqrt(q.shape[q.ndim - 1]!);
    const weights = q.matmul(k.transpose(-2, -1)).mul(scale).softmax(-1);
    return [weights.matmul(v), weights];
  },
  kernel(inputs, attrs, outs) {
    const [q, k, v] = inputs as [Tensor, Tensor, Tensor];
    const mask = attrs.hasMask ? inputs[3]! : null;
    const { batch, L, S, E, Ev } = sdpaShapes(q, k, v, mask);
    const scale = attrs.scale ?? 1 / Math.sqrt(E);
    const qa = batchAccess(q, batch, L, E);
    const ka = batchAccess(k, batch, S, E);
    const va = batchAccess(v, batch, S, Ev);
    const ma = mask !== null ? batchAccess(mask, batch, L, S) : null;
    const qd = q._data(), kd = k._data(), vd = v._data();
    const md: TypedArray | null = mask !== null ? mask._data() : null;
    const boolMask = mask !== null && mask.dtype === "bool";
    const out = outs[0]!._storage!.data;
    const P = outs[1]!._storage!.data;
    out.fill(0); // accumulated below; fully masked rows stay zero
    P.fill(0);
    const { isCausal, dropoutP, seed, offset } = attrs;
    const dscale = dropoutScale(dropoutP);
    const row = new Float64Array(S);
    const nB = numelOf(batch);
    const qsL = qa.sr, qsE = qa.sc, ksS = ka.sr, ksE = ka.sc, vsS = va.sr, vsE = va.sc;
    for (let b = 0; b < nB; b++) {
      const qo = qa.offs[b]!, ko = ka.offs[b]!, vo = va.offs[b]!;
      for (let i = 0; i < L; i++) {
        let m = -Infinity;
        const qi = qo + i * qsL;
        for (let j = 0; j < S; j++) {
          let s: number;
          if (isCausal && j > i) s = -Infinity;
          else {
            let acc = 0;
            const kj = ko + j * ksS;
            for (let e = 0; e < E; e++) acc += qd[qi + e * qsE]! * kd[kj + e * ksE]!;
            s = acc * scale;
            if (md !== null) {
              const mv = md[ma!.offs[b]! + i * ma!.sr + j * ma!.sc]!;
              if (boolMask) {
                if (!mv) s = -Infinity;
              } else s += mv;
            }
          }
          row[j] = s;
          if (s > m) m = s;
        }
        if (m === -Infinity) continue; // fully masked row: weights and output stay 0
        let sum = 0;
        for (let j = 0; j < S; j++) {
          const e = Math.exp(row[j]! - m);
          row[j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        const pBase = (b * L + i) * S;
        const oBase = (b * L + i) * Ev;
        for (let j = 0; j < S; j++) {
          let pj = row[j]! * inv;
          P[pBase + j] = pj;
          if (dropoutP > 0) pj = uniform24(seed, offset + pBase + j) >= dropoutP ? pj * dscale : 0;
          if (pj === 0) continue;
          const vj = vo + j * vsS;
          for (let c = 0; c < Ev; c++) out[oBase + c] += pj * vd[vj + c * vsE]!;
        }
      }
    }
  },
  grad(ctx, [gOut]) {
    const n = ctx.attrs.hasMask ? 4 : 3;
    const res: (Tensor | null)[] = new Array<Tensor | null>(n).fill(null);
    if (!gOut) return res;
    const maskGrad = ctx.attrs.hasMask && ctx.needsInputGrad(3);
    const grads = callOp("scaledDotProductAttentionBackward", [gOut, ctx.input(0), ctx.input(1), ctx.input(2), ctx.output(1)], {
      ...ctx.attrs,
      maskGrad,
    });
    for (let i = 0; i < 3; i++) {
      if (ctx.needsInputGrad(i)) res[i] = gradAs(sumToShape(grads[i]!, ctx.inputShape(i)), ctx.inputDType(i));
    }
    if (maskGrad) res[3] = gradAs(sumToShape(grads[3]!, ctx.inputShape(3)), ctx.inputDType(3));
    return res;
  },
  runtimeAttrs: ["seed", "offset"],
});

export interface SdpaBackwardAttrs extends SdpaAttrs {
  maskGrad: boolean;
}

/**
 * Gradients of scaledDotProductAttention: inputs [gradOut, query, key, value, weights]; outputs
 * [dQuery, dKey, dValue] over the broadcast batch shape, plus dScores when the float mask needs a
 * gradient. Its own gradient is not implemented (double backward through attention throws).
 */
export const scaledDotProductAttentionBackward = defineOp<SdpaBackwardAttrs>({
  name: "scaledDotProductAttentionBackward",
  kind: "other",
  meta(inputs, attrs) {
    const [, q, k, v, P] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const batch = P.shape.slice(0, -2);
    const L = q.shape[q.ndim - 2]!, E = q.shape[q.ndim - 1]!, S = k.shape[k.ndim - 2]!, Ev = v.shape[v.ndim - 1]!;
    const outs = [
      { shape: [...batch, L, E], dtype: q.dtype },
      { shape: [...batch, S, E], dtype: q.dtype },
      { shape: [...batch, S, Ev], dtype: q.dtype },
    ];
    if (attrs.maskGrad) outs.push({ shape: [...batch, L, S], dtype: q.dtype });
    return outs;
  },
  // For code generators: matrix products and one fused row pass (dS = P · (dP - rowsum(dP · P))).
  // Declined with dropout (its mask is regenerated in the kernel) or a mask gradient.
  decompose(inputs, attrs) {
    if (attrs.dropoutP !== 0 || attrs.maskGrad) throw new KilnRuntimeError("scaledDotProductAttentionBackward: no decomposition with dropout or a mask gradient");
    const [g, q, k, v, P] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const scale = attrs.scale ?? 1 / Math.sqrt(q.shape[q.ndim - 1]!);
    const dP = g.matmul(v.transpose(-2, -1));
    const dS = P.mul(dP.sub(dP.mul(P).sum(-1, { keepdim: true }))).mul(scale);
    return [dS.matmul(k), dS.transpose(-2, -1).matmul(q), P.transpose(-2, -1).matmul(g)];
  },
  kernel(inputs, attrs, outs) {
    const [g, q, k, v, Pt] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const batch = Pt.shape.slice(0, -2);
    const L = q.shape[q.ndim - 2]!, E = q.shape[q.ndim - 1]!, S = k.shape[k.ndim - 2]!, Ev = v.shape[v.ndim - 1]!;
    const scale = attrs.scale ?? 1 / Math.sqrt(E);
    const qa = batchAccess(q, batch, L, E);
    const ka = batchAccess(k, batch, S, E);
    const va = batchAccess(v, batch, S, Ev);
    const ga = batchAccess(g, batch, L, Ev);
    const pa = batchAccess(Pt, batch, L, S);
    const qd = q._data(), kd = k._data(), vd = v._data(), gd = g._data(), Pd = Pt._data();
    const dq = outs[0]!._storage!.data, dk = outs[1]!._storage!.data, dv = outs[2]!._storage!.data;
    const dsOut = attrs.maskGrad ? outs[3]!._storage!.data : null;
    for (const o of outs) o._storage!.data.fill(0); // accumulated below
    const { dropoutP, seed, offset } = attrs;
    const dscale = dropoutScale(dropoutP);
    const tmp = new Float64Array(S);
    const nB = numelOf(batch);
    const qsL = qa.sr, qsE = qa.sc, ksS = ka.sr, ksE = ka.sc, vsS = va.sr, vsE = va.sc, gsL = ga.sr, gsE = ga.sc;
    for (let b = 0; b < nB; b++) {
      const qo = qa.offs[b]!, ko = ka.offs[b]!, vo = va.offs[b]!, go = ga.offs[b]!, po = pa.offs[b]!;
      const dqB = b * L * E, dkB = b * S * E, dvB = b * S * Ev;
      for (let i = 0; i < L; i++) {
        const gi = go + i * gsL;
        const pRow = (b * L + i) * S; // counter base, as in the forward kernel
        let rowdot = 0;
        for (let j = 0; j < S; j++) {
          const pj = Pd[po + i * pa.sr + j * pa.sc]!;
          if (pj === 0) {
            tmp[j] = 0;
            continue;
          }
          const keep = dropoutP > 0 ? (uniform24(seed, offset + pRow + j) >= dropoutP ? dscale : 0) : 1;
          const pd = pj * keep;
          const vj = vo + j * vsS;
          let dpd = 0;
          for (let c = 0; c < Ev; c++) {
            const gc = gd[gi + c * gsE]!;
            dpd += gc * vd[vj + c * vsE]!;
            if (pd !== 0) dv[dvB + j * Ev + c] += pd * gc;
          }
          const dp = dpd * keep;
          tmp[j] = dp;
          rowdot += pj * dp;
        }
        const qi = qo + i * qsL;
        for (let j = 0; j < S; j++) {
          const pj = Pd[po + i * pa.sr + j * pa.sc]!;
          const ds = pj === 0 ? 0 : pj * (tmp[j]! - rowdot);
          if (dsOut !== null) dsOut[pRow + j] = ds;
          if (ds === 0) continue;
          const coef = ds * scale;
          const kj = ko + j * ksS;
          for (let e = 0; e < E; e++) {
            dq[dqB + i * E + e] += coef * kd[kj + e * ksE]!;
            dk[dkB + j * E + e] += coef * qd[qi + e * qsE]!;
          }
        }
      }
    }
  },
  grad: () => {
    throw new KilnRuntimeError("double backward through scaledDotProductAttention is not supported");
  },
  runtimeAttrs: ["seed", "offset"],
});
