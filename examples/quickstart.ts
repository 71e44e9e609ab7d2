// A first look at kiln: tensors, broadcasting, autograd.
import * as kiln from "../src/index.js";

kiln.manualSeed(0);
const x = kiln.tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float32", requiresGrad: true });
const w = kiln.tensor([0.5, -1, 2], { requiresGrad: true });
const y = x.mul(w).sigmoid().sum();
y.backward();
console.log("x =", x.toString());
console.log("y =", y.toString());
console.log("dy/dw =", w.grad!.toString());
