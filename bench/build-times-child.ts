// One process of bench/build-times.ts: times the runtime's load and two compiled models' first
// calls and second calls (the disk cache is whatever KILN_CACHE_DIR holds), printed as JSON.
import * as k from "../src/index.js";
import { compile, type Tensor } from "../src/index.js";
import { loadNativeGemm } from "../src/backends/native/gemm.js";

const time = (f: () => unknown): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};
const runtime = time(() => loadNativeGemm());
k.manualSeed(0);
const mlp = new k.nn.Sequential(new k.nn.Linear(784, 1024), new k.nn.ReLU(), new k.nn.Linear(1024, 1024), new k.nn.ReLU(), new k.nn.Linear(1024, 10));
const x = k.randn([64, 784]);
const f = compile((t: Tensor) => k.noGrad(() => mlp.forward(t)));
const mlpFirst = time(() => f(x));
const mlpHit = time(() => f(x));
const layer = new k.nn.TransformerEncoderLayer(256, 4, { dimFeedforward: 1024, dropout: 0, batchFirst: true });
layer.eval();
const xt = k.randn([8, 128, 256]);
const g = compile((t: Tensor) => k.noGrad(() => layer.forward(t)));
const transformer = time(() => g(xt));
const transformerHit = time(() => g(xt));
console.log(JSON.stringify({ runtime, mlp: mlpFirst, mlpHit, transformer, transformerHit }));
