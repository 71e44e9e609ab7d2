// `npm run bench:pairs`: the targets as paired measurements. This machine's speed drifts
// by 20-50% within minutes, so two rows of the main table, measured a minute apart, can differ by
// more than the gap between kiln and a peer. Here each pair is timed in alternating rounds (A B B A
// ...), each round a batch of calls lasting about 60 ms after a short pause, once both sides have
// warmed up; the ratio column is the median of the per-round ratios, so drift between rounds
// cancels. A batch's time includes the garbage collection its calls cause (the main table's
// medians of single calls mostly do not), so functions returning large fresh tensors read slower
// here than there.
import { cpus } from "node:os";
import { median, registered, time, type Benchmark } from "./harness.js";
import "./benchmarks.js";
import "./compiler.js";
import "./native-gemm.js";
import "./peers/index.js";

const PAIRS: [string, string, string][] = [
  ["MLP forward, compiled", "MLP forward, onnxruntime 2 threads", "no slower than onnxruntime, same threads"],
  ["MLP forward, compiled, 1 thread", "MLP forward, onnxruntime 1 thread", "no slower than onnxruntime, same threads"],
  ["transformer block forward, compiled", "transformer block forward, onnxruntime 2 threads", "no slower than onnxruntime, same threads"],
  ["transformer block forward, compiled, 1 thread", "transformer block forward, onnxruntime 1 thread", "no slower than onnxruntime, same threads"],
  ["transformer block forward, compiled", "transformer block forward, compiled, no epilogues", "(fused epilogues against none)"],
  ["pointwise chain, compiled", "memory floor: x * 1, compiled", "within 2x of memory speed"],
  ["pointwise chain, compiled", "pointwise chain, onnxruntime 2 threads", "(the chain against onnxruntime)"],
  ["matmul float32 1024, native gemm 1 thread", "matmul float32 1024, onnxruntime 1 thread", "at least 150 GFLOP/s on one thread"],
];
const ROUNDS = 15;
const ROUND_MS = 60;

const byName = new Map(registered().map((b) => [b.name, b]));
const filters = process.argv.slice(2);

/**
 * Idle time before each batch (ms; PAUSE_MS overrides it). onnxruntime's worker threads keep
 * spinning for a while after a run; on 2 cores, a batch of kiln's 2-thread calls right after one
 * of onnxruntime's ran 1.5x as long (MLP forward: 1.08-1.25 ms against 0.89 after a 30 ms pause).
 */
const PAUSE_MS = Number(process.env.PAUSE_MS ?? 30);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Milliseconds per call of `fn` over a batch of `calls`, after an idle pause. */
function batch(fn: () => unknown, calls: number): number {
  if (PAUSE_MS > 0) Atomics.wait(sleeper, 0, 0, PAUSE_MS);
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return (performance.now() - t0) / calls;
}

function gflops(b: Benchmark, ms: number): string {
  return b.flops !== undefined ? ` (${(b.flops / (ms * 1e6)).toFixed(0)} GFLOP/s)` : "";
}

console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"}); ${ROUNDS} alternating rounds of about ${ROUND_MS} ms per side\n`);
console.log("| A | B | A ms | B ms | A / B (median of rounds) | target |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const [a, b, target] of PAIRS) {
  if (filters.length > 0 && !filters.some((f) => a.includes(f) || b.includes(f))) continue;
  const A = byName.get(a);
  const B = byName.get(b);
  if (!A || !B) throw new Error(`no benchmark named ${!A ? a : b}`);
  const fa = A.setup();
  const fb = B.setup();
  if (!fa || !fb) {
    console.log(`| ${a} | ${b} | | | skipped: ${(!fa ? A : B).skipReason ?? "unavailable"} | ${target} |`);
    continue;
  }
  // Warm both (the harness's warm-up), then size the batches from the warm-up's speed.
  const ta = median(time(fa));
  const tb = median(time(fb));
  const na = Math.max(1, Math.round(ROUND_MS / ta));
  const nb = Math.max(1, Math.round(ROUND_MS / tb));
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let x: number;
    let y: number;
    if (r % 2 === 0) {
      x = batch(fa, na);
      y = batch(fb, nb);
    } else {
      y = batch(fb, nb);
      x = batch(fa, na);
    }
    as.push(x);
    bs.push(y);
    ratios.push(x / y);
  }
  const ma = median(as);
  const mb = median(bs);
  console.log(`| ${a} | ${b} | ${ma.toFixed(3)}${gflops(A, ma)} | ${mb.toFixed(3)}${gflops(B, mb)} | ${median(ratios).toFixed(2)} | ${target} |`);
}
