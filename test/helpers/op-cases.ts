// Op test cases as data, so the same cases run eagerly (the op suites) and through compile()
// (the compiler and backend suites).
import { expect } from "vitest";
import type { DType } from "../../src/index.js";
import { Tensor } from "../../src/index.js";

/** What a case produces: a tensor, several, or a `{ values, indices }`-style record of tensors. */
export type CaseResult = Tensor | Tensor[] | Record<string, Tensor>;

/** Expected values: nested numbers/booleans for one tensor, an array of them, or a record. */
export type Expected = unknown;

export interface OpCase {
  name: string;
  /** Builds inputs and calls the op. Must build its inputs inside (so compiled runs see them fresh). */
  run: () => CaseResult;
  /** Expected values (nested lists as `tolist()` gives them). */
  expected: Expected;
  /** Expected dtype(s) of the result tensor(s), checked when given. */
  dtype?: DType | DType[];
  /** Absolute tolerance for floats (default 1e-5, relative 1e-5). */
  atol?: number;
  rtol?: number;
}

export interface GradCase {
  name: string;
  /** The differentiated function of float64 inputs. */
  fn: (...inputs: Tensor[]) => Tensor;
  /** Fresh float64 inputs; those with requiresGrad are checked. */
  inputs: () => Tensor[];
  atol?: number;
  rtol?: number;
}

function flatten(v: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
  return out;
}

/** Compares a tensor with nested expected values (shape via nesting, values with tolerance). */
export function expectTensor(t: Tensor, expected: unknown, atol = 1e-5, rtol = 1e-5, dtype?: DType): void {
  expect(t).toBeInstanceOf(Tensor);
  if (dtype) expect(t.dtype).toBe(dtype);
  const actual = t.tolist();
  const shapeOf = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...(v.length ? shapeOf(v[0]) : [])] : []);
  expect(t.shape).toEqual(shapeOf(expected));
  const a = flatten(actual);
  const e = flatten(expected);
  expect(a.length).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = e[i];
    if (typeof y === "number" && typeof x === "number") {
      if (Number.isNaN(y)) expect(Number.isNaN(x), `element ${i}: expected NaN, got ${x}`).toBe(true);
      else if (!Number.isFinite(y)) expect(x, `element ${i}`).toBe(y);
      else expect(Math.abs(x - y) <= atol + rtol * Math.abs(y), `element ${i}: expected ${y}, got ${x}`).toBe(true);
    } else expect(x, `element ${i}`).toBe(y);
  }
}

/** Checks a case's result against its expectation. */
export function checkCase(c: OpCase, result: CaseResult): void {
  const atol = c.atol ?? 1e-5;
  const rtol = c.rtol ?? 1e-5;
  const dtypes = Array.isArray(c.dtype) ? c.dtype : c.dtype ? [c.dtype] : [];
  if (result instanceof Tensor) {
    expectTensor(result, c.expected, atol, rtol, dtypes[0]);
  } else if (Array.isArray(result)) {
    const exp = c.expected as unknown[];
    expect(result.length).toBe(exp.length);
    result.forEach((t, i) => expectTensor(t, exp[i], atol, rtol, dtypes[i]));
  } else {
    const exp = c.expected as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(Object.keys(exp).sort());
    Object.keys(exp).forEach((k, i) => expectTensor(result[k]!, exp[k], atol, rtol, dtypes[i]));
  }
}
