// The compile report: events of a real compiled run go through the recorder into one
// self-contained HTML file that shows the graphs, the breaks with their source lines, the
// recompiles and a timeline. Checked by parsing the HTML (node-html-parser) and, where
// /usr/bin/chromium exists, by rendering it in headless Chromium.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "node-html-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as kiln from "../../src/index.js";
import { compile, compiler, type Tensor } from "../../src/index.js";
import { readSnippets } from "../../src/cli/snippets.js";
import { breakLocations, parseLocation, renderReport, ReportRecorder, snippetFromText, type ReportData } from "../../src/report/index.js";
import { lineOf } from "../helpers/source-lines.js";

const thisFile = fileURLToPath(import.meta.url);

function branchy(x: Tensor): Tensor {
  const s = x.sum();
  if ((s.item() as number) > 0) return x.mul(2); // MARK-ITEM
  return x.neg();
}

function specialised(x: Tensor): Tensor {
  return x.exp().sum(0);
}

let data: ReportData;
let html: string;

beforeAll(() => {
  compiler.reset();
  const recorder = new ReportRecorder({ title: "test report", command: "kiln run test" });
  const remove = compiler.addEventListener(recorder.onEvent);
  compiler.setLogs({ recompiles: true, handler: recorder.onLog });
  try {
    const f = compile(branchy);
    f(kiln.ones([3]));
    f(kiln.ones([3]));
    const g = compile(specialised, { dynamic: false });
    for (let n = 1; n <= 3; n++) g(kiln.ones([n, 2]));
  } finally {
    remove();
    compiler.resetLogs();
  }
  const draft = recorder.finish({ stats: compiler.stats() as unknown as Record<string, number>, notes: [["note <b>", "value & more"]] });
  data = { ...draft, snippets: readSnippets(breakLocations(draft)) };
  html = renderReport(data);
});

afterAll(() => compiler.reset());

describe("report data", () => {
  it("records calls, graphs, breaks and recompiles per function", () => {
    const b = data.functions.find((f) => f.name === "branchy")!;
    expect(b.calls).toBe(2);
    expect(b.breaks).toHaveLength(1);
    expect(b.breaks[0]!.count).toBe(2);
    expect(b.breaks[0]!.type).toBe("tensor-item");
    expect(parseLocation(b.breaks[0]!.userStack[0]!)).toMatchObject({ file: thisFile, line: lineOf(import.meta.url, "MARK-ITEM") });
    expect(b.graphs.map((g) => g.position).sort()).toEqual([0, 1]);
    expect(b.positions.find((p) => p.position === 0)).toMatchObject({ runs: 2, cacheHits: 1 });
    const s = data.functions.find((f) => f.name === "specialised")!;
    expect(s.graphs).toHaveLength(3);
    expect(s.recompiles).toHaveLength(2);
    expect(s.recompiles[0]!.reason).toMatch(/size mismatch at dim 0/);
    expect(data.logs.some((l) => l.category === "recompiles")).toBe(true);
    expect(data.timeline.some((e) => e.kind === "break")).toBe(true);
  });

  it("cuts source snippets around a location", () => {
    const s = snippetFromText("a\nb\nc\nd\ne\nf\ng\nh", "/x.ts:5:2", 2)!;
    expect(s).toEqual({ file: "/x.ts", line: 5, column: 2, startLine: 3, lines: ["c", "d", "e", "f", "g"] });
    expect(snippetFromText("a", "/x.ts:9:1")).toBeNull();
    expect(parseLocation("C:/a b/x.ts:3:4")).toEqual({ file: "C:/a b/x.ts", line: 3, column: 4 });
  });

  it("keeps the timeline bounded", () => {
    const r = new ReportRecorder({ maxTimelineEvents: 2, now: () => 0 });
    for (let i = 0; i < 5; i++) r.onEvent({ kind: "call-start", fn: "f", time: i }), r.onEvent({ kind: "call-end", fn: "f", time: i + 0.5 });
    const d = r.finish();
    expect(d.timeline).toHaveLength(2);
    expect(d.timelineDropped).toBe(3);
    expect(d.functions[0]!.calls).toBe(5);
  });
});

describe("report HTML", () => {
  it("is one self-contained document", () => {
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    const root = parse(html);
    expect(root.querySelector("html")!.getAttribute("data-kiln-report")).toBe("1");
    expect(root.querySelectorAll("style")).toHaveLength(1);
    for (const s of root.querySelectorAll("script")) expect(s.getAttribute("src")).toBeUndefined();
    expect(root.querySelectorAll("link")).toHaveLength(0);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("shows a known break with its type, reason, hints and highlighted source line", () => {
    const root = parse(html);
    const section = root.querySelector('section.fn[data-fn="branchy"]')!;
    expect(section).not.toBeNull();
    const br = section.querySelector('article.break[data-type="tensor-item"]')!;
    expect(br).not.toBeNull();
    expect(br.querySelector(".reason")!.text).toMatch(/item\(\) needs the value/);
    expect(br.querySelectorAll(".hints li").length).toBeGreaterThan(0);
    expect(br.text).toContain("2×");
    const line = lineOf(import.meta.url, "MARK-ITEM");
    const snippet = br.querySelector("table.snippet")!;
    expect(snippet.getAttribute("data-file")).toBe(thisFile);
    expect(snippet.getAttribute("data-line")).toBe(String(line));
    const hl = snippet.querySelector("tr.hl")!;
    expect(hl.querySelector("td.ln")!.text).toBe(String(line));
    expect(hl.querySelector("td.src")!.text).toContain("MARK-ITEM");
    expect(snippet.querySelectorAll("tr").length).toBe(7);
  });

  it("shows every graph with its ops and code, and every recompile with its reason", () => {
    const root = parse(html);
    const b = root.querySelector('section.fn[data-fn="branchy"]')!;
    const graphs = b.querySelectorAll("details.graph");
    expect(graphs).toHaveLength(2);
    expect(b.querySelector('details.graph[data-position="0"] pre.graph-code')!.text).toMatch(/sum\(/);
    const s = root.querySelector('section.fn[data-fn="specialised"]')!;
    expect(s.querySelectorAll("details.graph")).toHaveLength(3);
    const rows = s.querySelectorAll("table.recompiles tr.recompile");
    expect(rows).toHaveLength(2);
    expect(rows[0]!.text).toMatch(/size mismatch at dim 0: expected 1, actual 2/);
    expect(s.querySelectorAll(".recompile-reason")).toHaveLength(2);
    expect(s.querySelector("pre.guards")!.text).toMatch(/float32\[1, 2\]/);
    // Generated code is shown exactly when the backend provided it.
    const withCode = data.functions.flatMap((f) => f.graphs).filter((g) => g.generatedCode !== undefined).length;
    expect(root.querySelectorAll("pre.generated-code")).toHaveLength(withCode);
  });

  it("shows the backend's generated code", () => {
    const r = new ReportRecorder({ now: () => 0 });
    const remove = compiler.addEventListener(r.onEvent);
    try {
      compile((x: Tensor) => x.sin().add(1), { backend: (graph, inputs) => Object.assign(compiler.backends.eager(graph, inputs), { code: "/* CODE <MARK> */" }) })(kiln.ones([2]));
    } finally {
      remove();
    }
    const root = parse(renderReport(r.finish()));
    expect(root.querySelector("pre.generated-code")!.text).toBe("/* CODE <MARK> */");
  });

  it("has a summary, a timeline and the logs", () => {
    const root = parse(html);
    expect(root.querySelector('#summary [data-stat="graph breaks"] b')!.text).toBe("2");
    expect(root.querySelector('#summary [data-stat="recompiles"] b')!.text).toBe("2");
    expect(root.querySelectorAll("#timeline rect.tl-break")).toHaveLength(2);
    expect(root.querySelectorAll("#timeline rect.tl-call").length).toBe(5);
    expect(root.querySelectorAll("#timeline rect.tl-run").length).toBeGreaterThan(0);
    expect(root.querySelector("#logs pre.logs")!.text).toMatch(/\[recompiles\] Recompiling function 'specialised'/);
  });

  it("escapes everything it shows", () => {
    expect(html).toContain("note &lt;b&gt;");
    expect(html).toContain("value &amp; more");
    const evil = renderReport({
      ...data,
      title: "<script>alert(1)</script>",
      functions: [{ ...data.functions[0]!, name: '"><img src=x onerror=alert(1)>' }],
    });
    expect(evil).not.toContain("<script>alert(1)");
    expect(evil).not.toContain("<img src=x");
  });

  it("says when nothing was compiled", () => {
    const empty = renderReport(new ReportRecorder().finish());
    expect(parse(empty).querySelector("#summary")!.text).toMatch(/No function was compiled/);
  });

  const chromium = "/usr/bin/chromium";
  it.skipIf(!existsSync(chromium))("renders in headless Chromium and shows the break (skipped when /usr/bin/chromium is absent)", () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-report-"));
    const file = join(dir, "report.html");
    writeFileSync(file, html);
    const r = spawnSync(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", `file://${file}`], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const dom = parse(r.stdout);
    expect(dom.querySelector('article.break[data-type="tensor-item"] .reason')!.text).toMatch(/item\(\) needs the value/);
    expect(dom.querySelector("#tl-svg")).not.toBeNull();
  });
});
