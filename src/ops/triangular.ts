// tril / triu: the lower or upper triangle of the last two dims, zeros elsewhere.
import { ShapeError } from "../core/errors.js";
import { checkInt } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { defineOp, type OpDef } from "./registry.js";
import { rowStarts } from "./join.js";

export interface DiagonalAttrs {
  diagonal: number;
}

function check(op: string, x: Tensor, diagonal: number): void {
  if (x.ndim < 2) throw new ShapeError(`${op}: input tensor must have at least 2 dimensions`);
  checkInt(diagonal, `${op}(): diagonal`);
}

/** Keeps element (i, j) when j - i <= diagonal (lower) or j - i >= diagonal (upper). */
function triangular(name: "tril" | "triu"): OpDef<DiagonalAttrs> {
  const lower = name === "tril";
  return defineOp<DiagonalAttrs>({
    name,
    kind: "index",
    meta([x], { diagonal }) {
      check(name, x!, diagonal);
      return [{ shape: x!.shape.slice(), dtype: x!.dtype }];
    },
    kernel([x], { diagonal }, [out]) {
      check(name, x!, diagonal);
      const shape = x!.shape;
      const nd = shape.length;
      const R = shape[nd - 2]!;
      const C = shape[nd - 1]!;
      if (R === 0 || C === 0) return;
      const xd = x!._data();
      const od = out!._storage!.data;
      od.fill(0);
      const sc = x!._strides[nd - 1]!;
      const rows = rowStarts(shape, x!._strides, x!._offset);
      for (let r = 0; r < rows.length; r++) {
        const i = r % R;
        const w = r * C;
        // Columns [from, to) are kept; the rest stay zero.
        const from = lower ? 0 : Math.min(Math.max(i + diagonal, 0), C);
        const to = lower ? Math.min(Math.max(i + diagonal + 1, 0), C) : C;
        let p = rows[r]! + from * sc;
        for (let j = from; j < to; j++, p += sc) od[w + j] = xd[p]!;
      }
    },
    grad: (ctx, [g]) => [lower ? g!.tril(ctx.attrs.diagonal) : g!.triu(ctx.attrs.diagonal)],
  });
}

export const tril = triangular("tril");
export const triu = triangular("triu");
