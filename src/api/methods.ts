// Installs op functions as Tensor methods: `kiln.add(a, b)` becomes `a.add(b)`.
import { Tensor } from "../core/tensor.js";

/** The method type of a function whose first parameter is the tensor itself. */
export type AsMethods<T> = {
  [K in keyof T]: T[K] extends (self: Tensor, ...args: infer P) => infer R ? (...args: P) => R : never;
};

/** Adds each function as a method that passes `this` as its first argument. */
export function installMethods(fns: Record<string, (self: Tensor, ...args: never[]) => unknown>): void {
  for (const [name, fn] of Object.entries(fns)) {
    const f = fn as (self: Tensor, ...args: unknown[]) => unknown;
    Object.defineProperty(Tensor.prototype, name, {
      value: function (this: Tensor, ...args: unknown[]) {
        return f(this, ...args);
      },
      writable: true,
      configurable: true,
    });
  }
}
