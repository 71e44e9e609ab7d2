// The safetensors format (https://github.com/huggingface/safetensors), in memory, with no Node
// API so it runs in browsers:
//   8 bytes  little-endian u64: N, the length of the header
//   N bytes  UTF-8 JSON: { "__metadata__"?: { string: string },
//                          name: { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] } }
//            padded with spaces so the data starts at a multiple of 8
//   rest     the tensors' bytes, little-endian, row-major; offsets are relative to the data start
// Writing orders tensors like the reference implementation (by dtype, widest first, then by
// name), so each tensor is aligned to its element size. Reading accepts kiln's dtypes (F64, F32,
// I32, BOOL) and converts others: F16/BF16 to float32, I64/U32/I16/U16/I8/U8 to int32 (an I64 or
// U32 value outside the int32 range is an error).
import { type DType, type TypedArray } from "../core/dtype.js";
import { ArgumentError, KilnRuntimeError, describeValue } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";

/** What serialize() accepts: a state dict (record or Map) of tensors. */
export type TensorMap = Record<string, Tensor> | Map<string, Tensor>;

const WRITE_CODE: Record<DType, string> = { float64: "F64", float32: "F32", int32: "I32", bool: "BOOL" };
const WRITE_RANK: Record<DType, number> = { float64: 3, float32: 2, int32: 1, bool: 0 };
const ITEM_SIZE: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1,
};

const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function entriesOf(map: TensorMap): [string, Tensor][] {
  if (map instanceof Map) return [...map.entries()];
  if (map === null || typeof map !== "object") {
    throw new ArgumentError(`serialize(): expected a record of tensors, but got ${describeValue(map)}`);
  }
  return Object.entries(map);
}

/** The little-endian bytes of a tensor's values in row-major order. */
function tensorBytes(t: Tensor): Uint8Array {
  const values = t.toArray();
  if (littleEndianHost || t.dtype === "bool") return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (t.dtype === "float64") view.setFloat64(i * 8, values[i]!, true);
    else if (t.dtype === "float32") view.setFloat32(i * 4, values[i]!, true);
    else view.setInt32(i * 4, values[i]!, true);
  }
  return out;
}

/** Serialises tensors (and optional string metadata) to safetensors bytes. */
export function serialize(tensors: TensorMap, metadata?: Record<string, string> | null): Uint8Array {
  const entries = entriesOf(tensors);
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new ArgumentError(`serialize(): "${name}" is ${describeValue(t)}, not a Tensor`);
    if (name === "__metadata__") throw new ArgumentError(`serialize(): "__metadata__" cannot be a tensor name`);
  }
  entries.sort(([na, a], [nb, b]) => WRITE_RANK[b.dtype] - WRITE_RANK[a.dtype] || (na < nb ? -1 : na > nb ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && metadata !== null) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new ArgumentError(`serialize(): metadata value "${k}" must be a string, but got ${describeValue(v)}`);
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const bytes = tensorBytes(t);
    header[name] = { dtype: WRITE_CODE[t.dtype], shape: t.shape.slice(), data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.byteLength) / 8) * 8 - 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let pos = 8 + json.byteLength;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  return out;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function invalid(msg: string): never {
  throw new KilnRuntimeError(`Error while deserializing header: ${msg}`);
}

function parseHeader(bytes: Uint8Array): { header: Record<string, unknown>; dataStart: number } {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(`deserialize(): expected a Uint8Array, but got ${describeValue(bytes)}`);
  }
  if (bytes.byteLength < 8) invalid("HeaderTooSmall");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.byteLength - 8)) invalid("InvalidHeaderLength");
  const len = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + len)));
  } catch {
    invalid("InvalidHeaderDeserialization");
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) invalid("InvalidHeaderDeserialization");
  return { header: header as Record<string, unknown>, dataStart: 8 + len };
}

/** Reads the tensor values of one entry into a kiln-typed array. */
function decode(src: Uint8Array, code: string, count: number, name: string): { data: TypedArray; dtype: DType } {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const aligned = (): ArrayBuffer => src.slice().buffer as ArrayBuffer;
  switch (code) {
    case "F64":
      if (littleEndianHost) return { data: new Float64Array(aligned()), dtype: "float64" };
      return { data: Float64Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true)), dtype: "float64" };
    case "F32":
      if (littleEndianHost) return { data: new Float32Array(aligned()), dtype: "float32" };
      return { data: Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true)), dtype: "float32" };
    case "I32":
      if (littleEndianHost) return { data: new Int32Array(aligned()), dtype: "int32" };
      return { data: Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true)), dtype: "int32" };
    case "BOOL":
      return { data: Uint8Array.from(src, (b) => (b !== 0 ? 1 : 0)), dtype: "bool" };
    case "F16":
    case "BF16": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const h = view.getUint16(i * 2, true);
        out[i] = code === "F16" ? halfToFloat(h) : bfloat16ToFloat(h);
      }
      return { data: out, dtype: "float32" };
    }
    case "I64":
    case "U32":
    case "I16":
    case "U16":
    case "I8":
    case "U8": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        let v: number;
        if (code === "I64") v = Number(view.getBigInt64(i * 8, true));
        else if (code === "U32") v = view.getUint32(i * 4, true);
        else if (code === "I16") v = view.getInt16(i * 2, true);
        else if (code === "U16") v = view.getUint16(i * 2, true);
        else if (code === "I8") v = view.getInt8(i);
        else v = view.getUint8(i);
        if (v < -2147483648 || v > 2147483647) {
          throw new KilnRuntimeError(`safetensors: tensor "${name}" (${code}) holds ${v}, which does not fit in int32`);
        }
        out[i] = v;
      }
      return { data: out, dtype: "int32" };
    }
    default:
      throw new KilnRuntimeError(`safetensors: tensor "${name}" has dtype ${code}, which kiln cannot read`);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bfloat16ToFloat(h: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setUint32(0, h << 16);
  return buf.getFloat32(0);
}

/** Tensors and metadata from safetensors bytes. */
export function deserializeWithMetadata(bytes: Uint8Array): {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string> | null;
} {
  const { header, dataStart } = parseHeader(bytes);
  const dataLength = bytes.byteLength - dataStart;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> | null = null;
  const ranges: [number, number][] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as HeaderEntry;
    if (e === null || typeof e !== "object" || typeof e.dtype !== "string" || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) {
      invalid(`InvalidHeaderDeserialization (entry "${name}")`);
    }
    const item = ITEM_SIZE[e.dtype];
    if (item === undefined) throw new KilnRuntimeError(`safetensors: tensor "${name}" has dtype ${e.dtype}, which kiln cannot read`);
    if (!e.shape.every((d) => Number.isInteger(d) && d >= 0)) invalid(`InvalidShape for "${name}"`);
    const count = e.shape.reduce((a, b) => a * b, 1);
    const [begin, end] = e.data_offsets;
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin || end > dataLength) {
      invalid(`InvalidOffset for "${name}"`);
    }
    if (end - begin !== count * item) {
      throw new KilnRuntimeError(
        `safetensors: tensor "${name}" has ${end - begin} bytes but shape [${e.shape.join(", ")}] of ${e.dtype} needs ${count * item}`,
      );
    }
    ranges.push([begin, end]);
    const { data, dtype } = decode(bytes.subarray(dataStart + begin, dataStart + end), e.dtype, count, name);
    tensors[name] = Tensor.fromData(data, e.shape.slice(), dtype);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let pos = 0;
  for (const [b, e] of ranges) {
    if (b !== pos) invalid("MetadataIncompleteBuffer");
    pos = e;
  }
  if (pos !== dataLength) invalid("MetadataIncompleteBuffer");
  return { tensors, metadata };
}

/** Tensors from safetensors bytes (a record in the file's header order). */
export function deserialize(bytes: Uint8Array): Record<string, Tensor> {
  return deserializeWithMetadata(bytes).tensors;
}
