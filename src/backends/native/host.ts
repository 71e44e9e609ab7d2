// Node's modules for the native target, looked up when first needed (process.getBuiltinModule),
// so that importing kiln in a browser never touches them; there the native target is simply
// unavailable and the JavaScript target runs.
type ChildProcess = typeof import("node:child_process");
type Fs = typeof import("node:fs");
type Os = typeof import("node:os");
type Path = typeof import("node:path");
type Crypto = typeof import("node:crypto");
type ModuleApi = typeof import("node:module");

export interface NodeHost {
  childProcess: ChildProcess;
  fs: Fs;
  os: Os;
  path: Path;
  crypto: Crypto;
  module: ModuleApi;
  env: Record<string, string | undefined>;
}

let host: NodeHost | null | undefined;

/** Node's modules, or null outside Node (browsers, or a Node without getBuiltinModule). */
export function nodeHost(): NodeHost | null {
  if (host !== undefined) return host;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; env?: Record<string, string | undefined> } }).process;
  const get = proc?.getBuiltinModule;
  if (!get) return (host = null);
  host = {
    childProcess: get("node:child_process") as ChildProcess,
    fs: get("node:fs") as Fs,
    os: get("node:os") as Os,
    path: get("node:path") as Path,
    crypto: get("node:crypto") as Crypto,
    module: get("node:module") as ModuleApi,
    env: proc.env ?? {},
  };
  return host;
}
