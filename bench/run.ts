// `npm run bench [filter]`: runs the registered benchmarks (median of at least 5 runs after
// warm-up) and prints a Markdown table. A filter argument keeps benchmarks whose name contains it.
import { cpus } from "node:os";
import { formatTable, registered, runBenchmark, type BenchResult } from "./harness.js";
import "./benchmarks.js";
import "./compiler.js";
import "./native-gemm.js";
import "./peers/index.js";

const filter = process.argv[2];
const results: BenchResult[] = [];
for (const b of registered()) {
  if (filter && !b.name.includes(filter)) continue;
  const r = runBenchmark(b);
  results.push(r);
  process.stderr.write(`${b.name}: ${r.skipped ? `skipped (${r.skipped})` : `${r.median.toFixed(2)} ms`}\n`);
}
console.log(`\nnode ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"})\n`);
console.log(formatTable(results));
for (const r of results) if (r.skipped) console.log(`\nnote: ${r.bench.name} skipped: ${r.skipped}`);
