// Structured logs of the compiler, switched on with setLogs() or KILN_LOGS.

export type LogCategory = "graph_breaks" | "recompiles" | "guards" | "graph_code" | "output_code" | "warnings";

export interface LogRecord {
  category: LogCategory;
  message: string;
}

export interface LogSettings {
  graphBreaks?: boolean;
  recompiles?: boolean;
  guards?: boolean;
  graphCode?: boolean;
  outputCode?: boolean;
  /** Receives records instead of stderr. */
  handler?: ((record: LogRecord) => void) | null;
}

const enabled = new Set<LogCategory>(["warnings"]);
let handler: ((record: LogRecord) => void) | null = null;

const KEYS: [keyof LogSettings, LogCategory][] = [
  ["graphBreaks", "graph_breaks"],
  ["recompiles", "recompiles"],
  ["guards", "guards"],
  ["graphCode", "graph_code"],
  ["outputCode", "output_code"],
];

/** compiler.setLogs: turns categories on or off; unspecified ones keep their state. */
export function setLogs(settings: LogSettings): void {
  for (const [key, cat] of KEYS) {
    const v = settings[key];
    if (v === true) enabled.add(cat);
    else if (v === false) enabled.delete(cat);
  }
  if (settings.handler !== undefined) handler = settings.handler;
}

/** Applies a KILN_LOGS value: comma-separated category names or `all`. */
export function applyLogSpec(spec: string): void {
  for (const raw of spec.split(",")) {
    const name = raw.trim();
    if (!name) continue;
    if (name === "all") for (const [, cat] of KEYS) enabled.add(cat);
    else if (KEYS.some(([, c]) => c === name)) enabled.add(name as LogCategory);
  }
}

export function resetLogs(): void {
  enabled.clear();
  enabled.add("warnings");
  handler = null;
  readEnvironment();
}

export function logEnabled(category: LogCategory): boolean {
  return enabled.has(category);
}

export function log(category: LogCategory, message: string | (() => string)): void {
  if (!enabled.has(category)) return;
  const record = { category, message: typeof message === "string" ? message : message() };
  if (handler) handler(record);
  else console.error(`[kiln:${category}] ${record.message}`);
}

function readEnvironment(): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const spec = env?.KILN_LOGS;
  if (spec) applyLogSpec(spec);
}

readEnvironment();
