import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import * as k from "../../src/index.js";

const { nn } = k;
const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "kiln-safetensors-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function bits(t: k.Tensor): number[] {
  const a = t.toArray();
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

describe("safetensors serialize / deserialize", () => {
  it("round-trips every kiln dtype bit-exactly, with metadata", () => {
    const tensors = {
      "layer.weight": k.tensor([[0.1, -0.2, Math.PI], [1e-40, -0, NaN]], { dtype: "float32" }),
      f64: k.tensor([1 / 3, -Infinity, 5e-324], { dtype: "float64" }),
      ints: k.tensor([[-2147483648, 2147483647], [0, -1]]),
      mask: k.tensor([true, false, true]),
      scalar: k.tensor(1.25, { dtype: "float64" }),
      empty: k.zeros([0, 4]),
      strided: k.arange(6).reshape([2, 3]).transpose(0, 1).to("float32"),
    };
    const bytes = k.serialize(tensors, { format: "pt", author: "kiln" });
    // header length is a multiple of 8 and the header is valid JSON padded with spaces
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.__metadata__).toEqual({ format: "pt", author: "kiln" });
    expect(header["layer.weight"]).toEqual({ dtype: "F32", shape: [2, 3], data_offsets: expect.any(Array) });
    expect(header.f64.dtype).toBe("F64");
    expect(header.ints.dtype).toBe("I32");
    expect(header.mask.dtype).toBe("BOOL");
    const { tensors: back, metadata } = k.deserializeWithMetadata(bytes);
    expect(metadata).toEqual({ format: "pt", author: "kiln" });
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      expect(back[name]!.dtype, name).toBe(t.dtype);
      expect(back[name]!.shape, name).toEqual(t.shape);
      expect(bits(back[name]!), name).toEqual(bits(t));
    }
    expect(back.strided!.tolist()).toEqual([[0, 3], [1, 4], [2, 5]]);
    // serialising what was read gives the same bytes
    expect(k.serialize(back, metadata)).toEqual(bytes);
  });

  it("orders data by dtype width then name, so every tensor is aligned", () => {
    const bytes = k.serialize({ b: k.tensor([true]), a: k.zeros([1]), z: k.zeros([1], { dtype: "float64" }), c: k.tensor([1]) });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(Object.keys(header)).toEqual(["z", "a", "c", "b"]);
    expect(header.z.data_offsets).toEqual([0, 8]);
    expect(header.a.data_offsets).toEqual([8, 12]);
    expect(header.c.data_offsets).toEqual([12, 16]);
    expect(header.b.data_offsets).toEqual([16, 17]);
  });

  it("rejects malformed input", () => {
    expect(() => k.deserialize(new Uint8Array(4))).toThrow("HeaderTooSmall");
    const bad = new Uint8Array(16);
    new DataView(bad.buffer).setBigUint64(0, 100n, true);
    expect(() => k.deserialize(bad)).toThrow("InvalidHeaderLength");
    const good = k.serialize({ a: k.zeros([2]) });
    expect(() => k.deserialize(good.subarray(0, good.length - 1))).toThrow();
    expect(() => k.deserialize(new Uint8Array([...good, 0, 0, 0, 0]))).toThrow("MetadataIncompleteBuffer");
    expect(() => k.serialize({ a: 5 as unknown as k.Tensor })).toThrow('"a" is number 5, not a Tensor');
  });
});

describe("safetensors files", () => {
  it("save / load round-trip a model's state dict bit-exactly", () => {
    k.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 2));
    model.forward(k.randn([5, 4]));
    const path = join(tmp, "model.safetensors");
    k.save(model.stateDict(), path, { epoch: "3" });
    const loaded = k.load(path);
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(model.stateDict()).sort());
    expect(loaded["1.num_batches_tracked"]!.dtype).toBe("int32");
    const fresh = new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 2));
    fresh.loadStateDict(loaded);
    for (const [name, t] of Object.entries(model.stateDict())) expect(bits(fresh.stateDict()[name]!), name).toEqual(bits(t));
    expect(k.loadWithMetadata(path).metadata).toEqual({ epoch: "3" });
    const x = k.randn([3, 4]);
    model.eval();
    fresh.eval();
    expect(fresh.forward(x).tolist()).toEqual(model.forward(x).tolist());
  });

  it("loads a fixture written by Python's struct/json into a Linear(3, 2)", () => {
    const sd = k.load(join(fixtures, "linear_3x2.safetensors"));
    const lin = new nn.Linear(3, 2);
    lin.loadStateDict(sd);
    const f = (v: number) => Math.fround(v);
    expect(lin.weight.tolist()).toEqual([[0.1, -0.2, 0.3].map(f), [0.4, 0.5, -0.6].map(f)]);
    expect(lin.bias!.tolist()).toEqual([0.25, -1.5]);
    const y = lin.forward(k.tensor([[1, 1, 1]], { dtype: "float32" })).tolist() as number[][];
    expect(y[0]![0]).toBeCloseTo(0.2 + 0.25, 6);
    expect(y[0]![1]).toBeCloseTo(0.3 - 1.5, 6);
    // kiln writes the same bytes as the reference writer for the same state dict
    const ours = k.serialize({ weight: lin.weight, bias: lin.bias! }, { format: "pt" });
    expect(Array.from(ours)).toEqual(Array.from(readFileSync(join(fixtures, "linear_3x2.safetensors"))));
  });

  it("reads other writers' dtypes, converting F16/BF16 to float32 and integers to int32", () => {
    const { tensors: t, metadata } = k.loadWithMetadata(join(fixtures, "dtypes.safetensors"));
    expect(metadata).toEqual({ source: "python-struct", note: "kiln fixture" });
    expect(t.u8!.dtype).toBe("int32");
    expect(t.u8!.tolist()).toEqual([0, 7, 255]);
    expect(t.f64!.dtype).toBe("float64");
    expect(t.f64!.tolist()).toEqual([[1 / 3, -2.5], [1e300, -0]]);
    expect(Object.is((t.f64!.tolist() as number[][])[1]![1], -0)).toBe(true);
    expect(t.bool!.tolist()).toEqual([true, false, false, true]);
    expect(t.i64!.tolist()).toEqual([-5, 0, 2147483647]);
    expect(t.f16!.tolist()).toEqual([1.5, -0.25, 65504]);
    expect(t.bf16!.tolist()).toEqual([1, -3]);
    expect(t.i32!.shape).toEqual([2, 1]);
    expect(t.i32!.tolist()).toEqual([[-7], [123456]]);
    expect(t.scalar!.shape).toEqual([]);
    expect(t.scalar!.item()).toBe(2.5);
    expect(t.empty!.shape).toEqual([0, 3]);
  });
});
