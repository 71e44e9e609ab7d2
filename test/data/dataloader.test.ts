import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { Tensor } from "../../src/index.js";

const { data } = k;

function dataset(n = 10) {
  const x = k.arange(n * 2).reshape([n, 2]).to("float32");
  const y = k.arange(n);
  return new data.TensorDataset(x, y);
}

const firstCol = (batches: Tensor[][]) => batches.flatMap((b) => b[1]!.tolist() as number[]);

describe("TensorDataset", () => {
  it("indexes rows of every tensor", () => {
    const ds = dataset(4);
    expect(ds.length).toBe(4);
    const [x, y] = ds.get(2);
    expect(x!.tolist()).toEqual([4, 5]);
    expect(y!.item()).toBe(2);
    expect(() => ds.get(4)).toThrow("index 4 is out of bounds for dataset of length 4");
    expect(() => new data.TensorDataset(k.zeros([3]), k.zeros([4]))).toThrow("Size mismatch between tensors");
    const [bx, by] = ds.getBatch([3, 0]);
    expect(bx!.tolist()).toEqual([[6, 7], [0, 1]]);
    expect(by!.tolist()).toEqual([3, 0]);
    // non-contiguous source tensors
    const t = new data.TensorDataset(k.arange(6).reshape([2, 3]).transpose(0, 1));
    expect(t.getBatch([2, 1])[0]!.tolist()).toEqual([[2, 5], [1, 4]]);
  });
});

describe("DataLoader", () => {
  it("batches in order with a smaller last batch, or drops it", () => {
    const loader = new data.DataLoader(dataset(10), { batchSize: 4 });
    const batches = [...loader] as Tensor[][];
    expect(loader.length).toBe(3);
    expect(batches.map((b) => b[0]!.shape)).toEqual([[4, 2], [4, 2], [2, 2]]);
    expect(firstCol(batches)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches[1]![0]!.tolist()).toEqual([[8, 9], [10, 11], [12, 13], [14, 15]]);
    const dropped = new data.DataLoader(dataset(10), { batchSize: 4, dropLast: true });
    expect(dropped.length).toBe(2);
    expect([...dropped].length).toBe(2);
    for (const [x, y] of new data.DataLoader(dataset(3))) {
      expect(x!.shape).toEqual([1, 2]);
      expect(y!.shape).toEqual([1]);
    }
  });

  it("shuffles deterministically under manualSeed, differently each epoch", () => {
    const loader = new data.DataLoader(dataset(20), { batchSize: 5, shuffle: true });
    k.manualSeed(42);
    const e1 = firstCol([...loader]);
    const e2 = firstCol([...loader]);
    k.manualSeed(42);
    expect(firstCol([...loader])).toEqual(e1);
    expect(firstCol([...loader])).toEqual(e2);
    expect(e1).not.toEqual(e2);
    expect(e1.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(e1).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("a generator seed makes the order independent of the global stream", () => {
    const a = new data.DataLoader(dataset(16), { batchSize: 4, shuffle: true, generator: 7 });
    const b = new data.DataLoader(dataset(16), { batchSize: 4, shuffle: true, generator: { seed: 7 } });
    k.manualSeed(1);
    const a1 = firstCol([...a]);
    k.manualSeed(2);
    const b1 = firstCol([...b]);
    expect(a1).toEqual(b1);
    expect(firstCol([...a])).toEqual(firstCol([...b]));
    expect(firstCol([...a])).not.toEqual(a1);
  });

  it("uses a collate function and collates generic datasets", () => {
    const samples = [
      { x: k.tensor([1, 2], { dtype: "float32" }), label: 0, name: "a" },
      { x: k.tensor([3, 4], { dtype: "float32" }), label: 1, name: "b" },
      { x: k.tensor([5, 6], { dtype: "float32" }), label: 1, name: "c" },
    ];
    const loader = new data.DataLoader(samples, { batchSize: 2 });
    const [b1, b2] = [...loader];
    expect(b1.x.tolist()).toEqual([[1, 2], [3, 4]]);
    expect(b1.label.tolist()).toEqual([0, 1]);
    expect(b1.name).toEqual(["a", "b"]);
    expect(b2.x.shape).toEqual([1, 2]);
    const tuples = new data.DataLoader([[k.tensor([1.5]), 2.5], [k.tensor([3.5]), 4.5]], { batchSize: 2 });
    const [[xs, ys]] = [...tuples];
    expect(xs.tolist()).toEqual([[1.5], [3.5]]);
    expect(ys.tolist()).toEqual([2.5, 4.5]);
    const custom = new data.DataLoader(dataset(5), { batchSize: 2, collateFn: (s: Tensor[][]) => s.length });
    expect([...custom]).toEqual([2, 2, 1]);
    expect(() => new data.DataLoader(dataset(5), { batchSize: 0 })).toThrow("batch_size should be a positive integer value");
    const ds = { length: 3, get: (i: number) => k.full([2], i) };
    expect([...new data.DataLoader(ds, { batchSize: 3 })][0].tolist()).toEqual([[0, 0], [1, 1], [2, 2]]);
    expect(() => data.defaultCollate([k.zeros([2]), k.zeros([3])])).toThrow("stack expects each tensor to be equal size");
  });

  it("Subset restricts a dataset", () => {
    const sub = new data.Subset(dataset(10), [9, 3]);
    expect(sub.length).toBe(2);
    expect(sub.get(0)[1]!.item()).toBe(9);
    expect(firstCol([...new data.DataLoader(sub, { batchSize: 2 })])).toEqual([9, 3]);
  });
});
