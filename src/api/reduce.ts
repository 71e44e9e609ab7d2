// Public reduction functions and their Tensor methods.
import { Tensor } from "../core/tensor.js";
import { dispatch1 } from "../dispatch/dispatch.js";
import { toTensor } from "../dispatch/operands.js";
import { installMethods, type AsMethods } from "./methods.js";
import "../ops/reduce.js";

export interface ReduceOptions {
  keepdim?: boolean;
}

function reduction(name: string) {
  return (input: Tensor, dim?: number | number[] | null, options: ReduceOptions = {}): Tensor => {
    const dims = dim === undefined || dim === null ? null : Array.isArray(dim) ? dim : [dim];
    return dispatch1(name, [toTensor(input, name, "input", false)], { dims, keepdim: options.keepdim ?? false });
  };
}
export const sum = reduction("sum");
export const mean = reduction("mean");

const reduceMethods = { sum, mean };
installMethods(reduceMethods);

declare module "../core/tensor.js" {
  interface Tensor extends AsMethods<typeof reduceMethods> {}
}
