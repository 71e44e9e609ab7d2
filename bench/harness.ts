// A small benchmark library: registration, warm-up, timing with performance.now(), medians and
// a printed table. Benchmarks are not tests: they measure, they do not assert.

export interface Benchmark {
  /** Row label, e.g. "matmul float32". */
  name: string;
  /** Problem size as printed, e.g. "512x512x512". */
  size: string;
  /** Builds inputs once (not timed); returns the function timed on each run. */
  setup: () => (() => unknown) | null;
  /** Floating-point operations per run (gives a GFLOP/s column). */
  flops?: number;
  /** Elements processed per run (gives an ns/element column when flops is not given). */
  elements?: number;
  /** Name of another benchmark in the same run: the ratio column is this median / that median. */
  baseline?: string;
  /** Runs after warm-up (default 5, the minimum; fast functions get more, see `time`). */
  runs?: number;
  /** Warm-up runs (default 2, the minimum; fast functions get more, see `time`). */
  warmup?: number;
  /** Why the benchmark was skipped, set when setup returns null. */
  skipReason?: string;
}

export interface BenchResult {
  bench: Benchmark;
  times: number[];
  median: number;
  skipped?: string;
}

const registry: Benchmark[] = [];

export function register(b: Benchmark): void {
  registry.push(b);
}

export function registered(): readonly Benchmark[] {
  return registry;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Warm-up continues past `warmup` calls until this much time has passed (at most WARMUP_MAX_CALLS).
 * The cap was 60 calls: a 1 ms function then stopped warming after 60 ms, while V8 was still
 * compiling it in the background (measured: the compiled MLP forward 0.91 ms after 60 calls,
 * 0.70 ms after 500).
 */
const WARMUP_MS = 400;
const WARMUP_MAX_CALLS = 2000;
/** Timed runs continue past `runs` until this much time has passed (at most RUNS_MAX). */
const RUNS_MS = 600;
const RUNS_MAX = 301;

/**
 * Times `fn`: untimed warm-up calls, then timed calls; returns milliseconds per call. Fast
 * functions get more of both, by time: V8 compiles hot JavaScript on a background thread for the
 * first few dozen calls, and while it does, that thread takes the second core from native worker
 * threads (measured here: a compiled MLP forward ran its matmuls on one thread for its first ~25
 * calls, 3.0 ms against 2.3 ms after). Two warm-up calls measured that transient, not the steady state.
 */
export function time(fn: () => unknown, runs = 5, warmup = 2): number[] {
  const w0 = performance.now();
  for (let i = 0; i < warmup || (i < WARMUP_MAX_CALLS && performance.now() - w0 < WARMUP_MS); i++) fn();
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < Math.max(runs, 5) || (i < RUNS_MAX && performance.now() - t0 < RUNS_MS); i++) {
    const s = performance.now();
    fn();
    times.push(performance.now() - s);
  }
  return times;
}

export function runBenchmark(b: Benchmark): BenchResult {
  const fn = b.setup();
  if (fn === null) return { bench: b, times: [], median: NaN, skipped: b.skipReason ?? "skipped" };
  const times = time(fn, b.runs ?? 5, b.warmup ?? 2);
  return { bench: b, times, median: median(times) };
}

function rate(r: BenchResult): string {
  if (r.skipped) return "";
  const { flops, elements } = r.bench;
  if (flops !== undefined) return `${(flops / (r.median * 1e6)).toFixed(2)} GFLOP/s`;
  if (elements !== undefined) return `${((r.median * 1e6) / elements).toFixed(2)} ns/elem`;
  return "";
}

/** Formats results as a Markdown table (name, size, median ms, rate, ratio). */
export function formatTable(results: readonly BenchResult[]): string {
  const byName = new Map(results.map((r) => [r.bench.name, r]));
  const rows = results.map((r) => {
    const base = r.bench.baseline ? byName.get(r.bench.baseline) : undefined;
    const ratio = base && !base.skipped && !r.skipped ? `${(r.median / base.median).toFixed(2)}× ${r.bench.baseline}` : "";
    return [
      r.bench.name,
      r.bench.size,
      r.skipped ? `skipped: ${r.skipped}` : r.median.toFixed(r.median < 10 ? 3 : 1),
      rate(r),
      ratio,
    ];
  });
  const header = ["benchmark", "size", "median ms", "GFLOP/s or ns/elem", "ratio"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}
