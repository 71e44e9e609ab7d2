// Environment variables where there is a process (Node); undefined in browsers.
export function envVar(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/** A numeric environment variable, or `fallback` when it is unset or not a number. */
export function envNumber(name: string, fallback: number): number {
  const v = envVar(name);
  return v !== undefined && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : fallback;
}
