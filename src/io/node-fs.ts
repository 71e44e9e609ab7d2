// save(stateDict, path) / load(path): safetensors files on disk. The only Node-specific code of
// kiln's io: node:fs is looked up when called (process.getBuiltinModule), so importing kiln in a
// browser works and only these two functions are unavailable there.
import { KilnRuntimeError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { deserializeWithMetadata, serialize, type TensorMap } from "./safetensors.js";

type FsModule = typeof import("node:fs");

function fs(): FsModule {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.("node:fs") as FsModule | undefined;
  if (!mod) throw new KilnRuntimeError("save()/load() need Node.js (node:fs); in a browser use serialize()/deserialize()");
  return mod;
}

/** Writes tensors (a state dict) to a .safetensors file. */
export function save(stateDict: TensorMap, path: string, metadata?: Record<string, string> | null): void {
  fs().writeFileSync(path, serialize(stateDict, metadata));
}

/** Reads a .safetensors file into a record of tensors. */
export function load(path: string): Record<string, Tensor> {
  return loadWithMetadata(path).tensors;
}

/** Reads a .safetensors file: its tensors and its "__metadata__" (or null). */
export function loadWithMetadata(path: string): { tensors: Record<string, Tensor>; metadata: Record<string, string> | null } {
  const buf = fs().readFileSync(path);
  return deserializeWithMetadata(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}
