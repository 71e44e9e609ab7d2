// Translates the registry's scalar code (pointwise expressions, preludes, reducer statements: a
// small subset of JavaScript) into C++ with the same meaning, so an op's scalar rule is written
// once. Numbers are doubles as in JavaScript, except in float32 contexts where literals become
// float literals so float work stays in float (within float32 rounding of the JS result).
// Where C++ differs from JS (truthiness of NaN, bitwise ops on doubles, `%`, Math.max with NaN)
// the output calls the helpers of runtime/kiln_js.hpp. A `/*@name(args)*/` comment before a
// parenthesised expression names a special function the JS text implements inline (erf); the
// translation calls the target's own `kn::name` instead.

type Tok = { t: "num"; v: number } | { t: "id"; v: string } | { t: "p"; v: string } | { t: "tag"; v: string };

const PUNCT = ["===", "!==", ">>>", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "+=", "-=", "*=", "/=", "|=", "&=", "^=", "%="];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (src.startsWith("/*", i)) {
      const end = src.indexOf("*/", i + 2);
      const body = src.slice(i + 2, end);
      if (body.startsWith("@")) out.push({ t: "tag", v: body.slice(1) });
      i = end + 2;
      continue;
    }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: "num", v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_$][\w$]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: "id", v: id[0] });
      i += id[0].length;
      continue;
    }
    const p = PUNCT.find((q) => src.startsWith(q, i));
    if (p) {
      out.push({ t: "p", v: p });
      i += p.length;
      continue;
    }
    if ("+-*/%<>!~?:()[]{},;.=&|^".includes(c)) {
      out.push({ t: "p", v: c });
      i++;
      continue;
    }
    throw new Error(`js-to-cpp: unexpected character '${c}' in: ${src}`);
  }
  return out;
}

type Expr =
  | { k: "num"; v: number }
  | { k: "id"; name: string }
  | { k: "call"; fn: string; args: Expr[] }
  | { k: "path"; path: string }
  | { k: "un"; op: string; e: Expr }
  | { k: "bin"; op: string; l: Expr; r: Expr }
  | { k: "cond"; c: Expr; a: Expr; b: Expr }
  | { k: "assign"; op: string; name: string; e: Expr }
  | { k: "special"; fn: string; args: Expr[] };

type Stmt = { k: "decl"; konst: boolean; decls: { name: string; e: Expr }[] } | { k: "if"; c: Expr; a: Stmt; b: Stmt | null } | { k: "block"; body: Stmt[] } | { k: "expr"; e: Expr };

const BIN_PREC: Record<string, number> = {
  "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5,
  "==": 6, "!=": 6, "===": 6, "!==": 6,
  "<": 7, ">": 7, "<=": 7, ">=": 7,
  "<<": 8, ">>": 8, ">>>": 8,
  "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
};

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[], private readonly src: string) {}
  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private isP(v: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === "p" && t.v === v;
  }
  private expect(v: string): void {
    if (!this.isP(v)) throw new Error(`js-to-cpp: expected '${v}' in: ${this.src}`);
    this.i++;
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  expr(): Expr {
    const t = this.peek();
    // Assignment: identifier followed by = or a compound operator.
    const n = this.toks[this.i + 1];
    if (t?.t === "id" && n?.t === "p" && ["=", "+=", "-=", "*=", "/=", "|=", "&=", "^=", "%="].includes(n.v)) {
      this.i += 2;
      return { k: "assign", op: n.v, name: t.v, e: this.expr() };
    }
    return this.conditional();
  }
  private conditional(): Expr {
    const c = this.binary(1);
    if (!this.isP("?")) return c;
    this.i++;
    const a = this.expr();
    this.expect(":");
    const b = this.expr();
    return { k: "cond", c, a, b };
  }
  private binary(min: number): Expr {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      if (!t || t.t !== "p" || !(t.v in BIN_PREC) || BIN_PREC[t.v]! < min) return l;
      this.i++;
      const r = this.binary(BIN_PREC[t.v]! + 1);
      l = { k: "bin", op: t.v, l, r };
    }
  }
  private unary(): Expr {
    const t = this.peek();
    if (t?.t === "p" && ["-", "+", "!", "~"].includes(t.v)) {
      this.i++;
      return { k: "un", op: t.v, e: this.unary() };
    }
    return this.primary();
  }
  private primary(): Expr {
    const t = this.peek();
    if (!t) throw new Error(`js-to-cpp: unexpected end of: ${this.src}`);
    this.i++;
    if (t.t === "tag") {
      // `/*@erf(x)*/ (inline JS)`: parse the tag's call, skip the JS implementation that follows.
      const inner = new Parser(tokenize(t.v), t.v).expr();
      if (inner.k !== "call") throw new Error(`js-to-cpp: a tag must be a call: ${t.v}`);
      this.primary();
      return { k: "special", fn: inner.fn, args: inner.args };
    }
    if (t.t === "num") return { k: "num", v: t.v };
    if (t.t === "p" && t.v === "(") {
      const e = this.expr();
      this.expect(")");
      return e;
    }
    if (t.t !== "id") throw new Error(`js-to-cpp: unexpected '${t.v}' in: ${this.src}`);
    let path = t.v;
    while (this.isP(".")) {
      this.i++;
      const p = this.peek();
      if (p?.t !== "id") throw new Error(`js-to-cpp: bad member access in: ${this.src}`);
      path += "." + p.v;
      this.i++;
    }
    if (this.isP("(")) {
      this.i++;
      const args: Expr[] = [];
      while (!this.isP(")")) {
        args.push(this.expr());
        if (this.isP(",")) this.i++;
      }
      this.i++;
      return { k: "call", fn: path, args };
    }
    return path.includes(".") ? { k: "path", path } : { k: "id", name: path };
  }
  statement(): Stmt {
    const t = this.peek();
    if (t?.t === "p" && t.v === "{") {
      this.i++;
      const body: Stmt[] = [];
      while (!this.isP("}")) body.push(this.statement());
      this.i++;
      return { k: "block", body };
    }
    if (t?.t === "p" && t.v === ";") {
      this.i++;
      return { k: "block", body: [] };
    }
    if (t?.t === "id" && (t.v === "let" || t.v === "const" || t.v === "var")) {
      this.i++;
      const decls: { name: string; e: Expr }[] = [];
      for (;;) {
        const id = this.peek();
        if (id?.t !== "id") throw new Error(`js-to-cpp: bad declaration in: ${this.src}`);
        this.i++;
        this.expect("=");
        decls.push({ name: id.v, e: this.expr() });
        if (!this.isP(",")) break;
        this.i++;
      }
      if (this.isP(";")) this.i++;
      return { k: "decl", konst: t.v === "const", decls };
    }
    if (t?.t === "id" && t.v === "if") {
      this.i++;
      this.expect("(");
      const c = this.expr();
      this.expect(")");
      const a = this.statement();
      let b: Stmt | null = null;
      const e = this.peek();
      if (e?.t === "id" && e.v === "else") {
        this.i++;
        b = this.statement();
      }
      return { k: "if", c, a, b };
    }
    const e = this.expr();
    if (this.isP(";")) this.i++;
    return { k: "expr", e };
  }
}

/** C++ for a value: its text and whether C++ sees it as a bool (comparisons) or a number. */
interface Code {
  s: string;
  bool: boolean;
}

/** Where a translation is used: float32 work keeps float literals. */
export interface CppContext {
  float: boolean;
}

/** Math functions with a `kn::` implementation (runtime/kiln_math.hpp). */
const KN_MATH = new Set(["exp", "expm1", "log", "log1p", "log2", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "pow"]);
const STD_MATH: Record<string, string> = { abs: "std::fabs", floor: "std::floor", ceil: "std::ceil", trunc: "std::trunc", log10: "std::log10", cbrt: "std::cbrt", hypot: "std::hypot", asinh: "std::asinh", acosh: "std::acosh", atanh: "std::atanh" };

export function cppLiteral(v: number, ctx: CppContext): string {
  if (Number.isNaN(v)) return "NAN";
  if (!Number.isFinite(v)) return v > 0 ? "INFINITY" : "(-INFINITY)";
  let s = String(v);
  if (!/[.e]/.test(s)) s += ".0";
  else if (s.startsWith(".")) s = "0" + s;
  // A float literal only where the value survives as a float (no overflow to infinity).
  return ctx.float && Number.isFinite(Math.fround(v)) ? `${s}f` : s;
}

function truthy(c: Code): string {
  return c.bool ? c.s : `kn::truthy(${c.s})`;
}

function emit(e: Expr, ctx: CppContext): Code {
  switch (e.k) {
    case "num":
      return { s: cppLiteral(e.v, ctx), bool: false };
    case "id":
      if (e.name === "true" || e.name === "false") return { s: e.name, bool: true };
      if (e.name === "Infinity") return { s: "INFINITY", bool: false };
      if (e.name === "NaN") return { s: "NAN", bool: false };
      return { s: e.name, bool: false };
    case "path": {
      const [obj, prop] = e.path.split(".") as [string, string];
      const holder = obj === "Math" ? Math : obj === "Number" ? Number : null;
      const v = holder ? (holder as unknown as Record<string, unknown>)[prop] : undefined;
      if (typeof v !== "number") throw new Error(`js-to-cpp: unknown constant ${e.path}`);
      return { s: cppLiteral(v, ctx), bool: false };
    }
    case "special":
      return { s: `kn::${e.fn}(${e.args.map((a) => emit(a, ctx).s).join(", ")})`, bool: false };
    case "call":
      return emitCall(e.fn, e.args.map((a) => emit(a, ctx)), ctx);
    case "un": {
      const x = emit(e.e, ctx);
      if (e.op === "!") return { s: `(!${truthy(x)})`, bool: true };
      if (e.op === "~") return { s: `kn::bnot(${x.s})`, bool: false };
      if (e.op === "+") return { s: x.bool ? `(double)(${x.s})` : `(${x.s})`, bool: false };
      return { s: `(-${x.bool ? `(double)${x.s}` : x.s})`, bool: false };
    }
    case "bin": {
      const l = emit(e.l, ctx);
      const r = emit(e.r, ctx);
      switch (e.op) {
        case "&&":
        case "||":
          if (l.bool && r.bool) return { s: `(${l.s} ${e.op} ${r.s})`, bool: true };
          // JS returns an operand, not a bool.
          return e.op === "||" ? { s: `(${truthy(l)} ? (double)(${l.s}) : (double)(${r.s}))`, bool: false } : { s: `(${truthy(l)} ? (double)(${r.s}) : (double)(${l.s}))`, bool: false };
        case "===":
        case "==":
          return { s: `(${l.s} == ${r.s})`, bool: true };
        case "!==":
        case "!=":
          return { s: `(${l.s} != ${r.s})`, bool: true };
        case "<":
        case ">":
        case "<=":
        case ">=":
          return { s: `(${l.s} ${e.op} ${r.s})`, bool: true };
        case "|":
          return { s: `kn::bor(${l.s}, ${r.s})`, bool: false };
        case "&":
          return { s: `kn::band(${l.s}, ${r.s})`, bool: false };
        case "^":
          return { s: `kn::bxor(${l.s}, ${r.s})`, bool: false };
        case "<<":
          return { s: `kn::shl(${l.s}, ${r.s})`, bool: false };
        case ">>":
          return { s: `kn::shr(${l.s}, ${r.s})`, bool: false };
        case ">>>":
          return { s: `kn::ushr(${l.s}, ${r.s})`, bool: false };
        case "%":
          return { s: `kn::jmod(${l.s}, ${r.s})`, bool: false };
        default: {
          const num = (c: Code) => (c.bool ? `(double)${c.s}` : c.s);
          return { s: `(${num(l)} ${e.op} ${num(r)})`, bool: false };
        }
      }
    }
    case "cond": {
      const c = emit(e.c, ctx);
      const a = emit(e.a, ctx);
      const b = emit(e.b, ctx);
      if (a.bool && b.bool) return { s: `(${truthy(c)} ? ${a.s} : ${b.s})`, bool: true };
      return { s: `(${truthy(c)} ? ${a.bool ? `(double)${a.s}` : a.s} : ${b.bool ? `(double)${b.s}` : b.s})`, bool: false };
    }
    case "assign":
      throw new Error("js-to-cpp: assignment inside an expression");
  }
}

function emitCall(fn: string, args: Code[], ctx: CppContext): Code {
  const a = args.map((x) => (x.bool ? `(double)${x.s}` : x.s));
  const [obj, name] = fn.split(".") as [string, string | undefined];
  if (obj === "Math" && name) {
    if (KN_MATH.has(name)) return { s: `kn::${name}(${a.join(", ")})`, bool: false };
    if (name in STD_MATH) return { s: `${STD_MATH[name]}(${a.join(", ")})`, bool: false };
    if (name === "max" || name === "min") {
      if (a.length === 0) return { s: cppLiteral(name === "max" ? -Infinity : Infinity, ctx), bool: false };
      return { s: a.reduce((acc, x) => `kn::j${name}(${acc}, ${x})`), bool: false };
    }
    if (name === "round") return { s: `kn::jround(${a[0]})`, bool: false };
    if (name === "sign") return { s: `kn::jsign(${a[0]})`, bool: false };
    if (name === "fround") return { s: `(float)(${a[0]})`, bool: false };
    if (name === "imul") return { s: `kn::imul(${a[0]}, ${a[1]})`, bool: false };
  }
  if (obj === "Number" && name) {
    if (name === "isNaN") return { s: `std::isnan(${a[0]})`, bool: true };
    if (name === "isFinite") return { s: `std::isfinite(${a[0]})`, bool: true };
    if (name === "isInteger") return { s: `kn::isinteger(${a[0]})`, bool: true };
  }
  throw new Error(`js-to-cpp: no C++ translation for ${fn}()`);
}

/** C++ for a JavaScript expression (numbers are doubles or, in float contexts, floats). */
export function exprToCpp(js: string, ctx: CppContext): string {
  const p = new Parser(tokenize(js), js);
  const e = p.expr();
  if (!p.done()) throw new Error(`js-to-cpp: trailing text in: ${js}`);
  return num(e, ctx);
}

/** C++ for a JS condition (truthiness as in JavaScript). */
export function conditionToCpp(js: string, ctx: CppContext): string {
  const p = new Parser(tokenize(js), js);
  return truthy(emit(p.expr(), ctx));
}

function stmtToCpp(s: Stmt, ctx: CppContext, out: string[], indent: string): void {
  switch (s.k) {
    case "decl":
      // Every JS variable is a number: double (booleans are stored as 0 and 1).
      for (const d of s.decls) out.push(`${indent}${s.konst ? "const " : ""}double ${d.name} = ${num(d.e, ctx)};`);
      return;
    case "if":
      out.push(`${indent}if (${truthy(emit(s.c, ctx))}) {`);
      stmtToCpp(s.a, ctx, out, indent + "  ");
      if (s.b) {
        out.push(`${indent}} else {`);
        stmtToCpp(s.b, ctx, out, indent + "  ");
      }
      out.push(`${indent}}`);
      return;
    case "block":
      for (const b of s.body) stmtToCpp(b, ctx, out, indent);
      return;
    case "expr": {
      const e = s.e;
      if (e.k !== "assign") throw new Error("js-to-cpp: a statement must be an assignment or declaration");
      const binop = e.op.slice(0, -1);
      if (binop && ["|", "&", "^", "%"].includes(binop)) {
        out.push(`${indent}${e.name} = ${num({ k: "bin", op: binop, l: { k: "id", name: e.name }, r: e.e }, ctx)};`);
      } else out.push(`${indent}${e.name} ${e.op} ${num(e.e, ctx)};`);
    }
  }
}

function num(e: Expr, ctx: CppContext): string {
  const c = emit(e, ctx);
  return c.bool ? `(double)(${c.s})` : c.s;
}

/** C++ statements for JavaScript statements (declarations, assignments, if/else, blocks). */
export function statementsToCpp(js: string, ctx: CppContext, indent = ""): string[] {
  const p = new Parser(tokenize(js), js);
  const out: string[] = [];
  while (!p.done()) stmtToCpp(p.statement(), ctx, out, indent);
  return out;
}

/** Whether a reducer step is a Math.max / Math.min fold (`acc = Math.max(acc, x)`), which vectorises as an OpenMP max/min reduction. */
export function extremumAccumulator(step: string): { acc: string; op: "max" | "min" } | null {
  const m = /^\s*([A-Za-z_]\w*)\s*=\s*Math\.(max|min)\(\s*\1\s*,\s*x\s*\)\s*;?\s*$/.exec(step);
  return m ? { acc: m[1]!, op: m[2] as "max" | "min" } : null;
}

/** Whether a reducer step is a plain sum (`acc += <expr>`), which vectorises as an OpenMP reduction. */
export function sumAccumulator(step: string): string | null {
  const m = /^\s*([A-Za-z_]\w*)\s*\+=\s*([^;]*);?\s*$/.exec(step);
  return m && !m[2]!.includes(m[1]!) ? m[1]! : null;
}
