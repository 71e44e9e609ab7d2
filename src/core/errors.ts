// kiln's error classes. Messages follow PyTorch's wording so users can search them.

/** Base class of every error kiln throws on purpose. */
export class KilnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit together (broadcasting, matmul, view sizes). */
export class ShapeError extends KilnError {}

/** A dtype an op does not accept, or a result that cannot be cast back. */
export class DTypeError extends KilnError {}

/** An index or dimension out of range. */
export class IndexError extends KilnError {}

/** An argument of the wrong type or value (a string for a tensor, NaN as a size). */
export class ArgumentError extends KilnError {}

/** A runtime condition PyTorch reports as RuntimeError (autograd misuse, in-place conflicts). */
export class KilnRuntimeError extends KilnError {}

/** Describes a JavaScript value for error messages: `number 1.5`, `string "a"`, `Tensor`. */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "string") return `string "${v}"`;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return `array of length ${v.length}`;
  if (typeof v === "function") return "function";
  const name = (v as object).constructor?.name;
  return name ? name : "object";
}
