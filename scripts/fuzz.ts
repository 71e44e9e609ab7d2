// Longer compiler fuzz run: `npx tsx scripts/fuzz.ts [count] [firstSeed]`.
import { compile, compiler } from "../src/index.js";
import { compareRuns, generate, makeInputs, run } from "../test/compiler/fuzz-programs.js";

const count = Number(process.argv[2] ?? 2000);
const first = Number(process.argv[3] ?? 1000);
const quiet = console.log;
console.log = () => {};
let failures = 0;
let breaks = 0;
const start = performance.now();
for (let seed = first; seed < first + count; seed++) {
  const p = generate(seed, 8 + (seed % 17));
  const eager = run(p, makeInputs(p, seed));
  const before = compiler.stats().graphBreaks;
  const compiled = compile((...xs: ReturnType<typeof makeInputs>) => run(p, xs))(...makeInputs(p, seed));
  breaks += compiler.stats().graphBreaks - before;
  const diff = compareRuns(eager, compiled);
  if (diff) {
    failures++;
    process.stderr.write(`seed ${seed}: ${diff}\n${JSON.stringify(p.steps)}\n`);
  }
}
console.log = quiet;
console.log(`${count} programs (seeds ${first}..${first + count - 1}), ${breaks} graph breaks, ${failures} differences, ${((performance.now() - start) / 1000).toFixed(1)} s`);
process.exitCode = failures ? 1 : 0;
