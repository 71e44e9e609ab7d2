// `npm run bench [filter ...]`: runs the registered benchmarks (median of at least 5 runs after
// warm-up) and prints a Markdown table. Filter arguments keep benchmarks whose name contains any
// of them; an argument starting with "!" drops those whose name contains the rest.
import { cpus } from "node:os";
import { formatTable, registered, runBenchmark, type BenchResult } from "./harness.js";
import "./benchmarks.js";
import "./compiler.js";
import "./native-gemm.js";
import "./peers/index.js";

const keep = process.argv.slice(2).filter((f) => !f.startsWith("!"));
const drop = process.argv.slice(2).filter((f) => f.startsWith("!")).map((f) => f.slice(1));
const results: BenchResult[] = [];
for (const b of registered()) {
  if (keep.length > 0 && !keep.some((f) => b.name.includes(f))) continue;
  if (drop.some((f) => b.name.includes(f))) continue;
  const r = runBenchmark(b);
  results.push(r);
  process.stderr.write(`${b.name}: ${r.skipped ? `skipped (${r.skipped})` : `${r.median.toFixed(2)} ms`}\n`);
}
console.log(`\nnode ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"})\n`);
console.log(formatTable(results));
for (const r of results) if (r.skipped) console.log(`\nnote: ${r.bench.name} skipped: ${r.skipped}`);
