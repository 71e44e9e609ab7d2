import { afterEach, describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { compile, compiler, nn, type LogRecord, type Tensor } from "../../src/index.js";

afterEach(() => {
  compiler.reset();
  compiler.resetLogs();
});

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 8);
  fc2 = new nn.Linear(8, 3);
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
  describe(): string {
    return "a two-layer net";
  }
}

function input(): Tensor {
  return k.tensor([[0.1, -0.2, 0.3, 0.4], [1, 2, -1, 0.5]], { dtype: "float32" });
}

describe("compiling modules", () => {
  it("compile(module) returns a wrapper: forward compiled, everything else delegated", () => {
    k.manualSeed(1);
    const model = new Net();
    const eager = model.forward(input()).tolist();
    const wrapped = compile(model);
    expect(wrapped.forward(input()).tolist()).toEqual(eager);
    expect(Object.keys(wrapped.stateDict())).toEqual(Object.keys(model.stateDict()));
    expect(Object.keys(wrapped.stateDict())).toEqual(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    expect(wrapped.describe()).toBe("a two-layer net");
    expect(wrapped.parameters().length).toBe(4);
    wrapped.forward(input());
    expect(compiler.stats()).toMatchObject({ compiles: 1, cacheHits: 1 });
    // the original module is untouched
    expect(model.forward(input()).tolist()).toEqual(eager);
    expect(compiler.stats().cacheHits).toBe(1);
  });

  it("module.compile() compiles forward in place", () => {
    k.manualSeed(2);
    const model = new Net();
    const eager = model.forward(input()).tolist();
    model.compile({ fullgraph: true });
    expect(model.forward(input()).tolist()).toEqual(eager);
    expect(model.forward(input()).tolist()).toEqual(eager);
    expect(compiler.stats()).toMatchObject({ compiles: 1, cacheHits: 1 });
  });

  it("names module parameters in guards and recompile reasons", () => {
    const logs: LogRecord[] = [];
    compiler.setLogs({ guards: true, recompiles: true, handler: (r) => logs.push(r) });
    const model = new Net();
    const f = compile(model, { dynamic: false });
    f.forward(input());
    const guards = logs.find((r) => r.category === "guards")!.message;
    expect(guards).toContain("fc1.weight: float32[8, 4] contiguous");
    expect(guards).toContain("x: float32[2, 4] contiguous");
    f.forward(k.tensor([[1, 2, 3, 4]], { dtype: "float32" }));
    expect(logs.find((r) => r.category === "recompiles")!.message).toContain("input x: size mismatch at dim 0: expected 2, actual 1");
  });

  it("a compiled module used inside a compiled function is traced into one graph", () => {
    const model = compile(new Net());
    const fn = (x: Tensor) => model.forward(x).softmax(-1);
    const e = compiler.explain(fn)(input());
    expect(e.graphCount).toBe(1);
    expect(e.graphBreakCount).toBe(0);
  });
});
