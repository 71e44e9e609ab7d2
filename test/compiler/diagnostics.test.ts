import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import * as k from "../../src/index.js";
import { compile, compiler, type CompilerEvent, type Tensor } from "../../src/index.js";

const f32 = (d: number[]) => k.tensor(d, { dtype: "float32" });
const root = fileURLToPath(new URL("../..", import.meta.url));

afterEach(() => compiler.reset());

describe("diagnostics", () => {
  it("explain() prints a readable summary", () => {
    const e = compiler.explain((x: Tensor) => {
      const y = x.exp();
      compiler.graphBreak();
      return y.neg();
    })(f32([1]));
    const text = e.toString();
    expect(text).toContain("Graph count: 2");
    expect(text).toContain("Graph break count: 1");
    expect(text).toContain("Ops in graph 0: exp");
    expect(text).toContain("explicit-graph-break: compiler.graphBreak() was called");
  });

  it("emits structured events for tools: compiles, runs, breaks", () => {
    const events: CompilerEvent[] = [];
    const remove = compiler.addEventListener((e) => events.push(e));
    try {
      const f = compile(function twoGraphs(x: Tensor) {
        const y = x.mul(2);
        compiler.graphBreak();
        return y.add(1);
      });
      f(f32([1]));
      f(f32([2]));
    } finally {
      remove();
    }
    const kinds = events.map((e) => e.kind);
    expect(kinds.filter((x) => x === "graph-compiled").length).toBe(2);
    expect(kinds.filter((x) => x === "graph-break").length).toBe(2);
    const runs = events.filter((e): e is Extract<CompilerEvent, { kind: "graph-run" }> => e.kind === "graph-run");
    expect(runs.map((r) => r.cacheHit)).toEqual([false, false, true, true]);
    const compiled = events.find((e): e is Extract<CompilerEvent, { kind: "graph-compiled" }> => e.kind === "graph-compiled")!;
    expect(compiled.fn).toBe("twoGraphs");
    expect(compiled.graph.toString()).toContain("mul(x,");
    expect(compiled.guards).toContain("x: float32[1]");
    expect(kinds[0]).toBe("call-start");
  });

  it("KILN_LOGS switches logs on from the environment", () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-logs-"));
    const script = join(dir, "script.ts");
    writeFileSync(
      script,
      `import * as k from ${JSON.stringify(join(root, "src/index.ts"))};\n` +
        `const f = k.compile((x: k.Tensor) => x.add(x.sum().item() as number));\n` +
        `f(k.tensor([1, 2], { dtype: "float32" }));\n`,
    );
    const run = (spec: string) =>
      spawnSync(process.execPath, ["--import", "tsx", script], {
        cwd: root,
        env: { ...process.env, KILN_LOGS: spec },
        encoding: "utf8",
      });
    const on = run("graph_breaks,recompiles");
    expect(on.status).toBe(0);
    expect(on.stderr).toContain("[kiln:graph_breaks]");
    expect(on.stderr).toContain("tensor-item");
    expect(on.stderr).toContain("script.ts:2:");
    const off = run("recompiles");
    expect(off.stderr).not.toContain("[kiln:graph_breaks]");
  });

  it("a compiled async function compiles the code before its first await and stays correct", async () => {
    const fn = async (x: Tensor) => {
      const a = x.mul(2).add(1);
      await Promise.resolve();
      return a.sin();
    };
    const eager = (await fn(f32([0.5, 1]))).tolist();
    const events: CompilerEvent[] = [];
    const remove = compiler.addEventListener((e) => events.push(e));
    const compiled = await compile(fn)(f32([0.5, 1]));
    remove();
    expect(compiled.tolist()).toEqual(eager);
    const graph = events.find((e): e is Extract<CompilerEvent, { kind: "graph-compiled" }> => e.kind === "graph-compiled")!;
    expect(graph.graph.callTargets).toEqual(["mul", "add"]);
  });
});
