// The `kiln` command line, spawned as a user would run it (node src/cli/bin.mjs, the package's
// "bin"), on the scripts in examples/ and on small scripts written here.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "node-html-parser";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = join(root, "src/cli/bin.mjs");
const dir = mkdtempSync(join(tmpdir(), "kiln-cli-"));

function kiln(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? root,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, KILN_LOGS: "", ...options.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lineOf(file: string, text: string): number {
  return readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(text)) + 1;
}

const report = (name: string) => join(dir, name);

describe("kiln run", () => {
  it("runs a model with no graph breaks and writes a report without breaks", () => {
    const out = report("no-breaks.html");
    const r = kiln(["run", "examples/no-breaks.ts", "--report", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/test accuracy: \d+\.\d%/);
    expect(r.stderr).toMatch(/kiln: 0 graph breaks at 0 locations/);
    expect(r.stderr).toContain(`report written to ${out}`);
    const html = parse(readFileSync(out, "utf8"));
    expect(html.querySelector('section.fn[data-fn="step"]')).not.toBeNull();
    expect(html.querySelectorAll("article.break")).toHaveLength(0);
    expect(html.querySelectorAll("details.graph pre.graph-code").length).toBeGreaterThan(0);
  });

  it("reports data-dependent breaks with their source lines", () => {
    const out = report("breaks.html");
    const script = join(root, "examples/data-dependent-breaks.ts");
    const r = kiln(["run", "examples/data-dependent-breaks.ts", "--report", out]);
    expect(r.status, r.stderr).toBe(0);
    // The same break on each of the 3 calls is printed once and counted 3 times.
    expect(r.stderr.split("[kiln:graph_breaks] clippedUpdate: Graph break (tensor-item)")).toHaveLength(2);
    expect(r.stderr).toMatch(/kiln: 5 graph breaks at 3 locations/);
    const html = parse(readFileSync(out, "utf8"));
    const item = html.querySelector('section.fn[data-fn="clippedUpdate"] article.break[data-type="tensor-item"]')!;
    expect(item.querySelector(".reason")!.text).toMatch(/item\(\) needs the value/);
    expect(item.text).toContain("3×");
    const snippet = item.querySelector("table.snippet")!;
    expect(snippet.getAttribute("data-file")).toBe(script);
    expect(Number(snippet.getAttribute("data-line"))).toBe(lineOf(script, "norm.item()"));
    expect(snippet.querySelector("tr.hl td.src")!.text).toContain("norm.item()");
    expect(html.querySelector('section.fn[data-fn="noisyLayer"] article.break[data-type="tensor-print"]')).not.toBeNull();
    expect(html.querySelector('section.fn[data-fn="positives"] article.break[data-type="data-dependent-shape"]')).not.toBeNull();
    expect(html.querySelectorAll('section.fn[data-fn="clippedUpdateNoBreak"] article.break')).toHaveLength(0);
  });

  it("reports the recompile limit", () => {
    const out = report("recompiles.html");
    const r = kiln(["run", "examples/recompile-limit.ts", "--report", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[kiln:recompiles\] Recompiling function 'scoreRows' \(graph 0\): input x: size mismatch at dim 0/);
    expect(r.stderr).toContain("hit compiler.config.recompileLimit (8)");
    const html = parse(readFileSync(out, "utf8"));
    const fn = html.querySelector('section.fn[data-fn="scoreRows"]')!;
    expect(fn.querySelectorAll("table.recompiles tr.recompile").length).toBeGreaterThanOrEqual(7);
    expect(fn.querySelectorAll("table.fallbacks tr.fallback").length).toBeGreaterThan(0);
    expect(fn.querySelector("table.fallbacks")!.text).toMatch(/recompile limit reached/);
  });

  it("shares one kiln with a script that imports the package name, and passes arguments after --", () => {
    // A user's project: an ES module package outside kiln's folder.
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "user-project", type: "module" }));
    const script = join(dir, "bare-import.ts");
    writeFileSync(
      script,
      [
        'import { compile, ones, type Tensor } from "kiln";',
        "const f = compile(function halve(x: Tensor) {",
        "  const s = x.sum();",
        "  console.log('sum', s.item()); // BREAK-HERE",
        "  return x.div(2);",
        "});",
        "f(ones([4]));",
        "console.log('args', JSON.stringify(process.argv.slice(2)));",
      ].join("\n"),
    );
    const out = report("bare.html");
    const r = kiln(["run", script, "--logs", "none", "--report", out, "--", "--steps", "3"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('args ["--steps","3"]');
    expect(r.stderr).not.toContain("[kiln:graph_breaks]");
    const html = parse(readFileSync(out, "utf8"));
    const hl = html.querySelector('section.fn[data-fn="halve"] article.break[data-type="tensor-item"] table.snippet tr.hl')!;
    expect(hl.querySelector("td.src")!.text).toContain("BREAK-HERE");
  });

  it("runs a .mts script anywhere and explains what to do with a CommonJS one", () => {
    const cjsDir = mkdtempSync(join(tmpdir(), "kiln-cli-cjs-"));
    const body = 'import { compile, ones } from "kiln";\nconsole.log("out", compile((x) => x.add(1).sum())(ones([3])).item());\n';
    writeFileSync(join(cjsDir, "script.mts"), body);
    const ok = kiln(["run", join(cjsDir, "script.mts"), "--no-report"]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("out 6");
    expect(ok.stderr).toMatch(/kiln: 1 compiled function, 1 calls/);
    writeFileSync(join(cjsDir, "script.ts"), body);
    const cjs = kiln(["run", join(cjsDir, "script.ts"), "--no-report"]);
    if (cjs.status !== 0) expect(cjs.stderr).toContain("is loaded as CommonJS. Scripts for kiln are ES modules");
  });

  it("writes the report and exits with 1 when the script throws", () => {
    const script = join(dir, "throws.mjs");
    writeFileSync(script, 'import { compile, ones } from "kiln";\ncompile((x) => x.add(1))(ones([2]));\nthrow new Error("boom from the script");\n');
    const out = report("throws.html");
    const r = kiln(["run", script, "--report", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("boom from the script");
    expect(existsSync(out)).toBe(true);
    expect(parse(readFileSync(out, "utf8")).querySelector("#error pre")!.text).toContain("boom from the script");
  });

  it("rejects unknown log categories and missing scripts", () => {
    const bad = kiln(["run", "examples/no-breaks.ts", "--logs", "graph_breaks,nonsense"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('unknown log category "nonsense"');
    const missing = kiln(["run", "examples/does-not-exist.ts", "--no-report"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("no such file");
  });
});

describe("kiln explain", () => {
  it("explains an export given as { fn, args }", () => {
    const r = kiln(["explain", "examples/data-dependent-breaks.ts", "--fn", "clippedUpdateExample"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("Graph count: 2");
    expect(r.stdout).toContain("Graph break count: 1");
    expect(r.stdout).toMatch(/tensor-item: item\(\) needs the value/);
    expect(r.stdout).toContain("data-dependent-breaks.ts:16:");
  });

  it("explains a function export with --args and prints graphs and JSON", () => {
    const r = kiln(["explain", "examples/data-dependent-breaks.ts", "--fn", "clippedUpdateNoBreak", "--args", '[{"randn":[3,3]}, [[1,2,3],[4,5,6],[7,8,9]]]', "--graphs"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("Graph break count: 0");
    expect(r.stdout).toMatch(/--- graph 0 ---\ngraph\(/);
    const j = kiln(["explain", "examples/data-dependent-breaks.ts", "--fn", "positives", "--args", '[{"rand":[4,4]}]', "--json"]);
    expect(j.status, j.stderr).toBe(0);
    const parsed = JSON.parse(j.stdout) as { graphBreakCount: number; breakReasons: { type: string }[] };
    expect(parsed.graphBreakCount).toBe(1);
    expect(parsed.breakReasons[0]!.type).toBe("data-dependent-shape");
  });

  it("names the exports when the function is not found", () => {
    const r = kiln(["explain", "examples/no-breaks.ts", "--fn", "nope"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('has no export named "nope"; its function exports: main, trainStep');
  });
});

describe("kiln bench and help", () => {
  it("prints the benchmark table", () => {
    const r = kiln(["bench", "no-benchmark-has-this-name"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| benchmark\s+\| size/);
  });

  it("keeps benchmarks matching any filter and drops those matching a !filter", () => {
    const r = kiln(["bench", "add ", "!broadcast"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("| add same shape");
    expect(r.stdout).not.toContain("add broadcast");
  });

  it("lists its commands", () => {
    const r = kiln(["--help"]);
    expect(r.status).toBe(0);
    for (const c of ["run", "explain", "bench", "demo"]) expect(r.stdout).toContain(`${c} `);
  });
});

describe("kiln demo (npm start)", () => {
  it("trains on MNIST, evaluates, compares compiled with eager and writes a report", () => {
    const out = report("demo.html");
    const r = kiln(["demo", "--steps", "15", "--hidden", "32", "--train-size", "1000", "--test-size", "200", "--compare-steps", "3", "--report", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/compiler\.explain\(trainStep\): 1 graph, 0 graph breaks, \d+ ops/);
    expect(r.stdout).toMatch(/test accuracy: \d+\.\d\d% \(\d+\/200 held-out digits\)/);
    expect(r.stdout).toMatch(/compiled vs eager\s+training step median of 3: eager [\d.]+ m?s, compiled [\d.]+ m?s/);
    expect(r.stdout).toMatch(/compile\s+first step/);
    expect(r.stderr).toMatch(/train \|.*\| 15\/15 steps \| loss [\d.]+ \| \d+ img\/s/);
    const html = parse(readFileSync(out, "utf8"));
    expect(html.querySelector('section.fn[data-fn="trainStep"]')).not.toBeNull();
    expect(html.querySelector("table.notes")!.text).toContain("test accuracy");
  });
});
