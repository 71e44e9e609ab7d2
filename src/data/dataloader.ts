// DataLoader: iterates a dataset in batches (for...of), optionally shuffled. Shuffling draws from
// the global random stream (deterministic under manualSeed) or from a loader-owned generator seed.
import { allocate } from "../core/dtype.js";
import { ArgumentError, describeValue } from "../core/errors.js";
import { randomBits, reserveRandom, uniform53 } from "../core/random.js";
import { Tensor } from "../core/tensor.js";
import { tensor } from "../api/creation.js";
import type { BatchDataset, Dataset } from "./dataset.js";

/** A seed, or an object holding one (the counterpart of a seeded torch.Generator). */
export type GeneratorLike = number | { seed: number };

export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Reshuffle the order at every epoch (default false). */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Merges a list of samples into a batch (default: defaultCollate). */
  collateFn?: (samples: T[]) => B;
  /** Seed for shuffling; without it, each epoch's order is drawn from the global stream. */
  generator?: GeneratorLike;
}

/**
 * Merges samples into a batch like torch's default_collate: tensors are stacked along a new first
 * dimension, numbers and booleans become 1-d tensors (kiln's inference: int32, float32 or bool),
 * arrays (tuples) and plain objects are collated position by position / key by key, anything else
 * is returned as a list.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function defaultCollate(samples: any[]): any {
  if (samples.length === 0) return [];
  const first = samples[0];
  if (first instanceof Tensor) return stackSamples(samples as Tensor[]);
  if (typeof first === "number" || typeof first === "boolean") return tensor(samples as number[]);
  if (Array.isArray(first)) {
    const n = first.length;
    if (!samples.every((s) => Array.isArray(s) && s.length === n)) {
      throw new ArgumentError("each element in list of batch should be of equal size");
    }
    return first.map((_, i) => defaultCollate(samples.map((s) => s[i])));
  }
  if (first !== null && typeof first === "object" && Object.getPrototypeOf(first) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) out[key] = defaultCollate(samples.map((s) => s[key]));
    return out;
  }
  return samples;
}

/** Stacks same-shaped tensors along a new dim 0 into a new contiguous tensor. */
function stackSamples(samples: Tensor[]): Tensor {
  const shape = samples[0]!.shape;
  const dtype = samples[0]!.dtype;
  for (const s of samples) {
    if (!(s instanceof Tensor) || s.shape.length !== shape.length || s.shape.some((d, i) => d !== shape[i])) {
      throw new ArgumentError(
        `stack expects each tensor to be equal size, but got [${shape.join(", ")}] at entry 0 and [${s instanceof Tensor ? s.shape.join(", ") : describeValue(s)}] at another entry`,
      );
    }
    if (s.dtype !== dtype) throw new ArgumentError(`default collate expects samples of one dtype, but got ${dtype} and ${s.dtype}`);
  }
  let size = 1;
  for (const d of shape) size *= d;
  const out = allocate(dtype, size * samples.length);
  samples.forEach((s, i) => out.set(s.toArray(), i * size));
  return Tensor.fromData(out, [samples.length, ...shape], dtype);
}

function isBatchDataset<T>(d: Dataset<T>): d is BatchDataset<T, unknown> {
  return typeof (d as Partial<BatchDataset<T, unknown>>).getBatch === "function";
}

function checkPositiveInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new ArgumentError(`${what} should be a positive integer value, but got ${what}=${String(v)}`);
  }
  return v;
}

/** A random permutation of 0..n-1 from stream `seed`, counters from `offset` (Fisher–Yates). */
export function permutation(n: number, seed: number, offset = 0): number[] {
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform53(seed, offset + (n - 1 - i)) * (i + 1));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export class DataLoader<T = any, B = any> implements Iterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly collateFn: ((samples: T[]) => B) | null;
  private readonly seed: number | null;
  private epoch = 0;

  constructor(dataset: Dataset<T> | readonly T[], options: DataLoaderOptions<T, B> = {}) {
    if (Array.isArray(dataset)) {
      const arr = dataset as readonly T[];
      this.dataset = { length: arr.length, get: (i: number) => arr[i]! };
    } else if (dataset !== null && typeof dataset === "object" && typeof (dataset as Dataset<T>).get === "function") {
      this.dataset = dataset as Dataset<T>;
    } else {
      throw new ArgumentError(`DataLoader: dataset must have length and get(index), but got ${describeValue(dataset)}`);
    }
    this.batchSize = checkPositiveInt(options.batchSize ?? 1, "batch_size");
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.collateFn = options.collateFn ?? null;
    const g = options.generator;
    this.seed = g === undefined ? null : typeof g === "number" ? g >>> 0 : g.seed >>> 0;
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of the next epoch (advances the random stream when shuffling). */
  private order(): number[] {
    const n = this.dataset.length;
    if (!this.shuffle) return Array.from({ length: n }, (_, i) => i);
    if (this.seed !== null) return permutation(n, randomBits(this.seed, this.epoch++));
    // One counter of the global stream seeds this epoch's order.
    const key = reserveRandom(1);
    return permutation(n, randomBits(key.seed, key.offset));
  }

  *[Symbol.iterator](): Iterator<B> {
    const order = this.order();
    const bs = this.batchSize;
    for (let start = 0; start < order.length; start += bs) {
      const idx = order.slice(start, start + bs);
      if (idx.length < bs && this.dropLast) break;
      if (this.collateFn === null && isBatchDataset(this.dataset)) {
        yield this.dataset.getBatch(idx) as B;
      } else {
        const samples = idx.map((i) => this.dataset.get(i));
        yield this.collateFn !== null ? this.collateFn(samples) : (defaultCollate(samples) as B);
      }
    }
  }
}
