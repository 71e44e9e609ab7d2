// The registered benchmarks: matmul, broadcast add, softmax and a small CNN-like conv2d.
import * as k from "../src/index.js";
import { register } from "./harness.js";

const rand = (shape: number[], dtype: "float32" | "float64" = "float32") => k.rand(shape, { dtype });

for (const n of [256, 512, 1024]) {
  register({
    name: `matmul float32 ${n}`,
    size: `${n}x${n}x${n}`,
    flops: 2 * n ** 3,
    runs: 5,
    warmup: n >= 1024 ? 1 : 2,
    setup: () => {
      const a = rand([n, n]);
      const b = rand([n, n]);
      return () => k.matmul(a, b);
    },
  });
}

register({
  name: "matmul float32 512, B transposed",
  size: "512x512x512",
  flops: 2 * 512 ** 3,
  baseline: "matmul float32 512",
  setup: () => {
    const a = rand([512, 512]);
    const b = rand([512, 512]).transpose(0, 1);
    return () => k.matmul(a, b);
  },
});

register({
  name: "matmul float64 512",
  size: "512x512x512",
  flops: 2 * 512 ** 3,
  baseline: "matmul float32 512",
  setup: () => {
    const a = rand([512, 512], "float64");
    const b = rand([512, 512], "float64");
    return () => k.matmul(a, b);
  },
});

register({
  name: "bmm float32 (attention-like)",
  size: "32x(128x64)x(64x128)",
  flops: 2 * 32 * 128 * 64 * 128,
  setup: () => {
    const a = rand([32, 128, 64]);
    const b = rand([32, 64, 128]);
    return () => k.matmul(a, b);
  },
});

register({
  name: "add same shape",
  size: "[1024,1024] + [1024,1024]",
  elements: 1024 * 1024,
  runs: 10,
  setup: () => {
    const a = rand([1024, 1024]);
    const b = rand([1024, 1024]);
    return () => a.add(b);
  },
});

register({
  name: "add broadcast",
  size: "[1024,1024] + [1024]",
  elements: 1024 * 1024,
  runs: 10,
  baseline: "add same shape",
  setup: () => {
    const a = rand([1024, 1024]);
    const b = rand([1024]);
    return () => a.add(b);
  },
});

register({
  name: "softmax rows",
  size: "[4096,1024], dim -1",
  elements: 4096 * 1024,
  skipReason: "Tensor.softmax is not available yet",
  setup: () => {
    const x = rand([4096, 1024]);
    const m = (x as unknown as { softmax?: (dim: number) => k.Tensor }).softmax;
    if (typeof m !== "function") return null;
    return () => m.call(x, -1);
  },
});

// A small CNN layer: batch 8, 32 → 64 channels, 3×3, 32×32, padding 1.
const convFlops = 2 * 8 * 64 * 32 * 32 * 32 * 9;
register({
  name: "conv2d float32 3x3",
  size: "[8,32,32,32] * [64,32,3,3], pad 1",
  flops: convFlops,
  setup: () => {
    const x = rand([8, 32, 32, 32]);
    const w = rand([64, 32, 3, 3]);
    const b = rand([64]);
    return () => k.conv2d(x, w, b, { padding: 1 });
  },
});

register({
  name: "conv2d float32 3x3 forward+backward",
  size: "[8,32,32,32] * [64,32,3,3], pad 1",
  flops: 3 * convFlops,
  baseline: "conv2d float32 3x3",
  setup: () => {
    const x = rand([8, 32, 32, 32]).requiresGrad_(true);
    const w = rand([64, 32, 3, 3]).requiresGrad_(true);
    return () => {
      k.conv2d(x, w, null, { padding: 1 }).sum().backward();
      x.grad = null;
      w.grad = null;
    };
  },
});

register({
  name: "maxPool2d 2x2",
  size: "[8,64,32,32]",
  elements: 8 * 64 * 32 * 32,
  setup: () => {
    const x = rand([8, 64, 32, 32]);
    return () => k.maxPool2d(x, 2);
  },
});

// The default backend against eager (bench/codegen.ts).
import "./codegen.js";
