// nn.Parameter: a Tensor subclass that a Module discovers as one of its parameters. It shares the
// storage of the tensor it is made from (like PyTorch's `nn.Parameter(t)`), has no autograd
// history, and requires gradients by default.
import { ArgumentError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";

export class Parameter extends Tensor {
  /**
   * `new Parameter(data, requiresGrad = true)`: a leaf sharing `data`'s storage, shape, strides and
   * offset. `data` should be concrete (a lazy tensor is realised first).
   */
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) {
      throw new ArgumentError(`Parameter(): argument 'data' must be Tensor, not ${describeValue(data)}`);
    }
    if (data._lazy !== null) data._data();
    super(data._storage, data._shape.slice(), data._strides.slice(), data._offset, data.dtype);
    this.requiresGrad = requiresGrad;
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

/**
 * Points `target` at `source`'s storage, shape, strides, offset and dtype, keeping its identity and
 * autograd flags (PyTorch's `param.data = source`). Used by Module.to(dtype). `source` must be
 * concrete and have no autograd history.
 */
export function setTensorData(target: Tensor, source: Tensor): void {
  if (source._lazy !== null) source._data();
  target._storage = source._storage;
  target._shape = source._shape.slice();
  target._strides = source._strides.slice();
  target._offset = source._offset;
  target._base = null;
  (target as { dtype: Tensor["dtype"] }).dtype = source.dtype;
}
