// A recording session shared by `kiln run` and the demo: switches kiln's logs on, records the
// compiler's events, and turns them into a report file and a one-paragraph summary.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { compiler } from "../index.js";
import type { LogSettings } from "../index.js";
import { breakLocations, ReportRecorder, renderReport, type ReportData } from "../report/index.js";
import { readSnippets } from "./snippets.js";

export const LOG_CATEGORIES = ["graph_breaks", "recompiles", "guards", "graph_code", "output_code"] as const;

const SETTING: Record<(typeof LOG_CATEGORIES)[number], keyof LogSettings> = {
  graph_breaks: "graphBreaks",
  recompiles: "recompiles",
  guards: "guards",
  graph_code: "graphCode",
  output_code: "outputCode",
};

/** Parses a `--logs` value (comma-separated categories, `all` or `none`); throws on unknown names. */
export function parseLogSpec(spec: string): LogSettings {
  const settings: LogSettings = {};
  for (const raw of spec.split(",")) {
    const name = raw.trim();
    if (!name || name === "none") continue;
    if (name === "all") {
      for (const c of LOG_CATEGORIES) (settings as Record<string, boolean>)[SETTING[c]] = true;
      continue;
    }
    if (!(LOG_CATEGORIES as readonly string[]).includes(name)) {
      throw new Error(`unknown log category "${name}"; expected a comma-separated list of ${LOG_CATEGORIES.join(", ")}, all or none`);
    }
    (settings as Record<string, boolean>)[SETTING[name as (typeof LOG_CATEGORIES)[number]]] = true;
  }
  return settings;
}

export interface SessionOptions {
  title: string;
  command?: string;
  /** Log categories to switch on (a `--logs` value); null leaves the logs as they are. */
  logs?: string | null;
  /** Print log records to stderr (default true); they are recorded for the report either way. */
  echoLogs?: boolean;
}

export class Session {
  readonly recorder: ReportRecorder;
  private readonly removeListener: () => void;

  constructor(options: SessionOptions) {
    const logSettings = options.logs != null ? parseLogSpec(options.logs) : {};
    this.recorder = new ReportRecorder({ title: options.title, command: options.command });
    this.removeListener = compiler.addEventListener(this.recorder.onEvent);
    const echo = options.echoLogs ?? true;
    // A break inside a loop happens on every call: print each distinct break once (the summary
    // and the report count them all).
    const printedBreaks = new Set<string>();
    compiler.setLogs({
      ...logSettings,
      handler: (record) => {
        this.recorder.onLog(record);
        if (!echo) return;
        if (record.category === "graph_breaks") {
          if (printedBreaks.has(record.message)) return;
          printedBreaks.add(record.message);
        }
        process.stderr.write(`[kiln:${record.category}] ${record.message}\n`);
      },
    });
  }

  /** The report data: events so far, compiler.stats(), and source lines around every break. */
  data(extra: { error?: string; notes?: [string, string][] } = {}): ReportData {
    const stats = compiler.stats() as unknown as Record<string, number>;
    const draft = this.recorder.finish({ stats, ...extra });
    return { ...draft, snippets: readSnippets(breakLocations(draft)) };
  }

  stop(): void {
    this.removeListener();
    compiler.setLogs({ handler: null });
  }
}

/** Writes the report's HTML; returns the absolute path. */
export function writeReport(data: ReportData, path: string): string {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderReport(data));
  return file;
}

/** One line per fact, for the terminal. */
export function summarize(data: ReportData, maxDetails = 20): string {
  const fns = data.functions;
  const sum = (f: (x: ReportData["functions"][number]) => number) => fns.reduce((n, x) => n + f(x), 0);
  const breaks = sum((f) => f.breaks.reduce((n, b) => n + b.count, 0));
  const lines = [
    `${fns.length} compiled function${fns.length === 1 ? "" : "s"}, ${sum((f) => f.calls)} calls, ${sum((f) => f.graphs.length)} graphs compiled in ${sum((f) => f.compileMs).toFixed(1)} ms`,
    `${breaks} graph breaks at ${sum((f) => f.breaks.length)} locations, ${sum((f) => f.recompiles.length)} recompiles, ${sum((f) => f.fallbacks.reduce((n, b) => n + b.count, 0))} eager fallbacks`,
  ];
  const details: string[] = [];
  for (const f of fns) {
    for (const b of f.breaks) details.push(`  break in ${f.name}: ${b.type} (${b.count}×) ${b.reason}${b.userStack[0] ? ` at ${b.userStack[0]}` : ""}`);
    for (const r of f.recompiles) details.push(`  recompile of ${f.name} graph ${r.position}: ${r.reason}`);
    for (const r of f.fallbacks) details.push(`  eager fallback of ${f.name} graph ${r.position} (${r.count}×): ${r.reason}`);
  }
  lines.push(...details.slice(0, maxDetails));
  if (details.length > maxDetails) lines.push(`  … and ${details.length - maxDetails} more (see the report)`);
  return lines.join("\n");
}
