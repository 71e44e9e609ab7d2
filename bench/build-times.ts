// `npx tsx bench/build-times.ts`: what the native target's compiler costs. Each row runs a fresh
// process with an empty disk cache, then a second process on the cache the first one filled, and
// times, inside the process: loading the runtime (gemm and thread pool; built on first use), and
// the first call of a compiled MLP forward and of a transformer block forward (tracing, scheduling,
// building or loading the graph's library, one run), then the second call (no compile, but cold: V8
// has not optimised the code yet and weights are packed on it). Median of 3 rounds.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, "build-times-child.ts");
type Times = { runtime: number; mlp: number; mlpHit: number; transformer: number; transformerHit: number };

function run(cacheDir: string): Times {
  const r = spawnSync(process.execPath, ["--import", "tsx", child], {
    encoding: "utf8",
    env: { ...process.env, KILN_CACHE_DIR: cacheDir },
  });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cold: Times[] = [];
const warm: Times[] = [];
for (let round = 0; round < 3; round++) {
  const dir = mkdtempSync(join(tmpdir(), "kiln-build-times-"));
  try {
    cold.push(run(dir));
    warm.push(run(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const rows: [string, keyof Times][] = [
  ["runtime (gemm, thread pool)", "runtime"],
  ["MLP forward, first call", "mlp"],
  ["MLP forward, second call", "mlpHit"],
  ["transformer block forward, first call", "transformer"],
  ["transformer block forward, second call", "transformerHit"],
];
console.log("| step (ms, median of 3) | empty disk cache (compiles) | warm disk cache (loads) |");
console.log("| --- | --- | --- |");
for (const [name, key] of rows) console.log(`| ${name} | ${median(cold.map((t) => t[key])).toFixed(1)} | ${median(warm.map((t) => t[key])).toFixed(1)} |`);
