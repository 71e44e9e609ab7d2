// A function that hits the recompile limit: compiled with `dynamic: false`, it is called with a
// different batch size every time, so every call needs a new graph. After
// compiler.config.recompileLimit (8) compiles, kiln warns and runs that graph eagerly from then on
// (results stay correct). With the default `dynamic: undefined` the second size would make the
// batch dimension dynamic and one more compile would cover every size.
//
//   kiln run examples/recompile-limit.ts --report recompiles.html
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as kiln from "../src/index.js";
import { compile, compiler, type Tensor } from "../src/index.js";

function scoreRows(x: Tensor, w: Tensor): Tensor {
  return x.matmul(w).tanh().sum(1).softmax(0);
}

export const scoreRowsExample = { fn: scoreRows, args: () => [kiln.randn([3, 8]), kiln.randn([8, 4])] };

export function main(calls = 12): void {
  kiln.manualSeed(0);
  const w = kiln.randn([8, 4]);
  const specialised = compile(scoreRows, { dynamic: false });
  for (let batch = 1; batch <= calls; batch++) specialised(kiln.randn([batch, 8]), w);
  console.log("dynamic: false   ", JSON.stringify(compiler.stats()));

  compiler.reset();
  const automatic = compile(scoreRows);
  for (let batch = 1; batch <= calls; batch++) automatic(kiln.randn([batch, 8]), w);
  console.log("dynamic: undefined", JSON.stringify(compiler.stats()));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
