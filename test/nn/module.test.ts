import { describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { Tensor } from "../../src/index.js";

const { nn } = k;

class Net extends nn.Module {
  fc1 = new nn.Linear(3, 4);
  act = new nn.ReLU();
  fc2 = new nn.Linear(4, 2);
  scale = new nn.Parameter(k.ones([2]));
  plain = k.zeros([2]); // a plain tensor field: not a parameter or buffer
  constructor() {
    super();
    this.registerBuffer("steps", k.zeros([], { dtype: "int32" }));
    this.registerBuffer("cache", k.zeros([2]), { persistent: false });
  }
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x))).mul(this.scale);
  }
}

describe("nn.Module discovery", () => {
  it("finds parameters, buffers and submodules from fields in order", () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual(["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    expect(net.parameters({ recurse: false }).length).toBe(1);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(["steps", "cache"]);
    expect(net.buffers().length).toBe(2);
    expect(net.namedChildren().map(([n]) => n)).toEqual(["fc1", "act", "fc2"]);
    expect(net.children().length).toBe(3);
    expect(net.namedModules().map(([n]) => n)).toEqual(["", "fc1", "act", "fc2"]);
    expect(net.modules()[0]).toBe(net);
    expect(net.getSubmodule("fc2")).toBe(net.fc2);
    expect(() => net.getSubmodule("nope")).toThrow("Net has no attribute `nope`");
  });

  it("builds stateDict keys like PyTorch (parameters, persistent buffers, children)", () => {
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual(["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    const sd = net.stateDict();
    // detached aliases sharing storage
    expect(sd["fc1.weight"]!.requiresGrad).toBe(false);
    expect(sd["fc1.weight"]!._storage).toBe(net.fc1.weight._storage);
    expect(net.stateDict({ keepVars: true })["fc1.weight"]).toBe(net.fc1.weight);
    expect(Object.keys(net.stateDict({ prefix: "model." }))[0]).toBe("model.scale");
  });

  it("removes duplicates of shared modules and parameters", () => {
    class Shared extends nn.Module {
      a = new nn.Linear(2, 2);
      b = this.a;
    }
    const m = new Shared();
    expect(m.parameters().length).toBe(2);
    expect(m.namedModules().map(([n]) => n)).toEqual(["", "a"]);
    expect(Object.keys(m.stateDict())).toEqual(["a.weight", "a.bias", "b.weight", "b.bias"]);
  });

  it("skips null parameters and buffers", () => {
    const lin = new nn.Linear(2, 3, { bias: false });
    expect(lin.bias).toBeNull();
    expect(Object.keys(lin.stateDict())).toEqual(["weight"]);
    const bn = new nn.BatchNorm1d(3, { trackRunningStats: false });
    expect(bn.buffers()).toEqual([]);
  });

  it("train/eval set training recursively", () => {
    const net = new Net();
    expect(net.training).toBe(true);
    expect(net.eval()).toBe(net);
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.fc1.training).toBe(true);
    net.train(false);
    expect(net.fc2.training).toBe(false);
  });

  it("zeroGrad sets grads to null or zero", () => {
    const net = new Net();
    net.forward(k.randn([5, 3])).sum().backward();
    expect(net.fc1.weight.grad).not.toBeNull();
    net.zeroGrad({ setToNone: false });
    expect(net.fc1.weight.grad!.tolist()).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it("to(dtype) casts floating parameters in place and leaves int buffers", () => {
    const net = new Net();
    const w = net.fc1.weight;
    const before = w.tolist() as number[][];
    net.to("float64");
    expect(net.fc1.weight).toBe(w);
    expect(w.dtype).toBe("float64");
    expect(w.requiresGrad).toBe(true);
    expect((w.tolist() as number[][])[0]![0]).toBe(before[0]![0]);
    expect((net as unknown as { steps: Tensor }).steps.dtype).toBe("int32");
    expect(net.forward(k.randn([2, 3], { dtype: "float64" })).dtype).toBe("float64");
    net.float();
    expect(w.dtype).toBe("float32");
  });

  it("apply visits children first, then the module", () => {
    const net = new Net();
    const seen: string[] = [];
    net.apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(["Linear", "ReLU", "Linear", "Net"]);
  });

  it("requiresGrad_ toggles every parameter", () => {
    const net = new Net();
    net.requiresGrad_(false);
    expect(net.parameters().every((p) => !p.requiresGrad)).toBe(true);
  });

  it("module without forward throws PyTorch's message", () => {
    expect(() => new nn.Module().forward()).toThrow('Module [Module] is missing the required "forward" function');
  });
});

describe("loadStateDict", () => {
  it("round-trips values between two models", () => {
    k.manualSeed(1);
    const a = new Net();
    const b = new Net();
    expect(a.fc1.weight.tolist()).not.toEqual(b.fc1.weight.tolist());
    const res = b.loadStateDict(a.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.fc1.weight.tolist()).toEqual(a.fc1.weight.tolist());
    expect(b.fc2.bias!.tolist()).toEqual(a.fc2.bias!.tolist());
    // copies, not aliases
    expect(b.fc1.weight._storage).not.toBe(a.fc1.weight._storage);
    // accepts a Map
    b.loadStateDict(new Map(Object.entries(a.stateDict())));
  });

  it("reports missing and unexpected keys like PyTorch", () => {
    const net = new Net();
    const sd = net.stateDict();
    delete sd["fc1.bias"];
    delete sd["scale"];
    sd["extra.weight"] = k.zeros([1]);
    expect(() => net.loadStateDict(sd)).toThrow(
      'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "scale", "fc1.bias". \n\tUnexpected key(s) in state_dict: "extra.weight". ',
    );
    const res = net.loadStateDict(sd, { strict: false });
    expect(res.missingKeys).toEqual(["scale", "fc1.bias"]);
    expect(res.unexpectedKeys).toEqual(["extra.weight"]);
  });

  it("reports shape mismatches even when not strict", () => {
    const lin = new nn.Linear(3, 2);
    expect(() => lin.loadStateDict({ weight: k.zeros([3, 3]), bias: k.zeros([2]) }, { strict: false })).toThrow(
      "Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a param with shape [3, 3] from checkpoint, the shape in current model is [2, 3].",
    );
    // nothing was copied
    expect(lin.bias!.tolist()).not.toEqual([0, 0]);
  });

  it("casts values to the parameter dtype and keeps requiresGrad", () => {
    const lin = new nn.Linear(2, 1);
    lin.loadStateDict({ weight: k.tensor([[1, 2]], { dtype: "float64" }), bias: k.tensor([0.5], { dtype: "float64" }) });
    expect(lin.weight.dtype).toBe("float32");
    expect(lin.weight.tolist()).toEqual([[1, 2]]);
    expect(lin.weight.requiresGrad).toBe(true);
    expect(lin.weight.isLeaf).toBe(true);
  });
});

describe("forward hooks", () => {
  it("runs pre-hooks and hooks around forward, with replacement and removal", () => {
    const lin = new nn.Linear(2, 2);
    const calls: string[] = [];
    const h1 = lin.registerForwardPreHook((_m, args) => {
      calls.push("pre");
      return [(args[0] as Tensor).mul(0)];
    });
    const h2 = lin.registerForwardHook((m, _args, out) => {
      calls.push("post");
      expect(m).toBe(lin);
      return (out as Tensor).add(1);
    });
    const y = lin.forward(k.ones([1, 2]));
    expect(calls).toEqual(["pre", "post"]);
    const b = lin.bias!.tolist() as number[];
    (y.tolist() as number[][])[0]!.forEach((v, i) => expect(v).toBeCloseTo(b[i]! + 1, 6));
    h1.remove();
    h2.remove();
    calls.length = 0;
    const z = lin.forward(k.zeros([1, 2]));
    expect(calls).toEqual([]);
    expect(z.tolist()).toEqual([b]);
  });

  it("hooks on submodules run when the parent's forward calls them", () => {
    const net = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    const shapes: number[][] = [];
    net.at(0).registerForwardHook((_m, _a, out) => void shapes.push((out as Tensor).shape.slice()));
    net.forward(k.ones([4, 2]));
    expect(shapes).toEqual([[4, 3]]);
  });

  it("prepend puts a hook first", () => {
    const m = new nn.Identity();
    const order: number[] = [];
    m.registerForwardHook(() => void order.push(1));
    m.registerForwardHook(() => void order.push(0), { prepend: true });
    m.forward(k.ones([1]));
    expect(order).toEqual([0, 1]);
  });
});

describe("containers", () => {
  it("Sequential runs in order and keys entries 0, 1, ...", () => {
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    expect(Object.keys(seq.stateDict())).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect(seq.length).toBe(3);
    expect(seq.at(-1)).toBeInstanceOf(nn.Linear);
    expect(seq.forward(k.ones([5, 2])).shape).toEqual([5, 1]);
    expect([...seq].length).toBe(3);
    const named = new nn.Sequential({ enc: new nn.Linear(2, 2), act: new nn.Tanh() });
    expect(Object.keys(named.stateDict())).toEqual(["enc.weight", "enc.bias"]);
    expect(named.getSubmodule("enc")).toBeInstanceOf(nn.Linear);
    seq.append(new nn.Sigmoid());
    expect(seq.length).toBe(4);
    expect(seq.slice(0, 2).length).toBe(2);
  });

  it("ModuleList registers modules and supports list operations", () => {
    const list = new nn.ModuleList([new nn.Linear(1, 1), new nn.Linear(1, 2)]);
    list.append(new nn.Linear(2, 3));
    expect(list.length).toBe(3);
    expect(Object.keys(list.stateDict())).toEqual(["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"]);
    list.insert(0, new nn.ReLU());
    expect(Object.keys(list.stateDict())[0]).toBe("1.weight");
    expect(list.pop(0)).toBeInstanceOf(nn.ReLU);
    expect(list.at(2)).toBeInstanceOf(nn.Linear);
    class Stack extends nn.Module {
      layers = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2)]);
      override forward(x: Tensor) {
        for (const l of this.layers) x = l.forward(x);
        return x;
      }
    }
    const s = new Stack();
    expect(Object.keys(s.stateDict())).toEqual(["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]);
    expect(s.forward(k.ones([1, 2])).shape).toEqual([1, 2]);
    expect(() => list.at(10)).toThrow();
  });

  it("ModuleDict keeps insertion order, even for numeric-looking keys", () => {
    const d = new nn.ModuleDict({ b: new nn.Linear(1, 1), a: new nn.Linear(1, 1) });
    d.set("10", new nn.Linear(1, 1));
    d.set("2", new nn.Linear(1, 1));
    expect(d.keys()).toEqual(["b", "a", "10", "2"]);
    expect(Object.keys(d.stateDict()).filter((x) => x.endsWith("weight"))).toEqual(["b.weight", "a.weight", "10.weight", "2.weight"]);
    expect(d.get("a")).toBeInstanceOf(nn.Linear);
    expect(d.has("c")).toBe(false);
    d.delete("b");
    expect(d.length).toBe(3);
  });
});

describe("nn.Parameter", () => {
  it("is a leaf Tensor that requires grad and shares storage", () => {
    const t = k.tensor([1.5, 2.5]);
    const p = new nn.Parameter(t);
    expect(p).toBeInstanceOf(Tensor);
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
    expect(p._storage).toBe(t._storage);
    expect(new nn.Parameter(t, false).requiresGrad).toBe(false);
    expect(p.toString()).toBe("Parameter containing:\ntensor([1.5000, 2.5000], requiresGrad=true)");
    expect(() => new nn.Parameter(k.tensor([1, 2]))).toThrow("only Tensors of floating point dtype can require gradients");
  });

  it("printing a model shows its structure", () => {
    const m = new nn.Sequential(new nn.Linear(2, 3, { bias: false }), new nn.Dropout(0.2));
    expect(m.toString()).toBe(
      "Sequential(\n  (0): Linear(inFeatures=2, outFeatures=3, bias=false)\n  (1): Dropout(p=0.2, inplace=false)\n)",
    );
  });
});
