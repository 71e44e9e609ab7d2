// The loop structure of one scheduled kernel, shared by every renderer: which members are live
// (stored, or read by something stored), the reductions in order (one phase each over the reduced
// dims of a row), in which phase each full-level store is written, and which full-level members
// and accesses each phase needs. Renderers only decide how to write it down.
import type { Access, Kernel, Member } from "./schedule.js";

export interface KernelPhases {
  live: Set<Member>;
  /** Position of each member in the kernel (names its value `v<index>`). */
  index: Map<Member, number>;
  /** Full members: first phase in which the value can be computed. Row members: phase after which it is ready. */
  ready: Map<Member, number>;
  reductions: Member[];
  /** Number of passes over the reduced dims per row. */
  count: number;
  /** Accesses read once per row (row-level loads). */
  rowLoads: Access[];
  /** Full-level members written in phase p. */
  storesOf(p: number): Member[];
  /** The reduction of phase p, if any. */
  reductionOf(p: number): Member | null;
  /** Full members phase p must compute (transitively), in kernel order; `known` members are not recomputed. */
  membersOf(p: number, known?: (m: Member) => boolean): Member[];
  /** Full-level accesses read or written by these members, reductions and stores. */
  accessesOf(ms: Member[], extra: Member[], stores: Member[]): Access[];
  /** Row-level pointwise members ready after phase p - 1 (p = 0: before any phase). */
  rowMembersReadyAt(p: number): Member[];
  /** Row-level members stored once per row. */
  rowStores: Member[];
  /**
   * Phases grouped into passes: a phase joins the pass before it when its reduction and stores
   * need nothing that pass computes (sum and sum of squares, or the two reductions of layerNorm's
   * weight and bias gradients, read their input once). For column loops, where a block's reduced
   * positions are too many to stay in cache between passes.
   */
  passes(): number[][];
}

export function kernelPhases(k: Kernel): KernelPhases {
  const live = new Set<Member>();
  const index = new Map<Member, number>();
  k.members.forEach((m, i) => index.set(m, i));
  for (let i = k.members.length - 1; i >= 0; i--) {
    const m = k.members[i]!;
    if (m.store) live.add(m);
    if (live.has(m)) for (const o of m.operands) if ("member" in o) live.add(o.member);
  }
  const reductions = k.members.filter((m) => m.reducer && live.has(m));
  const phaseOf = new Map<Member, number>(reductions.map((m, i) => [m, i]));
  const ready = new Map<Member, number>();
  for (const m of k.members) {
    let r = 0;
    for (const o of m.operands) if ("member" in o) r = Math.max(r, ready.get(o.member)!);
    if (m.reducer) r = Math.max(r, phaseOf.get(m)! + 1);
    ready.set(m, r);
  }
  const R = reductions.length;
  const fullStores = k.members.filter((m) => m.store && m.level === "full");
  const storePhase = (m: Member) => (R === 0 ? 0 : ready.get(m)! <= R - 1 ? R - 1 : R);
  const count = Math.max(R, ...fullStores.map((m) => storePhase(m) + 1), 0);

  const storesOf = (p: number) => fullStores.filter((m) => storePhase(m) === p);
  const reductionOf = (p: number) => (p < R ? reductions[p]! : null);
  const roots = (p: number): Member[] => {
    const red = reductionOf(p);
    const input = red ? red.operands[0]! : null;
    return [...storesOf(p), ...(input && "member" in input ? [input.member] : [])];
  };
  const membersOf = (p: number, known: (m: Member) => boolean = () => false): Member[] => {
    const need = new Set<Member>();
    const visit = (m: Member) => {
      if (need.has(m) || m.level !== "full") return;
      need.add(m);
      if (known(m)) return;
      for (const o of m.operands) if ("member" in o) visit(o.member);
    };
    roots(p).forEach(visit);
    return k.members.filter((m) => need.has(m) && !m.reducer);
  };
  const accessesOf = (ms: Member[], extra: Member[], stores: Member[]): Access[] => {
    const out = new Set<Access>();
    for (const m of [...ms, ...extra]) for (const o of m.operands) if (!("member" in o) && o.access.level === "full") out.add(o.access);
    for (const m of stores) out.add(m.store!);
    return [...out].sort((a, b) => a.index - b.index);
  };
  const rowLoads = new Set<Access>();
  for (const m of k.members) {
    if (!live.has(m)) continue;
    for (const o of m.operands) if (!("member" in o) && o.access.level === "row") rowLoads.add(o.access);
  }
  return {
    live,
    index,
    ready,
    reductions,
    count,
    rowLoads: [...rowLoads].sort((x, y) => x.index - y.index),
    storesOf,
    reductionOf,
    membersOf,
    accessesOf,
    rowMembersReadyAt: (p) => k.members.filter((m) => live.has(m) && m.level === "row" && !m.reducer && ready.get(m) === p),
    rowStores: k.members.filter((m) => m.store && m.level === "row"),
    passes: () => {
      const out: number[][] = [];
      for (let p = 0; p < count; ) {
        const group = [p];
        let q = p + 1;
        for (; q < count; q++) {
          const red = reductionOf(q);
          const input = red ? red.operands[0]! : null;
          if (!input || ("member" in input && ready.get(input.member)! > p)) break;
          if (storesOf(q).some((m) => ready.get(m)! > p)) break;
          group.push(q);
        }
        out.push(group);
        p = q;
      }
      return out;
    },
  };
}
