// Graph breaks that come from data: branching on `item()`, printing a tensor inside a compiled
// function, and an op whose output shape depends on values (`nonzero`). Each one splits the
// function into several graphs; the report shows where, why, and how to rewrite the code.
//
//   kiln run examples/data-dependent-breaks.ts --report breaks.html
//   kiln explain examples/data-dependent-breaks.ts --fn clippedUpdate
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as kiln from "../src/index.js";
import { compile, compiler, type Tensor } from "../src/index.js";

/** Scales `g` down when its norm is large: the branch on a number read from a tensor breaks the graph. */
function clippedUpdate(w: Tensor, g: Tensor): Tensor {
  const norm = g.square().sum().sqrt();
  let update = g;
  if ((norm.item() as number) > 1) {
    update = g.div(norm);
  }
  return w.sub(update.mul(0.1));
}

/** Prints a tensor inside the compiled function: another break. */
function noisyLayer(x: Tensor, w: Tensor): Tensor {
  const h = x.matmul(w).relu();
  console.log("activations mean:", h.mean().toString());
  return h.sum(1);
}

/** `nonzero` has an output shape that depends on the values. */
function positives(x: Tensor): Tensor {
  const idx = kiln.nonzero(x.gt(0.5));
  return idx.to("float32").sum();
}

/** The same as clippedUpdate without a break: keep the value as a tensor and use `where`. */
function clippedUpdateNoBreak(w: Tensor, g: Tensor): Tensor {
  const norm = g.square().sum().sqrt();
  const update = kiln.where(norm.gt(1), g.div(norm), g);
  return w.sub(update.mul(0.1));
}

export const clippedUpdateExample = { fn: clippedUpdate, args: () => [kiln.randn([4, 4]), kiln.randn([4, 4])] };
export { clippedUpdate, noisyLayer, positives, clippedUpdateNoBreak };

export function main(): void {
  kiln.manualSeed(0);
  const update = compile(clippedUpdate);
  const layer = compile(noisyLayer);
  const pos = compile(positives);
  const rewritten = compile(clippedUpdateNoBreak);
  const w = kiln.randn([4, 4]);
  for (let i = 0; i < 3; i++) {
    const g = kiln.randn([4, 4]).mul(i + 0.5);
    update(w, g);
    rewritten(w, g);
  }
  layer(kiln.randn([2, 4]), kiln.randn([4, 3]));
  console.log("positives:", pos(kiln.rand([3, 3])).item());
  console.log("compiler.stats():", JSON.stringify(compiler.stats()));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
