// Datasets: anything with a length and get(index). TensorDataset wraps tensors that share their
// first dimension; a DataLoader batches it with one gather per tensor instead of per-sample views.
import { ArgumentError, IndexError } from "../core/errors.js";
import { Tensor, gatherContiguous } from "../core/tensor.js";
import { allocate } from "../core/dtype.js";
import { contiguousStrides } from "../core/shape.js";
import { select } from "../api/shape.js";

/** A map-style dataset (torch.utils.data.Dataset). Plain arrays are datasets too. */
export interface Dataset<T> {
  readonly length: number;
  get(index: number): T;
}

/** Datasets with a fast path for fetching many items at once (already collated). */
export interface BatchDataset<T, B> extends Dataset<T> {
  getBatch(indices: readonly number[]): B;
}

/** Tensors indexed together along their first dimension; an item is one row of each. */
export class TensorDataset implements BatchDataset<Tensor[], Tensor[]> {
  readonly tensors: Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new ArgumentError("TensorDataset needs at least one tensor");
    for (const t of tensors) {
      if (!(t instanceof Tensor)) throw new ArgumentError("TensorDataset: all arguments must be Tensors");
      if (t.ndim === 0) throw new ArgumentError("TensorDataset: tensors must have at least one dimension");
    }
    const n = tensors[0]!.shape[0]!;
    if (!tensors.every((t) => t.shape[0] === n)) throw new ArgumentError("Size mismatch between tensors");
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  /** Row `index` of each tensor (views). */
  get(index: number): Tensor[] {
    checkIndex(index, this.length);
    return this.tensors.map((t) => select(t, 0, index));
  }

  /** The given rows of each tensor, stacked into new contiguous tensors. */
  getBatch(indices: readonly number[]): Tensor[] {
    for (const i of indices) checkIndex(i, this.length);
    return this.tensors.map((t) => gatherRows(t, indices));
  }
}

function checkIndex(index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new IndexError(`index ${index} is out of bounds for dataset of length ${length}`);
  }
}

/** A new contiguous tensor of rows `indices` of `t` (no autograd: datasets hold data). */
export function gatherRows(t: Tensor, indices: readonly number[]): Tensor {
  const rowShape = t.shape.slice(1);
  let rowSize = 1;
  for (const s of rowShape) rowSize *= s;
  const out = allocate(t.dtype, indices.length * rowSize);
  const data = t._data();
  const rowStrides = t._strides.slice(1);
  const dense = contiguousStrides(rowShape);
  const contiguousRows = rowStrides.every((s, i) => rowShape[i] === 1 || s === dense[i]);
  indices.forEach((idx, j) => {
    const offset = t._offset + idx * t._strides[0]!;
    if (contiguousRows) out.set(data.subarray(offset, offset + rowSize), j * rowSize);
    else out.set(gatherContiguous(data, rowShape, rowStrides, offset), j * rowSize);
  });
  return Tensor.fromData(out, [indices.length, ...rowShape], t.dtype);
}

/** A view of a dataset restricted to some indices (torch.utils.data.Subset). */
export class Subset<T> implements Dataset<T> {
  constructor(
    readonly dataset: Dataset<T>,
    readonly indices: readonly number[],
  ) {}
  get length(): number {
    return this.indices.length;
  }
  get(index: number): T {
    checkIndex(index, this.length);
    return this.dataset.get(this.indices[index]!);
  }
}
