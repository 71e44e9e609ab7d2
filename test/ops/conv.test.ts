import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { convCases, convGradCases } from "./cases/conv.js";
import { det } from "./cases/linalg.js";
import { runGradCases, runOpCases } from "../helpers/run-cases.js";

runOpCases("conv and pooling ops", convCases);
runGradCases("conv and pooling gradients", convGradCases);

const f = (shape: number[], dtype: "float32" | "float64" = "float32") => det(shape, 1, dtype);

describe("conv and pooling errors", () => {
  const cases: [string, () => unknown, string][] = [
    ["linear shapes", () => k.linear(f([4, 3]), f([2, 5])), "mat1 and mat2 shapes cannot be multiplied (4x3 and 5x2)"],
    ["conv2d input dims", () => k.conv2d(f([2, 3]), f([1, 1, 1, 1])), "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]"],
    [
      "conv2d channels",
      () => k.conv2d(f([1, 4, 5, 5]), f([8, 3, 3, 3])),
      "Given groups=1, weight of size [8, 3, 3, 3], expected input[1, 4, 5, 5] to have 3 channels, but got 4 channels instead",
    ],
    [
      "conv2d groups divide out channels",
      () => k.conv2d(f([1, 4, 5, 5]), f([3, 2, 3, 3]), null, { groups: 2 }),
      "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size [3, 2, 3, 3] instead",
    ],
    [
      "conv2d bias size",
      () => k.conv2d(f([1, 3, 5, 5]), f([8, 3, 3, 3]), f([4])),
      "Given weight of size [8, 3, 3, 3], expected bias to be 1-dimensional with 8 elements, but got bias of size [4] instead",
    ],
    [
      "conv2d kernel too large",
      () => k.conv2d(f([1, 1, 2, 2]), f([1, 1, 3, 3])),
      "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't be greater than actual input size",
    ],
    [
      "conv2d weight dims",
      () => k.conv2d(f([1, 1, 4, 4]), f([1, 1, 3])),
      "Expected 3-dimensional input for 3-dimensional weight [1, 1, 3], but got 4-dimensional input of size [1, 1, 4, 4] instead",
    ],
    ["conv2d same with stride", () => k.conv2d(f([1, 1, 4, 4]), f([1, 1, 3, 3]), null, { padding: "same", stride: 2 }), "padding='same' is not supported for strided convolutions"],
    ["conv2d bad padding string", () => k.conv2d(f([1, 1, 4, 4]), f([1, 1, 3, 3]), null, { padding: "full" as "same" }), "Invalid padding string 'full', should be one of {'valid', 'same'}"],
    ["conv2d stride 0", () => k.conv2d(f([1, 1, 4, 4]), f([1, 1, 3, 3]), null, { stride: 0 }), "non-positive stride is not supported"],
    ["conv2d negative padding", () => k.conv2d(f([1, 1, 4, 4]), f([1, 1, 3, 3]), null, { padding: -1 }), "negative padding is not supported"],
    ["conv2d dtype", () => k.conv2d(f([1, 1, 4, 4]), f([1, 1, 3, 3], "float64")), "Input type (float) and weight type (double) should be the same"],
    ["conv1d input dims", () => k.conv1d(f([2]), f([1, 1, 1])), "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [2]"],
    [
      "maxPool2d input dims",
      () => k.maxPool2d(f([2, 3]), 2),
      "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: [2, 3]",
    ],
    [
      "maxPool2d pad too large",
      () => k.maxPool2d(f([1, 1, 5, 5]), 3, { padding: 2 }),
      "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1",
    ],
    [
      "maxPool2d output too small",
      () => k.maxPool2d(f([1, 3, 1, 1]), 2),
      "Given input size: (3x1x1). Calculated output size: (3x0x0). Output size is too small",
    ],
    [
      "avgPool2d pad too large",
      () => k.avgPool2d(f([1, 1, 5, 5]), 2, { padding: 2 }),
      "pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 2, kW = 2, kH = 2",
    ],
    ["avgPool2d int input", () => k.avgPool2d(k.tensor([[[[1, 2], [3, 4]]]]), 2), `"avg_pool2d" not implemented for 'Int'`],
    ["adaptiveAvgPool2d dims", () => k.adaptiveAvgPool2d(f([4]), 2), "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [4]"],
  ];
  for (const [name, fn, message] of cases) {
    it(name, () => expect(fn).toThrow(message));
  }
});

describe("conv and pooling behaviour", () => {
  it("conv2d bias gradient sums over batch and space", () => {
    const x = det([2, 1, 3, 3], 1, "float64", true);
    const w = det([2, 1, 2, 2], 2, "float64", true);
    const b = det([2], 3, "float64", true);
    k.conv2d(x, w, b).sum().backward();
    expect(b.grad!.tolist()).toEqual([8, 8]);
  });

  it("maxPool2d indices are int32 and not differentiable", () => {
    const x = det([1, 1, 4, 4], 1, "float64", true);
    const [out, idx] = k.maxPool2d(x, 2, { returnIndices: true });
    expect(idx.dtype).toBe("int32");
    expect(idx.requiresGrad).toBe(false);
    expect(out.requiresGrad).toBe(true);
  });

  it("conv2d float32 matches float64", () => {
    const y32 = k.conv2d(det([1, 3, 8, 8], 1, "float32"), det([4, 3, 3, 3], 2, "float32"), null, { padding: 1 });
    const y64 = k.conv2d(det([1, 3, 8, 8], 1), det([4, 3, 3, 3], 2), null, { padding: 1 });
    const a = y32.toArray();
    const b = y64.toArray();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-5);
  });
});
