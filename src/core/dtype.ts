// dtypes, their storage arrays, and PyTorch's type-promotion rules restricted to kiln's four dtypes.
import { ArgumentError, describeValue } from "./errors.js";

export type DType = "float32" | "float64" | "int32" | "bool";
export const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** The storage array type of each dtype (bool is stored as 0/1 bytes). */
export const ARRAY_TYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
} as const;

export function allocate(dtype: DType, n: number): TypedArray {
  return new ARRAY_TYPES[dtype](n);
}

export function isFloating(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

export function isIntegral(dtype: DType, includeBool = false): boolean {
  return dtype === "int32" || (includeBool && dtype === "bool");
}

/** Category used by promotion: bool < integer < floating. */
export function category(dtype: DType): 0 | 1 | 2 {
  return dtype === "bool" ? 0 : dtype === "int32" ? 1 : 2;
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** torch.promote_types for two dtypes. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** A JS scalar taking part in type promotion. */
export type Scalar = number | boolean;

/** The dtype a JS scalar has on its own: booleans are bool, integers int32, others float32. */
export function scalarDType(v: Scalar): DType {
  if (typeof v === "boolean") return "bool";
  return Number.isInteger(v) ? "int32" : "float32";
}

/** Operand description for resultType: a tensor's dtype and rank, or a JS scalar. */
export type PromotionOperand = { dtype: DType; ndim: number } | Scalar;

/**
 * torch.result_type: tensors with dimensions decide first; zero-dim tensors and then scalars only
 * take part when their category is higher than what was found so far. A JS float scalar gives the
 * default float dtype (float32), a JS integer the default integer dtype (int32).
 */
export function resultType(...operands: PromotionOperand[]): DType {
  let dim: DType | null = null;
  let zero: DType | null = null;
  let scalar: DType | null = null;
  for (const op of operands) {
    if (typeof op === "number" || typeof op === "boolean") {
      const d = scalarDType(op);
      scalar = scalar === null ? d : promoteTypes(scalar, d);
    } else if (op.ndim === 0) {
      zero = zero === null ? op.dtype : promoteTypes(zero, op.dtype);
    } else {
      dim = dim === null ? op.dtype : promoteTypes(dim, op.dtype);
    }
  }
  let result: DType = dim ?? zero ?? scalar ?? "float32";
  if (dim !== null && zero !== null && category(zero) > category(result)) result = zero;
  if ((dim !== null || zero !== null) && scalar !== null && category(scalar) > category(result)) {
    result = scalar;
  }
  return result;
}

/** Validates a user-supplied dtype name. */
export function checkDType(v: unknown, what = "dtype"): DType {
  if (typeof v === "string" && (DTYPES as readonly string[]).includes(v)) return v as DType;
  throw new ArgumentError(
    `${what} must be one of ${DTYPES.map((d) => `"${d}"`).join(", ")}, but got ${describeValue(v)}`,
  );
}

/** Converts a JS value to what a dtype stores: truncation toward zero for int32, 0/1 for bool. */
export function castScalar(v: number, dtype: DType): number {
  switch (dtype) {
    case "bool":
      return v !== 0 && !Number.isNaN(v) ? 1 : 0;
    case "int32":
      return Number.isFinite(v) ? Math.trunc(v) | 0 : 0;
    case "float32":
      return Math.fround(v);
    default:
      return v;
  }
}

/** PyTorch's name for a dtype in messages: Float, Double, Int, Bool. */
export function torchTypeName(dtype: DType): string {
  return { float32: "Float", float64: "Double", int32: "Int", bool: "Bool" }[dtype];
}

/** Whether values of `from` may be written into a tensor of `to` by an in-place op (torch.can_cast). */
export function canCast(from: DType, to: DType): boolean {
  return category(from) <= category(to);
}
