// Shape arithmetic shared by meta functions and kernels: sizes, strides, broadcasting, dim checks.
import { ArgumentError, IndexError, ShapeError, describeValue } from "./errors.js";

export type Shape = readonly number[];

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Broadcasts two shapes with PyTorch's message on failure. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  // From the last dim, as PyTorch does, so the reported dim is the rightmost mismatch.
  for (let i = n - 1; i >= 0; i--) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)]!;
    const db = i < n - b.length ? 1 : b[i - (n - b.length)]!;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

export function broadcastAll(shapes: Shape[]): number[] {
  let out: number[] = [];
  for (const s of shapes) out = broadcastShapes(out, s);
  return out;
}

/** Wraps a possibly negative dim into [0, ndim); PyTorch's message when out of range. */
export function normalizeDim(dim: unknown, ndim: number): number {
  if (typeof dim !== "number" || !Number.isInteger(dim)) {
    throw new ArgumentError(`dim must be an integer, but got ${describeValue(dim)}`);
  }
  const n = Math.max(ndim, 1);
  if (dim < -n || dim >= n) {
    throw new IndexError(`Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + n : dim;
}

/** Normalises a list of dims, rejecting repeats as PyTorch does. */
export function normalizeDims(dims: readonly unknown[], ndim: number): number[] {
  const out = dims.map((d) => normalizeDim(d, ndim));
  const seen = new Set<number>();
  for (const d of out) {
    if (seen.has(d)) throw new ArgumentError(`dim ${d} appears multiple times in the list of dims`);
    seen.add(d);
  }
  return out;
}

/** Validates a user-supplied shape: an array of non-negative integers. */
export function checkShape(shape: unknown, what = "size"): number[] {
  if (!Array.isArray(shape)) {
    throw new ArgumentError(`${what} must be an array of non-negative integers, but got ${describeValue(shape)}`);
  }
  for (const s of shape) {
    if (typeof s !== "number" || !Number.isInteger(s)) {
      throw new ArgumentError(`${what} must contain only integers, but got ${describeValue(s)} in ${what} [${shape.map(String).join(", ")}]`);
    }
    if (s < 0) throw new ArgumentError(`Trying to create tensor with negative dimension ${s}: [${shape.join(", ")}]`);
  }
  return shape.slice() as number[];
}

/** Validates an integer argument. */
export function checkInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new ArgumentError(`${what} must be an integer, but got ${describeValue(v)}`);
  }
  return v;
}

/** Validates a finite-or-infinite number argument (not NaN unless allowed). */
export function checkNumber(v: unknown, what: string, allowNaN = false): number {
  if (typeof v !== "number" || (!allowNaN && Number.isNaN(v))) {
    throw new ArgumentError(`${what} must be a number, but got ${describeValue(v)}`);
  }
  return v;
}

/** Computes strides of `shape` viewed over memory with `oldShape`/`oldStrides`, or null if impossible (torch's computeStride). */
export function viewStrides(oldShape: Shape, oldStrides: readonly number[], newShape: Shape): number[] | null {
  const newStrides = new Array<number>(newShape.length).fill(0);
  if (numelOf(oldShape) === 0 || oldShape.length === 0) return contiguousStrides(newShape);
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1] ?? 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d]!;
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}
