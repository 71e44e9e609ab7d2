// Helpers for the registry's scalar code fragments shared by the renderers: names a prelude
// declares, renaming identifiers so two members' constants can share a kernel, and folding a
// prelude to literal values.
import type { Kernel, Member } from "./schedule.js";
const DECL = /\b(?:const|let|var)\s+([\s\S]*?);/g;

/** Names a prelude declares (`const alpha = attrs.alpha, beta = ...;`). */
export function declaredNames(prelude: string): string[] {
  const names: string[] = [];
  for (const m of prelude.matchAll(DECL)) {
    for (const part of m[1]!.split(",")) {
      const id = /^\s*([A-Za-z_$][\w$]*)\s*=/.exec(part);
      if (id) names.push(id[1]!);
    }
  }
  return names;
}

/** Renames identifiers (not property names) in generated text. */
export function renameIds(text: string, map: Map<string, string>): string {
  if (map.size === 0) return text;
  const re = new RegExp(`(?<![\\w$.])(${[...map.keys()].join("|")})(?![\\w$])`, "g");
  return text.replace(re, (n) => map.get(n)!);
}

/** The prelude's constants as JS literals, or null when they are not all plain numbers or booleans. */
export function foldPrelude(text: string, names: string[], attrs: object): string[] | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const values = new Function("attrs", `${text}\nreturn [${names.join(", ")}];`)(attrs) as unknown[];
    if (!values.every((v) => typeof v === "number" || typeof v === "boolean")) return null;
    return values.map((v) => (Object.is(v, -0) ? "-0" : String(v)));
  } catch {
    return null;
  }
}

/** Per kernel member: its prelude's names renamed apart (`alpha` → `alpha_3`, `attrs` → `A3`). */
export interface MemberConstants {
  renames: Map<Member, Map<string, string>>;
  /** Preludes of live members: folded to [renamed name, literal] pairs, or the text when not foldable. */
  constants: { member: Member; index: number; text: string; folded: [string, string][] | null }[];
}

export function memberConstants(k: Kernel, live: Set<Member>): MemberConstants {
  const renames = new Map<Member, Map<string, string>>();
  const constants: MemberConstants["constants"] = [];
  k.members.forEach((m, i) => {
    if (!live.has(m)) return;
    const text = m.reducer ? m.reducer.prelude : (m.def.pointwisePrelude?.(m.attrs) ?? "");
    const names = declaredNames(text);
    const map = new Map<string, string>(names.map((n) => [n, `${n}_${i}`]));
    map.set("attrs", `A${i}`);
    renames.set(m, map);
    if (!text.trim()) return;
    const literals = foldPrelude(text, names, m.attrs);
    constants.push({ member: m, index: i, text, folded: literals ? names.map((n, j) => [map.get(n)!, literals[j]!]) : null });
  });
  return { renames, constants };
}
