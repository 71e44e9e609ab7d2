// onnxruntime-node (CPU execution provider) beside kiln's rows: the workloads of bench/codegen.ts
// and matmul 1024³, each with intraOpNumThreads = 1 and = 2 ("…, onnxruntime 1 thread" /
// "…, onnxruntime 2 threads", the ratio against kiln's eager row). onnxruntime-node runs
// inference only (no training API in the npm package), so the training-step rows are listed as
// skipped with that reason.
//
// Timing goes through the package's native binding directly: the public InferenceSession.run()
// is async (it defers the binding's synchronous run() with setImmediate and a Promise), and the
// harness times synchronous calls. The binding's run is the same call the public API makes;
// test/bench/peers.test.ts checks that both give the same outputs. onnxruntime-node is pinned
// (package.json), since dist/binding.js is not a documented entry point.
import { createRequire } from "node:module";
import type * as Ort from "onnxruntime-node";
import * as k from "../../src/index.js";
import { register, registered, type Benchmark } from "../harness.js";
import * as M from "./onnx-models.js";
import * as W from "./workloads.js";

type OrtModule = typeof Ort;

/** The native session of onnxruntime-node's binding (dist/binding.d.ts, Binding.InferenceSession). */
interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: Ort.InferenceSession.SessionOptions): void;
  run(feeds: Record<string, Ort.Tensor>, fetches: Record<string, null>, options: Ort.InferenceSession.RunOptions): Record<string, Ort.Tensor>;
  dispose(): void;
}
interface BindingModule {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

export interface OrtEnv {
  ort: OrtModule;
  binding: BindingModule;
}

let env: OrtEnv | string | undefined;

/** Loads onnxruntime-node (and protobufjs, which builds the models); a reason string when missing. */
export function loadOrt(): OrtEnv | string {
  if (env !== undefined) return env;
  const require = createRequire(import.meta.url);
  try {
    require.resolve("protobufjs");
    const ort = require("onnxruntime-node") as OrtModule;
    const binding = require("onnxruntime-node/dist/binding.js") as BindingModule;
    env = { ort, binding };
  } catch (e) {
    env = `onnxruntime-node or protobufjs not installed (${(e instanceof Error ? e.message : String(e)).split("\n")[0]})`;
  }
  return env;
}

/** Session options of every onnxruntime row: CPU, all graph optimisations, `threads` intra-op threads. */
export function sessionOptions(threads: number): Ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  };
}

/** A loaded model whose run() is synchronous. */
export interface SyncSession {
  run(feeds: Record<string, Ort.Tensor>): Record<string, Ort.Tensor>;
  dispose(): void;
}

export function syncSession(e: OrtEnv, model: Uint8Array, threads: number): SyncSession {
  e.binding.initOrt();
  const s = new e.binding.binding.InferenceSession();
  s.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, sessionOptions(threads));
  const fetches: Record<string, null> = { y: null };
  return { run: (feeds) => s.run(feeds, fetches, {}), dispose: () => s.dispose() };
}

// --- rows ---------------------------------------------------------------------------------------

// One session alive at a time: each row disposes the previous row's session (and its threads).
let live: SyncSession | null = null;

interface OrtRow {
  /** The kiln eager row this row is compared with; the row is named "<workload>, onnxruntime N thread(s)". */
  workload: string;
  size: string;
  baseline: string;
  flops?: number;
  elements?: number;
  runs?: number;
  /** Builds the model and its inputs (float32 tensors named as the model's inputs). */
  build: (e: OrtEnv) => { model: Uint8Array; feeds: Record<string, Ort.Tensor> };
}

function registerOrt(row: OrtRow): void {
  for (const threads of [1, 2]) {
    const b: Benchmark = {
      name: `${row.workload}, onnxruntime ${threads} thread${threads > 1 ? "s" : ""}`,
      size: row.size,
      baseline: row.baseline,
      flops: row.flops,
      elements: row.elements,
      runs: row.runs ?? 15,
      warmup: 3,
      setup: () => {
        const e = loadOrt();
        if (typeof e === "string") {
          b.skipReason = e;
          return null;
        }
        live?.dispose();
        live = null;
        const { model, feeds } = row.build(e);
        const s = syncSession(e, model, threads);
        live = s;
        return () => s.run(feeds);
      },
    };
    register(b);
  }
}

const f32Tensor = (e: OrtEnv, t: k.Tensor) => new e.ort.Tensor("float32", W.f32(t), t.shape.slice());

registerOrt({
  workload: "pointwise chain",
  size: "gelu(x*2+1), 2^20 f32",
  baseline: "pointwise chain, eager",
  elements: W.CHAIN_N,
  build: (e) => ({ model: M.geluChainModel(W.CHAIN_N), feeds: { x: f32Tensor(e, k.randn([W.CHAIN_N])) } }),
});
registerOrt({
  workload: "softmax rows",
  size: "[4096,1024], dim -1",
  baseline: "softmax rows, eager",
  elements: W.ROWS * W.COLS,
  build: (e) => ({ model: M.softmaxModel(W.ROWS, W.COLS), feeds: { x: f32Tensor(e, k.randn([W.ROWS, W.COLS])) } }),
});
registerOrt({
  workload: "layerNorm rows",
  size: "[4096,1024], affine",
  baseline: "layerNorm rows, eager",
  elements: W.ROWS * W.COLS,
  build: (e) => {
    const x = k.randn([W.ROWS, W.COLS]);
    const model = M.layerNormModel(W.ROWS, W.COLS, W.f32(k.randn([W.COLS])), W.f32(k.randn([W.COLS])), W.LN_EPS);
    return { model, feeds: { x: f32Tensor(e, x) } };
  },
});
registerOrt({
  workload: "MLP forward",
  size: "64x784-1024-1024-10",
  baseline: "MLP forward, eager",
  flops: W.mlpFlops(W.MLP_BATCH, W.MLP_SIZES),
  runs: 30,
  build: (e) => ({
    model: M.mlpModel(W.MLP_BATCH, W.mlpWeights(W.kilnMlp())),
    feeds: { x: f32Tensor(e, k.randn([W.MLP_BATCH, W.MLP_SIZES[0]])) },
  }),
});
registerOrt({
  workload: "transformer block forward",
  size: "8x128x256, 4 heads, ff 1024",
  baseline: "transformer block forward, eager",
  elements: W.BLOCK.batch * W.BLOCK.seq * W.BLOCK.width,
  build: (e) => ({
    model: M.transformerBlockModel(W.BLOCK, W.blockWeights(W.kilnBlock())),
    feeds: { x: f32Tensor(e, k.randn([W.BLOCK.batch, W.BLOCK.seq, W.BLOCK.width])) },
  }),
});
registerOrt({
  workload: "matmul float32 1024",
  size: "1024x1024x1024",
  baseline: "matmul float32 1024",
  flops: 2 * 1024 ** 3,
  build: (e) => ({
    model: M.matmulModel(1024, 1024, 1024),
    feeds: { a: f32Tensor(e, k.rand([1024, 1024])), b: f32Tensor(e, k.rand([1024, 1024])) },
  }),
});

// Listed so the table says why there is no onnxruntime number for training.
for (const [workload, size, baseline] of [
  ["MLP train step AdamW", "64x784-1024-1024-10", "MLP train step AdamW, eager"],
  ["transformer block train step AdamW", "8x128x256, 4 heads, ff 1024", "transformer block train step AdamW, eager"],
] as const) {
  if (registered().some((b) => b.name === `${workload}, onnxruntime`)) continue;
  register({
    name: `${workload}, onnxruntime`,
    size,
    baseline,
    skipReason: "onnxruntime-node has no training API (inference only)",
    setup: () => null,
  });
}
