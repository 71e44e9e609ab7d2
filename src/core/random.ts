// Counter-based random numbers: element i of a random op is a pure function of (seed, offset + i).
// Eager and compiled runs therefore draw identical values given manualSeed, and a kernel can
// compute any element without a sequential generator.
import { checkInt } from "./shape.js";

const DEFAULT_SEED = 0x2f6b_1d3;

let seed = DEFAULT_SEED;
let offset = 0;

/** torch.manual_seed: resets the global stream. */
export function manualSeed(s: number): void {
  seed = checkInt(s, "seed") >>> 0;
  offset = 0;
}

export function initialSeed(): number {
  return seed;
}

/** Where a random op's counters start: its seed and first counter. */
export interface RandomKey {
  seed: number;
  offset: number;
}

/** Reserves `count` counters of the global stream for one random op. */
export function reserveRandom(count: number): RandomKey {
  const key = { seed, offset };
  offset += count;
  return key;
}

/** The generator's position, for saving and restoring (torch.get_rng_state). */
export function getRngState(): RandomKey {
  return { seed, offset };
}

export function setRngState(state: RandomKey): void {
  seed = state.seed >>> 0;
  offset = state.offset;
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** 32 random bits for counter `ctr` of stream `s`. */
export function randomBits(s: number, ctr: number): number {
  const lo = ctr >>> 0;
  const hi = Math.floor(ctr / 4294967296) >>> 0;
  const key = fmix32(s ^ 0x9e3779b9);
  return fmix32(fmix32(lo ^ key) ^ Math.imul(hi + 1, 0x27d4eb2d) ^ key);
}

/** A uniform number in [0, 1) with 24 bits (float32) from one counter. */
export function uniform24(s: number, ctr: number): number {
  return (randomBits(s, ctr) >>> 8) / 16777216;
}

/** A uniform number in [0, 1) with 53 bits from two counters. */
export function uniform53(s: number, ctr: number): number {
  const a = randomBits(s, 2 * ctr) >>> 5;
  const b = randomBits(s, 2 * ctr + 1) >>> 6;
  return (a * 67108864 + b) / 9007199254740992;
}

/** A standard normal number (Box–Muller) from counters 2·ctr and 2·ctr+1. */
export function normal(s: number, ctr: number): number {
  const u1 = uniform24(s, 2 * ctr);
  const u2 = uniform24(s, 2 * ctr + 1);
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}
