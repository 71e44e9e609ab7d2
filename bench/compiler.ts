// The price of capture by execution: a compiled function re-runs its JavaScript and re-records
// its graph on every call. These rows compare one call of an N-op function on 1-element tensors,
// eager and compiled (a cache hit), side by side; ns/elem is nanoseconds per recorded op.
import * as k from "../src/index.js";
import { compile, type Tensor } from "../src/index.js";
import { register } from "./harness.js";

function chain(n: number): (x: Tensor) => Tensor {
  return (x: Tensor) => {
    let y = x;
    for (let i = 0; i < n; i++) y = i % 3 === 0 ? y.add(1) : i % 3 === 1 ? y.mul(y) : y.tanh();
    return y;
  };
}

for (const n of [10, 100, 1000]) {
  const calls = Math.max(5, Math.round(20000 / n));
  const make = (compiled: boolean) => () => {
    const f = compiled ? compile(chain(n)) : chain(n);
    const x = k.tensor([0.5], { dtype: "float32" });
    f(x);
    return () => {
      for (let i = 0; i < calls; i++) f(x);
    };
  };
  register({ name: `${n}-op function, eager`, size: `${calls} calls, 1 element`, setup: make(false), elements: n * calls, runs: 7 });
  register({
    name: `${n}-op function, compiled (cache hit)`,
    size: `${calls} calls, 1 element`,
    setup: make(true),
    elements: n * calls,
    runs: 7,
    baseline: `${n}-op function, eager`,
  });
}
