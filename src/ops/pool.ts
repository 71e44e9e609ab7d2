// 2-D pooling over [N, C, H, W]: max (with int32 indices into each H·W plane, as PyTorch),
// average and adaptive average. Each backward is its own op whose gradient is the forward (or a
// gather by the saved indices), so pooling is differentiable any number of times.
import { isFloating, torchTypeName } from "../core/dtype.js";
import { ArgumentError, DTypeError, ShapeError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { defineOp } from "./registry.js";

export interface MaxPool2dAttrs {
  kernelSize: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  ceilMode: boolean;
}

export interface AvgPool2dAttrs {
  kernelSize: number[];
  stride: number[];
  padding: number[];
  ceilMode: boolean;
  countIncludePad: boolean;
  divisorOverride: number | null;
}

/** PyTorch's pooling_output_shape. */
export function poolOutputSize(size: number, k: number, pad: number, stride: number, dilation: number, ceilMode: boolean): number {
  const num = size + 2 * pad - dilation * (k - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(num / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

function checkPoolInput(op: string, x: Tensor): void {
  if (x.ndim !== 4) {
    throw new ShapeError(
      `Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: [${x.shape.join(", ")}]`,
    );
  }
  if (x.dtype === "bool" || (op !== "max_pool2d" && !isFloating(x.dtype))) {
    throw new DTypeError(`"${op}" not implemented for '${torchTypeName(x.dtype)}'`);
  }
}

function checkPairs(attrs: { kernelSize: number[]; stride: number[]; padding: number[]; dilation?: number[] }): void {
  for (const k of ["kernelSize", "stride", "padding", "dilation"] as const) {
    const v = attrs[k];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === "number" && Number.isInteger(x))) {
      throw new ArgumentError(`${k} must be an integer or a pair of integers`);
    }
  }
  const [kh, kw] = attrs.kernelSize as [number, number];
  const [sh, sw] = attrs.stride as [number, number];
  if (kh <= 0 || kw <= 0) throw new ArgumentError(`kernel size should be greater than zero, but got kH: ${kh} kW: ${kw}`);
  if (sh <= 0 || sw <= 0) throw new ArgumentError(`stride should be greater than zero, but got dH: ${sh} dW: ${sw}`);
  if (attrs.dilation) {
    const [dh, dw] = attrs.dilation as [number, number];
    if (dh <= 0 || dw <= 0) throw new ArgumentError(`dilation should be greater than zero, but got dilationH: ${dh} dilationW: ${dw}`);
  }
  if (attrs.padding.some((p) => p < 0)) throw new ArgumentError("pad must be non-negative");
}

function outputShape(x: Tensor, oh: number, ow: number): number[] {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  if (oh < 1 || ow < 1) {
    throw new ShapeError(`Given input size: (${C}x${H}x${W}). Calculated output size: (${C}x${oh}x${ow}). Output size is too small`);
  }
  return [N, C, oh, ow];
}

export const maxPool2d = defineOp<MaxPool2dAttrs>({
  name: "maxPool2d",
  kind: "other",
  meta([x], attrs) {
    checkPoolInput("max_pool2d", x!);
    checkPairs(attrs);
    const { kernelSize: [kh, kw], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], ceilMode } = attrs as {
      kernelSize: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number]; ceilMode: boolean;
    };
    for (const [p, k, d] of [[ph, kh, dh], [pw, kw, dw]] as const) {
      if (p > ((k - 1) * d + 1) / 2) {
        throw new ArgumentError(`pad should be at most half of effective kernel size, but got pad=${p}, kernel_size=${k} and dilation=${d}`);
      }
    }
    const shape = outputShape(
      x!,
      poolOutputSize(x!.shape[2]!, kh, ph, sh, dh, ceilMode),
      poolOutputSize(x!.shape[3]!, kw, pw, sw, dw, ceilMode),
    );
    return [
      { shape, dtype: x!.dtype },
      { shape: shape.slice(), dtype: "int32" },
    ];
  },
  kernel([x], attrs, [out, indices]) {
    const [N, C, H, W] = x!.shape as [number, number, number, number];
    const [, , Ho, Wo] = out!.shape as [number, number, number, number];
    const [kh, kw] = attrs.kernelSize as [number, number];
    const [sh, sw] = attrs.stride as [number, number];
    const [ph, pw] = attrs.padding as [number, number];
    const [dh, dw] = attrs.dilation as [number, number];
    const xd = x!._data();
    const [sN, sC, sH, sW] = x!._strides as [number, number, number, number];
    const od = out!._storage!.data;
    const id = indices!._storage!.data;
    let o = 0;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const base = x!._offset + n * sN + c * sC;
        for (let oh = 0; oh < Ho; oh++) {
          const h0 = oh * sh - ph;
          for (let ow = 0; ow < Wo; ow++, o++) {
            const w0 = ow * sw - pw;
            let best = -Infinity;
            let bestIdx = -1;
            for (let i = 0; i < kh; i++) {
              const ih = h0 + i * dh;
              if (ih < 0 || ih >= H) continue;
              for (let j = 0; j < kw; j++) {
                const iw = w0 + j * dw;
                if (iw < 0 || iw >= W) continue;
                const v = xd[base + ih * sH + iw * sW]!;
                if (v > best || bestIdx < 0 || v !== v) {
                  best = v;
                  bestIdx = ih * W + iw;
                  if (v !== v) {
                    i = kh;
                    break;
                  }
                }
              }
            }
            od[o] = best;
            id[o] = bestIdx;
          }
        }
      }
    }
  },
  grad: (ctx, [g]) => [g ? g._maxPool2dBackward(ctx.output(1), ctx.inputShape(0).slice()) : null],
});

/** Scatters gradients to the argmax positions: inputs [grad, indices], output of `inputSize`. */
export const maxPool2dBackward = defineOp<{ inputSize: number[] }>({
  name: "maxPool2dBackward",
  kind: "other",
  meta([g, idx], { inputSize }) {
    if (idx!.dtype !== "int32" || g!.ndim !== 4 || g!.shape.some((s, i) => s !== idx!.shape[i])) {
      throw new ShapeError("max_pool2d backward: grad_output and indices must have the same shape");
    }
    return [{ shape: inputSize.slice(), dtype: g!.dtype }];
  },
  kernel([g, idx], { inputSize }, [out]) {
    const [N, C, Ho, Wo] = g!.shape as [number, number, number, number];
    const plane = inputSize[2]! * inputSize[3]!;
    const od = out!._storage!.data;
    od.fill(0);
    const gd = g!._data();
    const id = idx!._data();
    const [gN, gC, gH, gW] = g!._strides as [number, number, number, number];
    const [iN, iC, iH, iW] = idx!._strides as [number, number, number, number];
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const ob = (n * C + c) * plane;
        for (let oh = 0; oh < Ho; oh++) {
          for (let ow = 0; ow < Wo; ow++) {
            const k = id[idx!._offset + n * iN + c * iC + oh * iH + ow * iW]!;
            if (k >= 0) od[ob + k] += gd[g!._offset + n * gN + c * gC + oh * gH + ow * gW]!;
          }
        }
      }
    }
  },
  grad: (ctx, [gg]) => [ctx.needsInputGrad(0) ? gg!._maxPool2dGather(ctx.input(1)) : null, null],
});

/** Gathers x[n, c, idx] per plane: inputs [x, indices], output shaped like indices. */
export const maxPool2dGather = defineOp<object>({
  name: "maxPool2dGather",
  kind: "other",
  meta([x, idx]) {
    if (idx!.dtype !== "int32" || x!.ndim !== 4 || idx!.ndim !== 4) {
      throw new ShapeError("max_pool2d gather: expected 4-D input and int32 indices");
    }
    return [{ shape: idx!.shape.slice(), dtype: x!.dtype }];
  },
  kernel([x, idx], _attrs, [out]) {
    const [N, C, Ho, Wo] = idx!.shape as [number, number, number, number];
    const W = x!.shape[3]!;
    const xd = x!._data();
    const id = idx!._data();
    const [sN, sC, sH, sW] = x!._strides as [number, number, number, number];
    const [iN, iC, iH, iW] = idx!._strides as [number, number, number, number];
    const od = out!._storage!.data;
    let o = 0;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        for (let oh = 0; oh < Ho; oh++) {
          for (let ow = 0; ow < Wo; ow++, o++) {
            const k = id[idx!._offset + n * iN + c * iC + oh * iH + ow * iW]!;
            od[o] = k < 0 ? 0 : xd[x!._offset + n * sN + c * sC + Math.floor(k / W) * sH + (k % W) * sW]!;
          }
        }
      }
    }
  },
  grad: (ctx, [g]) => [ctx.needsInputGrad(0) ? g!._maxPool2dBackward(ctx.input(1), ctx.inputShape(0).slice()) : null, null],
});

/** Window bounds and divisor of one avg-pool output position (PyTorch's rules). */
function avgWindow(o: number, stride: number, pad: number, k: number, size: number): [number, number, number] {
  const start = o * stride - pad;
  const end = Math.min(start + k, size + pad);
  const padded = end - start;
  return [Math.max(start, 0), Math.min(end, size), padded];
}

/** Per-dim window tables [start, end, paddedLength] of every output position. */
function avgWindows(out: number, stride: number, pad: number, k: number, size: number): Int32Array {
  const t = new Int32Array(out * 3);
  for (let o = 0; o < out; o++) {
    const [s0, s1, len] = avgWindow(o, stride, pad, k, size);
    t[3 * o] = s0;
    t[3 * o + 1] = s1;
    t[3 * o + 2] = len;
  }
  return t;
}

/** Divisors of every output position of one plane. */
function avgDivisors(attrs: AvgPool2dAttrs, hw: Int32Array, ww: Int32Array, Ho: number, Wo: number): Float64Array {
  const d = new Float64Array(Ho * Wo);
  for (let oh = 0; oh < Ho; oh++) {
    for (let ow = 0; ow < Wo; ow++) {
      d[oh * Wo + ow] =
        attrs.divisorOverride !== null
          ? attrs.divisorOverride
          : attrs.countIncludePad
            ? hw[3 * oh + 2]! * ww[3 * ow + 2]!
            : (hw[3 * oh + 1]! - hw[3 * oh]!) * (ww[3 * ow + 1]! - ww[3 * ow]!);
    }
  }
  return d;
}

function avgTables(attrs: AvgPool2dAttrs, H: number, W: number, Ho: number, Wo: number) {
  const hw = avgWindows(Ho, attrs.stride[0]!, attrs.padding[0]!, attrs.kernelSize[0]!, H);
  const ww = avgWindows(Wo, attrs.stride[1]!, attrs.padding[1]!, attrs.kernelSize[1]!, W);
  return { hw, ww, div: avgDivisors(attrs, hw, ww, Ho, Wo) };
}

function avgMeta(x: Tensor, attrs: AvgPool2dAttrs): number[] {
  checkPoolInput("avg_pool2d", x);
  checkPairs(attrs);
  const [kh, kw] = attrs.kernelSize as [number, number];
  const [ph, pw] = attrs.padding as [number, number];
  if (ph > kh / 2 || pw > kw / 2) {
    throw new ArgumentError(`pad should be smaller than or equal to half of kernel size, but got padW = ${pw}, padH = ${ph}, kW = ${kw}, kH = ${kh}`);
  }
  if (attrs.divisorOverride !== null && (typeof attrs.divisorOverride !== "number" || attrs.divisorOverride === 0)) {
    throw new ArgumentError("divisor must be not zero");
  }
  return outputShape(
    x,
    poolOutputSize(x.shape[2]!, kh, ph, attrs.stride[0]!, 1, attrs.ceilMode),
    poolOutputSize(x.shape[3]!, kw, pw, attrs.stride[1]!, 1, attrs.ceilMode),
  );
}

export const avgPool2d = defineOp<AvgPool2dAttrs>({
  name: "avgPool2d",
  kind: "other",
  meta: ([x], attrs) => [{ shape: avgMeta(x!, attrs), dtype: x!.dtype }],
  kernel([x], attrs, [out]) {
    const [N, C, H, W] = x!.shape as [number, number, number, number];
    const [, , Ho, Wo] = out!.shape as [number, number, number, number];
    const xd = x!._data();
    const [sN, sC, sH, sW] = x!._strides as [number, number, number, number];
    const od = out!._storage!.data;
    const { hw, ww, div } = avgTables(attrs, H, W, Ho, Wo);
    let o = 0;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const base = x!._offset + n * sN + c * sC;
        for (let oh = 0; oh < Ho; oh++) {
          const h0 = hw[3 * oh]!, h1 = hw[3 * oh + 1]!;
          for (let ow = 0; ow < Wo; ow++, o++) {
            const w0 = ww[3 * ow]!, w1 = ww[3 * ow + 1]!;
            let acc = 0;
            for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) acc += xd[base + ih * sH + iw * sW]!;
            od[o] = acc / div[oh * Wo + ow]!;
          }
        }
      }
    }
  },
  grad: (ctx, [g]) => [g!._avgPool2dBackward(ctx.attrs, ctx.inputShape(0).slice())],
});

export const avgPool2dBackward = defineOp<AvgPool2dAttrs & { inputSize: number[] }>({
  name: "avgPool2dBackward",
  kind: "other",
  meta([g], attrs) {
    return [{ shape: attrs.inputSize.slice(), dtype: g!.dtype }];
  },
  kernel([g], attrs, [out]) {
    const [N, C, H, W] = attrs.inputSize as [number, number, number, number];
    const [, , Ho, Wo] = g!.shape as [number, number, number, number];
    const gd = g!._data();
    const [gN, gC, gH, gW] = g!._strides as [number, number, number, number];
    const od = out!._storage!.data;
    od.fill(0);
    const { hw, ww, div } = avgTables(attrs, H, W, Ho, Wo);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const base = (n * C + c) * H * W;
        const gb = g!._offset + n * gN + c * gC;
        for (let oh = 0; oh < Ho; oh++) {
          const h0 = hw[3 * oh]!, h1 = hw[3 * oh + 1]!;
          for (let ow = 0; ow < Wo; ow++) {
            const w0 = ww[3 * ow]!, w1 = ww[3 * ow + 1]!;
            const v = gd[gb + oh * gH + ow * gW]! / div[oh * Wo + ow]!;
            for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) od[base + ih * W + iw] += v;
          }
        }
      }
    }
  },
  grad: (ctx, [gg]) => {
    const { kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride } = ctx.attrs;
    return [gg!._avgPool2d({ kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride })];
  },
});

export interface AdaptiveAttrs {
  outputSize: number[];
}

const adaptiveStart = (i: number, out: number, size: number) => Math.floor((i * size) / out);
const adaptiveEnd = (i: number, out: number, size: number) => Math.ceil(((i + 1) * size) / out);

export const adaptiveAvgPool2d = defineOp<AdaptiveAttrs>({
  name: "adaptiveAvgPool2d",
  kind: "other",
  meta([x], { outputSize }) {
    if (x!.ndim !== 4) {
      throw new ShapeError(`adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [${x!.shape.join(", ")}]`);
    }
    if (!isFloating(x!.dtype)) throw new DTypeError(`"adaptive_avg_pool2d" not implemented for '${torchTypeName(x!.dtype)}'`);
    if (!Array.isArray(outputSize) || outputSize.length !== 2 || outputSize.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new ArgumentError("adaptive_avg_pool2d: output_size must be 2");
    }
    for (let i = 2; i < 4; i++) {
      if (x!.shape[i] === 0) {
        throw new ShapeError(
          `adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes [${x!.shape.join(", ")}] with dimension ${i} being empty`,
        );
      }
    }
    return [{ shape: [x!.shape[0]!, x!.shape[1]!, outputSize[0]!, outputSize[1]!], dtype: x!.dtype }];
  },
  kernel([x], { outputSize }, [out]) {
    const [N, C, H, W] = x!.shape as [number, number, number, number];
    const [Ho, Wo] = outputSize as [number, number];
    const xd = x!._data();
    const [sN, sC, sH, sW] = x!._strides as [number, number, number, number];
    const od = out!._storage!.data;
    let o = 0;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const base = x!._offset + n * sN + c * sC;
        for (let oh = 0; oh < Ho; oh++) {
          const h0 = adaptiveStart(oh, Ho, H);
          const h1 = adaptiveEnd(oh, Ho, H);
          for (let ow = 0; ow < Wo; ow++, o++) {
            const w0 = adaptiveStart(ow, Wo, W);
            const w1 = adaptiveEnd(ow, Wo, W);
            let acc = 0;
            for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) acc += xd[base + ih * sH + iw * sW]!;
            od[o] = acc / ((h1 - h0) * (w1 - w0));
          }
        }
      }
    }
  },
  grad: (ctx, [g]) => [g!._adaptiveAvgPool2dBackward(ctx.inputShape(0).slice())],
});

export const adaptiveAvgPool2dBackward = defineOp<{ inputSize: number[] }>({
  name: "adaptiveAvgPool2dBackward",
  kind: "other",
  meta: ([g], { inputSize }) => [{ shape: inputSize.slice(), dtype: g!.dtype }],
  kernel([g], { inputSize }, [out]) {
    const [N, C, H, W] = inputSize as [number, number, number, number];
    const [, , Ho, Wo] = g!.shape as [number, number, number, number];
    const gd = g!._data();
    const [gN, gC, gH, gW] = g!._strides as [number, number, number, number];
    const od = out!._storage!.data;
    od.fill(0);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const base = (n * C + c) * H * W;
        for (let oh = 0; oh < Ho; oh++) {
          const h0 = adaptiveStart(oh, Ho, H);
          const h1 = adaptiveEnd(oh, Ho, H);
          for (let ow = 0; ow < Wo; ow++) {
            const w0 = adaptiveStart(ow, Wo, W);
            const w1 = adaptiveEnd(ow, Wo, W);
            const v = gd[g!._offset + n * gN + c * gC + oh * gH + ow * gW]! / ((h1 - h0) * (w1 - w0));
            for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) od[base + ih * W + iw] += v;
          }
        }
      }
    }
  },
  grad: (ctx, [gg]) => [gg!._adaptiveAvgPool2d(ctx.inputShape(0).slice(2))],
});
