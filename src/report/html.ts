// Renders ReportData as ONE self-contained HTML file: inline CSS and a little inline JavaScript,
// no network, no Node API (the builder could run in a browser; the CLI writes the file).
//
// Stable markers for tools and tests: <html data-kiln-report>, section#summary, section#timeline,
// section.fn[data-fn], article.break[data-type][data-position], table.snippet[data-file][data-line]
// (its highlighted row is tr.hl), details.graph[data-position], pre.graph-code, pre.generated-code,
// table.recompiles tr.recompile, section#logs.
import type { ReportBreak, ReportData, ReportFunction, ReportGraph, SourceSnippet, TimelineEvent } from "./model.js";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const esc = escapeHtml;

function ms(x: number): string {
  if (!Number.isFinite(x)) return "–";
  if (x >= 1000) return `${(x / 1000).toFixed(2)} s`;
  if (x >= 10) return `${x.toFixed(1)} ms`;
  return `${x.toFixed(2)} ms`;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

const CSS = `
:root{--fg:#1d1f24;--muted:#646b78;--bg:#fff;--panel:#f6f7f9;--line:#dde1e7;--accent:#3356c7;--run:#2f9e62;--compile:#3a6fe0;--break:#d4343b;--fallback:#e08a14;--call:#c9d3e6}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:20px 0 6px}
.meta{color:var(--muted);margin:0 0 16px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px;overflow:auto;margin:6px 0;white-space:pre}
pre.graph-code,pre.generated-code,pre.guards,pre.logs{max-height:520px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:20px}.card span{color:var(--muted);font-size:12px}
.card.bad b{color:var(--break)}.card.warn b{color:var(--fallback)}
table{border-collapse:collapse;margin:6px 0}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;line-height:18px;font-size:12px;font-weight:600;color:#fff;background:var(--muted)}
.badge.break{background:var(--break)}.badge.recompile{background:var(--compile)}.badge.fallback{background:var(--fallback)}.badge.ok{background:var(--run)}
.break{border:1px solid #f0c6c8;border-left:4px solid var(--break);border-radius:6px;padding:8px 12px;margin:10px 0;background:#fffafa}
.break .reason{font-weight:600;margin:4px 0}
.hints{margin:4px 0;padding-left:20px}.hints li{margin:2px 0}
.stack{color:var(--muted);font-size:12px;margin:2px 0}
table.snippet{width:100%;background:var(--panel);border:1px solid var(--line);border-radius:6px;margin:6px 0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
table.snippet td{border:0;padding:0 8px;white-space:pre}table.snippet td.ln{color:var(--muted);text-align:right;width:1%;user-select:none}
table.snippet tr.hl{background:#ffe3e4}table.snippet tr.hl td.ln{color:var(--break);font-weight:700}
.snippet-file{font-size:12px;color:var(--muted);margin-top:6px}
details{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:0 10px;background:#fff}
details>summary{cursor:pointer;padding:6px 0;font-weight:600}
details[open]>summary{border-bottom:1px solid var(--line);margin-bottom:6px}
.ops{display:flex;flex-wrap:wrap;gap:4px;margin:6px 0}.op{background:#eef2fb;border:1px solid #d5dff5;border-radius:4px;padding:0 6px;font-size:12px}
.muted{color:var(--muted)}.none{color:var(--muted);font-style:italic}
.error{border:1px solid var(--break);background:#fff3f3;border-radius:6px;padding:10px}
nav ul{padding-left:18px;margin:4px 0}
.tl-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:6px;background:#fff}
.legend{display:flex;gap:14px;font-size:12px;color:var(--muted);margin:6px 0;align-items:center;flex-wrap:wrap}
.legend i{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:middle}
.toolbar{display:flex;gap:8px;align-items:center;margin:6px 0;font-size:12px}
button{font:inherit;font-size:12px;padding:2px 8px;border:1px solid var(--line);border-radius:4px;background:var(--panel);cursor:pointer}
svg text{font:11px system-ui,sans-serif;fill:var(--muted)}
`;

const JS = `
(function(){
  var range=document.getElementById('tl-zoom'),svg=document.getElementById('tl-svg');
  if(range&&svg){range.addEventListener('input',function(){svg.style.width=range.value+'%';});}
  function setAll(sel,open){document.querySelectorAll(sel).forEach(function(d){d.open=open;});}
  document.querySelectorAll('[data-expand]').forEach(function(b){b.addEventListener('click',function(){setAll(b.getAttribute('data-expand'),true);});});
  if(location.hash==='#expand-all'){setAll('details',true);}
  document.querySelectorAll('[data-collapse]').forEach(function(b){b.addEventListener('click',function(){setAll(b.getAttribute('data-collapse'),false);});});
})();
`;

function renderSnippet(s: SourceSnippet, withFile = false): string {
  const rows = s.lines
    .map((text, i) => {
      const n = s.startLine + i;
      return `<tr${n === s.line ? ' class="hl"' : ""}><td class="ln">${n}</td><td class="src">${esc(text) || " "}</td></tr>`;
    })
    .join("");
  return `${withFile ? `<div class="snippet-file mono">${esc(s.file)}:${s.line}:${s.column}</div>` : ""}<table class="snippet" data-file="${esc(s.file)}" data-line="${s.line}">${rows}</table>`;
}

function renderBreak(b: ReportBreak, snippets: ReportData["snippets"]): string {
  const [inner, ...outer] = b.userStack;
  const innerSnippet = inner !== undefined ? snippets[inner] : undefined;
  const outerWithSource = outer.filter((l) => snippets[l]);
  return `<article class="break" data-type="${esc(b.type)}" data-position="${b.position}">
<div><span class="badge break">${esc(b.type)}</span> <span class="muted">graph ${b.position} · ${b.count}× · first at ${ms(b.time)}</span></div>
<div class="reason">${esc(b.reason)}</div>
${inner !== undefined ? `<div class="stack mono">at ${esc(inner)}</div>` : `<div class="stack none">no user frame (the break happened in library code)</div>`}
${innerSnippet ? renderSnippet(innerSnippet) : ""}
${
  outer.length
    ? `<details class="outer-frames"><summary>${plural(outer.length, "outer frame")}</summary>${outer
        .map((l) => `<div class="stack mono">at ${esc(l)}</div>${snippets[l] && outerWithSource.includes(l) ? renderSnippet(snippets[l]!) : ""}`)
        .join("")}</details>`
    : ""
}
${b.hints.length ? `<div class="muted">How to avoid it:</div><ul class="hints">${b.hints.map((h) => `<li>${esc(h)}</li>`).join("")}</ul>` : ""}
</article>`;
}

function opHistogram(ops: string[]): string {
  const counts = new Map<string, number>();
  for (const o of ops) counts.set(o, (counts.get(o) ?? 0) + 1);
  return [...counts].map(([o, n]) => `<span class="op">${esc(o)}${n > 1 ? ` ×${n}` : ""}</span>`).join("");
}

function renderGraph(g: ReportGraph): string {
  return `<details class="graph" data-position="${g.position}" data-compile="${g.compileIndex}">
<summary>graph ${g.position} · compile #${g.compileIndex + 1} · ${plural(g.ops.length, "op")} · ${ms(g.compileMs)} to compile${
    g.recompileReason !== undefined ? ` <span class="badge recompile">recompile</span>` : ""
  }</summary>
${g.recompileReason !== undefined ? `<div class="recompile-reason"><b>Recompiled because:</b> ${esc(g.recompileReason)}</div>` : ""}
<div class="ops">${opHistogram(g.ops) || '<span class="none">no ops</span>'}</div>
<h3>Graph code</h3>
<pre class="graph-code">${esc(g.code)}</pre>
<h3>Guards</h3>
<pre class="guards">${esc(g.guards) || " "}</pre>
<h3>Generated code</h3>
${g.generatedCode !== undefined ? `<pre class="generated-code">${esc(g.generatedCode)}</pre>` : `<p class="none">The backend provided no generated code for this graph (the eager backend replays the graph op by op).</p>`}
</details>`;
}

function renderFunction(f: ReportFunction, index: number, snippets: ReportData["snippets"]): string {
  const positions = f.positions.length
    ? `<table class="positions"><tr><th>graph</th><th>runs</th><th>cache hits</th><th>ops</th><th>total run time</th></tr>${f.positions
        .map((p) => `<tr><td>${p.position}</td><td>${p.runs}</td><td>${p.cacheHits}</td><td>${p.opCount}</td><td>${ms(p.runMs)}</td></tr>`)
        .join("")}</table>`
    : `<p class="none">No graph ran.</p>`;
  const breaks = f.breaks.length ? f.breaks.map((b) => renderBreak(b, snippets)).join("\n") : `<p class="none">No graph breaks.</p>`;
  const recompiles = f.recompiles.length
    ? `<table class="recompiles"><tr><th>graph</th><th>at</th><th>reason</th></tr>${f.recompiles
        .map((r) => `<tr class="recompile" data-position="${r.position}"><td>${r.position}</td><td>${ms(r.time)}</td><td>${esc(r.reason)}</td></tr>`)
        .join("")}</table>`
    : `<p class="none">No recompiles.</p>`;
  const fallbacks = f.fallbacks.length
    ? `<table class="fallbacks"><tr><th>graph</th><th>times</th><th>first at</th><th>reason</th></tr>${f.fallbacks
        .map((r) => `<tr class="fallback" data-position="${r.position}"><td>${r.position}</td><td>${r.count}</td><td>${ms(r.time)}</td><td>${esc(r.reason)}</td></tr>`)
        .join("")}</table>`
    : "";
  return `<section class="fn" id="fn-${index}" data-fn="${esc(f.name)}">
<h2>${esc(f.name)}</h2>
<p class="meta">${plural(f.calls, "call")} · ${ms(f.callMs)} in calls${f.firstCallMs !== undefined ? ` (first call, with tracing and compiling: ${ms(f.firstCallMs)})` : ""} · ${plural(f.graphs.length, "graph")} compiled in ${ms(f.compileMs)} · ${plural(f.breaks.reduce((n, b) => n + b.count, 0), "graph break")} · ${plural(f.recompiles.length, "recompile")}${f.fallbacks.length ? ` · ${plural(f.fallbacks.reduce((n, b) => n + b.count, 0), "eager fallback")}` : ""}</p>
<h3>Graph positions</h3>
${positions}
<h3>Graph breaks</h3>
${breaks}
<h3>Recompiles</h3>
${recompiles}
${fallbacks ? `<h3>Eager fallbacks (recompile limit)</h3>\n${fallbacks}` : ""}
<h3>Graphs <button data-expand="#fn-${index} details.graph">expand all</button> <button data-collapse="#fn-${index} details.graph">collapse all</button></h3>
${f.graphs.length ? f.graphs.map(renderGraph).join("\n") : `<p class="none">No graph was compiled.</p>`}
</section>`;
}

const COLORS: Record<TimelineEvent["kind"], string> = {
  call: "var(--call)",
  run: "var(--run)",
  compile: "var(--compile)",
  break: "var(--break)",
  fallback: "var(--fallback)",
};

function renderTimeline(data: ReportData): string {
  if (data.timeline.length === 0) return `<p class="none">No compiled function was called.</p>`;
  const names = data.functions.map((f) => f.name);
  const end = Math.max(data.durationMs, ...data.timeline.map((e) => e.end), 1e-3);
  const W = 1160;
  const left = 150;
  const laneH = 46;
  const top = 22;
  const H = top + names.length * laneH + 8;
  const x = (t: number) => left + (Math.max(0, t) / end) * (W - left - 10);
  const parts: string[] = [];
  // Axis ticks.
  for (let i = 0; i <= 10; i++) {
    const t = (end * i) / 10;
    parts.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 4}" x2="${x(t).toFixed(1)}" y2="${H - 6}" stroke="#eef0f3"/>`);
    parts.push(`<text x="${x(t).toFixed(1)}" y="${top - 8}" text-anchor="middle">${esc(ms(t))}</text>`);
  }
  names.forEach((n, i) => {
    const y = top + i * laneH;
    parts.push(`<text x="6" y="${y + laneH / 2 + 4}">${esc(n.length > 22 ? n.slice(0, 21) + "…" : n)}<title>${esc(n)}</title></text>`);
    parts.push(`<line x1="${left}" y1="${y + laneH}" x2="${W}" y2="${y + laneH}" stroke="#e3e6eb"/>`);
  });
  for (const e of data.timeline) {
    const lane = names.indexOf(e.fn);
    if (lane < 0) continue;
    const y = top + lane * laneH;
    const title = `<title>${esc(`${ms(e.start)}: ${e.label}`)}</title>`;
    const x0 = x(e.start);
    const w = Math.max(1, x(e.end) - x0);
    if (e.kind === "call") parts.push(`<rect class="tl-call" x="${x0.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="12" fill="${COLORS.call}">${title}</rect>`);
    else if (e.kind === "run") parts.push(`<rect class="tl-run" x="${x0.toFixed(1)}" y="${y + 18}" width="${w.toFixed(1)}" height="10" fill="${COLORS.run}">${title}</rect>`);
    else if (e.kind === "compile") parts.push(`<rect class="tl-compile" x="${x0.toFixed(1)}" y="${y + 30}" width="${w.toFixed(1)}" height="10" fill="${COLORS.compile}">${title}</rect>`);
    else parts.push(`<rect class="tl-${e.kind}" x="${(x0 - 1).toFixed(1)}" y="${y + 2}" width="3" height="${laneH - 6}" fill="${COLORS[e.kind]}">${title}</rect>`);
  }
  const legend = (["call", "run", "compile", "break", "fallback"] as const)
    .map((k) => `<span><i style="background:${COLORS[k]}"></i>${{ call: "compiled call", run: "graph run", compile: "compile", break: "graph break", fallback: "eager fallback" }[k]}</span>`)
    .join("");
  return `<div class="legend">${legend}<span class="toolbar">zoom <input id="tl-zoom" type="range" min="100" max="2000" value="100"></span></div>
<div class="tl-wrap"><svg id="tl-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="none" style="width:100%;height:${H}px">${parts.join("")}</svg></div>
${data.timelineDropped ? `<p class="muted">${plural(data.timelineDropped, "later event")} left out of the timeline.</p>` : ""}
<p class="muted">Hover a mark for details. Times are milliseconds since the start of the run.</p>`;
}

function renderSummary(data: ReportData): string {
  const fns = data.functions;
  const sum = (f: (x: ReportFunction) => number) => fns.reduce((n, x) => n + f(x), 0);
  const graphs = sum((f) => f.graphs.length);
  const breaks = sum((f) => f.breaks.reduce((n, b) => n + b.count, 0));
  const uniqueBreaks = sum((f) => f.breaks.length);
  const recompiles = sum((f) => f.recompiles.length);
  const fallbacks = sum((f) => f.fallbacks.reduce((n, b) => n + b.count, 0));
  const card = (value: string | number, label: string, cls = "") => `<div class="card ${cls}" data-stat="${esc(label)}"><b>${esc(String(value))}</b><span>${esc(label)}</span></div>`;
  const byType = new Map<string, number>();
  for (const f of fns) for (const b of f.breaks) byType.set(b.type, (byType.get(b.type) ?? 0) + b.count);
  return `<div class="cards">
${card(fns.length, "compiled functions")}
${card(sum((f) => f.calls), "calls")}
${card(graphs, "graphs compiled")}
${card(ms(sum((f) => f.compileMs)), "compile time")}
${card(breaks, "graph breaks", breaks ? "bad" : "")}
${card(uniqueBreaks, "break locations", uniqueBreaks ? "bad" : "")}
${card(recompiles, "recompiles", recompiles ? "warn" : "")}
${card(fallbacks, "eager fallbacks", fallbacks ? "warn" : "")}
</div>
${
  byType.size
    ? `<table class="break-types"><tr><th>graph break type</th><th>count</th></tr>${[...byType]
        .map(([t, n]) => `<tr><td><span class="badge break">${esc(t)}</span></td><td>${n}</td></tr>`)
        .join("")}</table>`
    : `<p><span class="badge ok">no graph breaks</span></p>`
}
${fns.length ? `<nav><ul>${fns.map((f, i) => `<li><a href="#fn-${i}">${esc(f.name)}</a> <span class="muted">${plural(f.graphs.length, "graph")}, ${plural(f.breaks.length, "break location")}, ${plural(f.recompiles.length, "recompile")}</span></li>`).join("")}</ul></nav>` : `<p class="none">No function was compiled in this run.</p>`}`;
}

/** The whole report as one HTML document. */
export function renderReport(data: ReportData): string {
  const stats = data.stats ? Object.entries(data.stats).map(([k, v]) => `${k}: ${v}`).join(", ") : "";
  return `<!DOCTYPE html>
<html lang="en" data-kiln-report="1">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kiln-report">
<title>${esc(data.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${esc(data.title)}</h1>
<p class="meta">${data.command ? `<span class="mono">${esc(data.command)}</span> · ` : ""}started ${esc(data.startedAt)} · ran ${ms(data.durationMs)}${stats ? ` · <span class="mono">compiler.stats(): ${esc(stats)}</span>` : ""}</p>
${data.error !== undefined ? `<section id="error"><h2>The run failed</h2><pre class="error">${esc(data.error)}</pre></section>` : ""}
${data.notes?.length ? `<table class="notes">${data.notes.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</table>` : ""}
<section id="summary"><h2>Summary</h2>
${renderSummary(data)}
</section>
<section id="timeline"><h2>Timeline</h2>
${renderTimeline(data)}
</section>
${data.functions.map((f, i) => renderFunction(f, i, data.snippets)).join("\n")}
<section id="logs"><h2>Logs</h2>
${data.logs.length ? `<pre class="logs">${data.logs.map((l) => `${esc(ms(l.time).padStart(10))}  [${esc(l.category)}] ${esc(l.message)}`).join("\n")}</pre>` : `<p class="none">No log records.</p>`}
${data.logsDropped ? `<p class="muted">${plural(data.logsDropped, "later record")} left out.</p>` : ""}
</section>
<p class="muted">Generated by kiln. This file is self-contained: it needs no network.</p>
</main>
<script>${JS}</script>
</body>
</html>
`;
}
