// Printing tensors the way PyTorch does (torch/_tensor_str.py): one formatter per tensor decides
// int mode, fixed or scientific notation and the column width from the values shown; rows wrap at
// the line width; past `threshold` elements only `edgeitems` at each end of every dim are shown.
import type { DType, TypedArray } from "./dtype.js";
import { numelOf } from "./shape.js";

export interface PrintOptions {
  precision: number;
  threshold: number;
  edgeitems: number;
  linewidth: number;
  /** Force (true) or forbid (false) scientific notation; null lets the values decide. */
  sciMode: boolean | null;
}

const DEFAULTS: PrintOptions = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null };

export const printOptions: PrintOptions = { ...DEFAULTS };

/** torch.set_printoptions; `profile: "default"` restores the defaults first. */
export function setPrintOptions(opts: Partial<PrintOptions> & { profile?: "default" }): void {
  const { profile, ...rest } = opts;
  if (profile === "default") Object.assign(printOptions, DEFAULTS);
  Object.assign(printOptions, rest);
}

interface Printable {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly requiresGrad: boolean;
  readonly gradFn: { readonly name: string } | null;
}

/**
 * Python's formatting rounds exact binary ties to even (`0.03125` → `0.0312`); JS's toFixed and
 * toExponential round them away from zero. `x` is non-negative.
 */
function pyRound(x: number, digits: number, kind: "f" | "e"): string {
  const render = (d: number) => (kind === "f" ? x.toFixed(d) : x.toExponential(d));
  const s = render(digits);
  const exact = render(Math.min(digits + 25, 100));
  const [mant, exp] = exact.split("e") as [string, string | undefined];
  const keep = kind === "f" ? mant.indexOf(".") + (digits > 0 ? digits + 1 : 0) : digits > 0 ? digits + 2 : 1;
  if (!/^50*$/.test(mant.slice(keep).replace(".", ""))) return s;
  const truncated = mant.slice(0, keep);
  if (Number(truncated[truncated.length - 1]) % 2 !== 0) return s;
  return exp === undefined ? truncated : `${truncated}e${exp}`;
}

function fixed(v: number, digits: number): string {
  return (v < 0 || Object.is(v, -0) ? "-" : "") + pyRound(Math.abs(v), digits, "f");
}

/** Python's `{:.Ne}`: at least two exponent digits. */
function scientific(v: number, digits: number): string {
  return (v < 0 || Object.is(v, -0) ? "-" : "") + pyRound(Math.abs(v), digits, "e").replace(/e([+-])(\d)$/, "e$10$2");
}

function special(v: number): string {
  return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
}

/** PyTorch's _Formatter: how every element of one tensor is written, and the common width. */
class Formatter {
  intMode = true;
  sciMode = false;
  width = 1;
  private readonly floating: boolean;

  constructor(
    values: ArrayLike<number>,
    private readonly dtype: DType,
  ) {
    const { precision } = printOptions;
    this.floating = dtype === "float32" || dtype === "float64";
    if (!this.floating) {
      for (let i = 0; i < values.length; i++) this.width = Math.max(this.width, this.raw(values[i]!).length);
      return;
    }
    const vals: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isFinite(v) && v !== 0) vals.push(v);
    }
    if (vals.length > 0) {
      let min = Infinity;
      let max = 0;
      for (const v of vals) {
        const a = Math.abs(v);
        if (a < min) min = a;
        if (a > max) max = a;
        if (v !== Math.ceil(v)) this.intMode = false;
      }
      if (this.intMode) {
        if (max / min > 1000 || max > 1e8) {
          this.sciMode = true;
          for (const v of vals) this.width = Math.max(this.width, scientific(v, precision).length);
        } else for (const v of vals) this.width = Math.max(this.width, fixed(v, 0).length + 1);
      } else if (max / min > 1000 || max > 1e8 || min < 1e-4) {
        this.sciMode = true;
        for (const v of vals) this.width = Math.max(this.width, scientific(v, precision).length);
      } else for (const v of vals) this.width = Math.max(this.width, fixed(v, precision).length);
    }
    if (printOptions.sciMode !== null) this.sciMode = printOptions.sciMode;
  }

  private raw(v: number): string {
    if (this.dtype === "bool") return v ? "True" : "False";
    if (!this.floating) return String(v);
    if (!Number.isFinite(v)) return special(v);
    const { precision } = printOptions;
    if (this.sciMode) return scientific(v, precision);
    if (this.intMode) return `${fixed(v, 0)}.`;
    return fixed(v, precision);
  }

  format(v: number): string {
    return this.raw(v).padStart(this.width);
  }
}

/** Indices to print along a dim of `size`; -1 marks the `...` of a summarised dim. */
function visibleIndices(size: number, summarize: boolean, edge: number): number[] {
  if (!summarize || size <= 2 * edge) return Array.from({ length: size }, (_, i) => i);
  const head = Array.from({ length: edge }, (_, i) => i);
  const tail = Array.from({ length: edge }, (_, i) => size - edge + i);
  return [...head, -1, ...tail];
}

/** The body of a tensor's printout (`[[1., 2.], ...]`) given its values in row-major order. */
function tensorBody(shape: readonly number[], dtype: DType, flat: ArrayLike<number>, indent: number): string {
  const n = numelOf(shape);
  if (n === 0) return "[]";
  const { threshold, edgeitems, linewidth } = printOptions;
  const summarize = n > threshold;
  const strides: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i]!;
  }
  // The formatter sees only the values that will be printed (PyTorch's get_summarized_data).
  const shown: number[] = [];
  const collect = (d: number, base: number) => {
    if (d === shape.length) return void shown.push(flat[base]!);
    for (const i of visibleIndices(shape[d]!, summarize, edgeitems)) if (i >= 0) collect(d + 1, base + i * strides[d]!);
  };
  collect(0, 0);
  const fmt = new Formatter(shown, dtype);
  if (shape.length === 0) return fmt.format(flat[0]!);
  const render = (d: number, base: number, ind: number): string => {
    const idx = visibleIndices(shape[d]!, summarize, edgeitems);
    if (d === shape.length - 1) {
      const items = idx.map((i) => (i < 0 ? " ..." : fmt.format(flat[base + i * strides[d]!]!)));
      const perLine = Math.max(1, Math.floor((linewidth - ind) / (fmt.width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(", "));
      return `[${lines.join(`,\n${" ".repeat(ind + 1)}`)}]`;
    }
    const parts = idx.map((i) => (i < 0 ? "..." : render(d + 1, base + i * strides[d]!, ind + 1)));
    return `[${parts.join(`,${"\n".repeat(shape.length - d - 1)}${" ".repeat(ind + 1)}`)}]`;
  };
  return render(0, 0, indent);
}

/** Appends `, suffix` items, moving one to a new line when it would pass the line width (_add_suffixes). */
function addSuffixes(text: string, suffixes: string[], indent: number): string {
  const parts = [text];
  let lastLine = text.length - text.lastIndexOf("\n") + 1;
  for (const s of suffixes) {
    if (lastLine + s.length + 2 > printOptions.linewidth) {
      parts.push(`,\n${" ".repeat(indent)}${s}`);
      lastLine = indent + s.length;
    } else {
      parts.push(`, ${s}`);
      lastLine += s.length + 2;
    }
  }
  return parts.join("") + ")";
}

/** Formats a tensor given its values in row-major order: `tensor([1., 2.], dtype=float64)`. */
export function formatTensor(t: Printable, flat: TypedArray): string {
  const prefix = "tensor(";
  const shape = t.shape;
  const suffixes: string[] = [];
  if (numelOf(shape) === 0) {
    if (shape.length !== 1) suffixes.push(`size=[${shape.join(", ")}]`);
    if (t.dtype !== "float32") suffixes.push(`dtype=${t.dtype}`);
  } else if (t.dtype === "float64") suffixes.push(`dtype=${t.dtype}`);
  if (t.gradFn) suffixes.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) suffixes.push("requiresGrad=true");
  return addSuffixes(prefix + tensorBody(shape, t.dtype, flat, prefix.length), suffixes, prefix.length);
}
