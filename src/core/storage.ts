// Storage: a flat typed array shared by a tensor and all of its views, with a version counter
// that in-place writes bump (autograd and the compiler check it).
import type { DType, TypedArray } from "./dtype.js";
import { allocate } from "./dtype.js";

export class Storage {
  version = 0;
  constructor(
    public data: TypedArray,
    readonly dtype: DType,
  ) {}

  static allocate(dtype: DType, n: number): Storage {
    return new Storage(allocate(dtype, n), dtype);
  }

  get length(): number {
    return this.data.length;
  }
}
