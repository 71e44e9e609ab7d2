// Turns the compiler's event stream (compiler.addEventListener) and log records into ReportData.
// No Node API: the recorder runs wherever kiln runs.
import type { CompilerEvent } from "../compiler/events.js";
import type { LogRecord } from "../compiler/logs.js";
import type { ReportBreak, ReportData, ReportFunction, ReportPosition, TimelineEvent } from "./model.js";

export interface RecorderOptions {
  title?: string;
  command?: string;
  /** Timeline events kept (default 5000); later ones are counted, not stored. */
  maxTimelineEvents?: number;
  /** Log records kept (default 2000). */
  maxLogs?: number;
  /** Clock in milliseconds, the one the compiler stamps events with (default performance.now). */
  now?: () => number;
}

export interface FinishOptions {
  stats?: Record<string, number>;
  error?: string;
  snippets?: ReportData["snippets"];
  notes?: [string, string][];
}

interface FnState {
  data: ReportFunction;
  /** Open calls, outermost first (a compiled function can be re-entered). */
  open: number[];
  positions: Map<number, ReportPosition>;
  breaks: Map<string, ReportBreak>;
  fallbacks: Map<string, ReportFunction["fallbacks"][number]>;
}

const defaultNow = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

export class ReportRecorder {
  private readonly fns = new Map<string, FnState>();
  private readonly timeline: TimelineEvent[] = [];
  private timelineDropped = 0;
  private readonly logs: ReportData["logs"] = [];
  private logsDropped = 0;
  private readonly start: number;
  private readonly startedAt = new Date().toISOString();
  private readonly now: () => number;
  private readonly maxTimeline: number;
  private readonly maxLogs: number;

  constructor(private readonly options: RecorderOptions = {}) {
    this.now = options.now ?? defaultNow;
    this.start = this.now();
    this.maxTimeline = options.maxTimelineEvents ?? 5000;
    this.maxLogs = options.maxLogs ?? 2000;
  }

  /** The listener to pass to compiler.addEventListener. */
  readonly onEvent = (event: CompilerEvent): void => {
    const s = this.fn(event.fn);
    const t = event.time - this.start;
    switch (event.kind) {
      case "call-start":
        if (s.open.length === 0) s.data.calls++;
        s.open.push(t);
        break;
      case "call-end": {
        const began = s.open.pop();
        if (began !== undefined && s.open.length === 0) {
          s.data.callMs += t - began;
          if (s.data.firstCallMs === undefined) s.data.firstCallMs = t - began;
          this.push({ kind: "call", fn: event.fn, start: began, end: t, label: `call ${s.data.calls} of ${event.fn}` });
        }
        break;
      }
      case "graph-compiled": {
        const ops = event.graph.nodes.filter((n) => n.op === "call").map((n) => n.target);
        const compileIndex = s.data.graphs.length;
        s.data.graphs.push({
          position: event.position,
          compileIndex,
          ops,
          code: event.graph.toString(),
          generatedCode: event.code,
          guards: event.guards,
          compileMs: event.compileMs,
          recompileReason: event.recompileReason,
          time: t,
        });
        s.data.compileMs += event.compileMs;
        if (event.recompileReason !== undefined) s.data.recompiles.push({ position: event.position, reason: event.recompileReason, time: t });
        this.push({
          kind: "compile",
          fn: event.fn,
          start: t - event.compileMs,
          end: t,
          label: `${event.recompileReason !== undefined ? "recompile" : "compile"} graph ${event.position} (${ops.length} ops, ${event.compileMs.toFixed(2)} ms)`,
        });
        break;
      }
      case "graph-run": {
        let p = s.positions.get(event.position);
        if (!p) s.positions.set(event.position, (p = { position: event.position, runs: 0, cacheHits: 0, runMs: 0, opCount: event.opCount }));
        p.runs++;
        if (event.cacheHit) p.cacheHits++;
        p.runMs += event.runMs;
        p.opCount = event.opCount;
        this.push({
          kind: "run",
          fn: event.fn,
          start: t - event.runMs,
          end: t,
          label: `run graph ${event.position} (${event.opCount} ops, ${event.cacheHit ? "cache hit" : "new compile"}, ${event.runMs.toFixed(2)} ms)`,
        });
        break;
      }
      case "graph-break": {
        const { info } = event;
        const key = `${event.position}\u0000${info.type}\u0000${info.reason}\u0000${info.userStack[0] ?? ""}`;
        const known = s.breaks.get(key);
        if (known) known.count++;
        else {
          const b: ReportBreak = { position: event.position, type: info.type, reason: info.reason, hints: [...info.hints], userStack: [...info.userStack], count: 1, time: t };
          s.breaks.set(key, b);
          s.data.breaks.push(b);
        }
        this.push({ kind: "break", fn: event.fn, start: t, end: t, label: `graph break (${info.type}): ${info.reason}${info.userStack[0] ? ` at ${info.userStack[0]}` : ""}` });
        break;
      }
      case "eager-fallback": {
        const key = `${event.position}\u0000${event.reason}`;
        const known = s.fallbacks.get(key);
        if (known) known.count++;
        else {
          const f = { position: event.position, reason: event.reason, count: 1, time: t };
          s.fallbacks.set(key, f);
          s.data.fallbacks.push(f);
        }
        this.push({ kind: "fallback", fn: event.fn, start: t, end: t, label: `graph ${event.position} ran eagerly: ${event.reason}` });
        break;
      }
    }
  };

  /** Records a log record (pass it from a compiler.setLogs handler). */
  readonly onLog = (record: LogRecord): void => {
    if (this.logs.length >= this.maxLogs) {
      this.logsDropped++;
      return;
    }
    this.logs.push({ category: record.category, message: record.message, time: this.now() - this.start });
  };

  /** The report data so far (the recorder can keep recording afterwards). */
  finish(extra: FinishOptions = {}): ReportData {
    const functions = [...this.fns.values()].map((s) => ({
      ...s.data,
      positions: [...s.positions.values()].sort((a, b) => a.position - b.position),
    }));
    return {
      title: this.options.title ?? "kiln compile report",
      command: this.options.command,
      startedAt: this.startedAt,
      durationMs: this.now() - this.start,
      functions,
      timeline: [...this.timeline],
      timelineDropped: this.timelineDropped,
      logs: [...this.logs],
      logsDropped: this.logsDropped,
      stats: extra.stats,
      error: extra.error,
      snippets: extra.snippets ?? {},
      notes: extra.notes,
    };
  }

  private fn(name: string): FnState {
    let s = this.fns.get(name);
    if (!s) {
      s = {
        data: { name, calls: 0, callMs: 0, compileMs: 0, graphs: [], breaks: [], recompiles: [], fallbacks: [], positions: [] },
        open: [],
        positions: new Map(),
        breaks: new Map(),
        fallbacks: new Map(),
      };
      this.fns.set(name, s);
    }
    return s;
  }

  private push(e: TimelineEvent): void {
    if (this.timeline.length >= this.maxTimeline) this.timelineDropped++;
    else this.timeline.push(e);
  }
}
