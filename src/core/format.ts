// Printing tensors the way PyTorch does: `tensor([[ 1.0000, -2.5000], ...])`, summarised past
// 1000 elements, with the dtype named when it is not the default for its kind.
import type { DType, TypedArray } from "./dtype.js";
import { numelOf } from "./shape.js";

export interface PrintOptions {
  precision: number;
  threshold: number;
  edgeitems: number;
  linewidth: number;
}

export const printOptions: PrintOptions = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 };

/** torch.set_printoptions. */
export function setPrintOptions(opts: Partial<PrintOptions>): void {
  Object.assign(printOptions, opts);
}

interface Printable {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly requiresGrad: boolean;
  readonly gradFn: { readonly name: string } | null;
}

/** Formats one scalar for all elements of a tensor consistently (PyTorch's _Formatter). */
function makeFormatter(values: ArrayLike<number>, dtype: DType): (v: number) => string {
  const { precision } = printOptions;
  if (dtype === "bool") return (v) => (v ? "True" : "False");
  if (dtype === "int32") return (v) => String(v);
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) finite.push(values[i]!);
  const special = (v: number) => (Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf");
  if (finite.length === 0) return (v) => (Number.isFinite(v) ? v.toFixed(precision) : special(v));
  const allInts = finite.every((v) => Number.isInteger(v));
  const abs = finite.map(Math.abs);
  const nonzero = abs.filter((v) => v !== 0);
  const maxAbs = Math.max(...abs);
  const minAbs = nonzero.length ? Math.min(...nonzero) : 0;
  if (allInts) {
    if (maxAbs > 1e8) return (v) => (Number.isFinite(v) ? v.toExponential(precision).replace(/e([+-])(\d)$/, "e$10$2") : special(v));
    return (v) => (Number.isFinite(v) ? `${v.toFixed(0)}.` : special(v));
  }
  const sci = maxAbs > 1e8 || (minAbs !== 0 && (maxAbs / minAbs > 1000 || minAbs < 1e-4));
  if (sci) return (v) => (Number.isFinite(v) ? v.toExponential(precision).replace(/e([+-])(\d)$/, "e$10$2") : special(v));
  return (v) => (Number.isFinite(v) ? v.toFixed(precision) : special(v));
}

function dtypeSuffix(dtype: DType): string {
  return dtype === "float32" || dtype === "int32" || dtype === "bool" ? "" : `, dtype=${dtype}`;
}

/** Formats a tensor given its values in row-major order. */
export function formatTensor(t: Printable, flat: TypedArray): string {
  const shape = t.shape;
  const n = numelOf(shape);
  const summarize = n > printOptions.threshold;
  const edge = printOptions.edgeitems;
  const shown: number[] = [];
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i]!;
  }
  // Collect the values that will be printed so the column width matches PyTorch's.
  const visit = (d: number, base: number) => {
    if (d === shape.length) {
      shown.push(flat[base]!);
      return;
    }
    const size = shape[d]!;
    for (const i of visibleIndices(size, summarize, edge)) if (i >= 0) visit(d + 1, base + i * strides[d]!);
  };
  visit(0, 0);
  const fmt = makeFormatter(shown, t.dtype);
  const width = Math.max(1, ...shown.map((v) => fmt(v).length));
  const cell = (v: number) => fmt(v).padStart(width);
  const prefix = "tensor(";
  let body: string;
  if (shape.length === 0) body = fmt(flat[0]!);
  else if (n === 0) body = "[]";
  else {
    const render = (d: number, base: number, indent: number): string => {
      const size = shape[d]!;
      const idx = visibleIndices(size, summarize, edge);
      if (d === shape.length - 1) {
        const items = idx.map((i) => (i < 0 ? "..." : cell(flat[base + i * strides[d]!]!)));
        return `[${wrapRow(items, indent + 1)}]`;
      }
      const sep = `,${"\n".repeat(shape.length - d - 1)}${" ".repeat(indent + 1)}`;
      const parts = idx.map((i) => (i < 0 ? "..." : render(d + 1, base + i * strides[d]!, indent + 1)));
      return `[${parts.join(sep)}]`;
    };
    body = render(0, 0, prefix.length);
  }
  let suffix = "";
  if (n === 0) suffix += `, size=[${shape.join(", ")}]`;
  suffix += dtypeSuffix(t.dtype);
  if (t.gradFn) suffix += `, gradFn=<${t.gradFn.name}>`;
  else if (t.requiresGrad) suffix += ", requiresGrad=true";
  return `${prefix}${body}${suffix})`;
}

/** Indices to print along a dim of `size`; -1 marks the `...` of a summarised dim. */
function visibleIndices(size: number, summarize: boolean, edge: number): number[] {
  if (!summarize || size <= 2 * edge) return Array.from({ length: size }, (_, i) => i);
  const head = Array.from({ length: edge }, (_, i) => i);
  const tail = Array.from({ length: edge }, (_, i) => size - edge + i);
  return [...head, -1, ...tail];
}

/** Joins a row's cells, wrapping at the line width like PyTorch. */
function wrapRow(items: string[], indent: number): string {
  const lines: string[] = [];
  let line = "";
  for (const item of items) {
    const piece = line === "" ? item : `${line}, ${item}`;
    if (line !== "" && piece.length + indent > printOptions.linewidth) {
      lines.push(line + ",");
      line = item;
    } else line = piece;
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}
