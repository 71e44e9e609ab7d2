// The graph IR, modelled on torch.fx: a list of nodes with a tiny vocabulary (placeholder, call,
// output), built only through Graph's methods, printable as readable code.
import type { DType } from "../core/dtype.js";

export type NodeOp = "placeholder" | "call" | "output";

/** Shape and dtype of the value a node produces. */
export interface ValueMeta {
  shape: readonly number[];
  dtype: DType;
}

/** What kind of value a placeholder receives. */
export type PlaceholderKind = "tensor" | "scalar" | "rng";

export class Node {
  private _users: Node[] | null = null;
  private _meta: Record<string, unknown> | null = null;
  /** Name source given at creation; null: derived when first needed (from the target, or for an input from the graph's inputNamer). */
  private _hint: string | null;

  /** Assigned on first use by the graph (naming costs time, and most graphs are never printed). */
  _name: string | null = null;

  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly op: NodeOp,
    /** What the name is derived from (see nameHint); null: derived when first needed. */
    hint: string | null,
    /** For calls: the registry op name (or "getitem" for one output of a multi-output call). */
    readonly target: string,
    readonly args: readonly Node[],
    readonly attrs: Readonly<Record<string, unknown>>,
    /** One entry per value this node produces (calls of multi-output ops have several). */
    readonly outputs: readonly ValueMeta[],
    readonly placeholderKind: PlaceholderKind | null = null,
  ) {
    this._hint = hint;
  }

  /** Who reads this node's value. Built by the graph on first request (recording skips it: most graphs are only cache hits). */
  get users(): Node[] {
    this.graph.linkUsers();
    return (this._users ??= []);
  }

  /** Gives a placeholder created without a name its name (before the graph names its nodes). */
  _nameAs(hint: string): void {
    if (this._hint === null) this._hint = hint;
  }

  /** Appends a reader; only Graph calls this. */
  _addUser(user: Node): void {
    (this._users ??= []).push(user);
  }

  /** Free-form facts attached by passes (shapes, fusion groups, ...). */
  get meta(): Record<string, unknown> {
    return (this._meta ??= {});
  }

  /** What the name is derived from: the op name (without namespace), `source_i` for getitem, or an input's name. */
  get nameHint(): string {
    if (this._hint === null && this.op === "placeholder") {
      this.graph.inputNamer?.nameInputs();
      return this._hint ?? "input";
    }
    if (this._hint === null) {
      const namespaceEnd = this.target.lastIndexOf("::");
      this._hint =
        this.target === "getitem"
          ? `${this.args[0]!.nameHint}_${String(this.attrs.index)}`
          : namespaceEnd < 0 ? this.target : this.target.slice(namespaceEnd + 2);
    }
    return this._hint;
  }

  /** A readable unique name (`sin`, `sin_1`, `x`), as used in the printed graph. */
  get name(): string {
    if (this._name === null) this.graph.assignNames();
    return this._name!;
  }

  get shape(): readonly number[] {
    return this.outputs[0]!.shape;
  }

  get dtype(): DType {
    return this.outputs[0]!.dtype;
  }
}

/** Arguments and attributes of nodes that have none (shared: nodes never modify them). */
const NO_ARGS: readonly Node[] = Object.freeze([]);
const NO_ATTRS: Readonly<Record<string, unknown>> = Object.freeze({});

function formatAttr(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(formatAttr).join(", ")}]`;
  if (v === null || v === undefined) return "null";
  if (typeof v === "object") return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${formatAttr(x)}`).join(", ")} }`;
  return String(v);
}

function typeString(m: ValueMeta): string {
  const short = { float32: "f32", float64: "f64", int32: "i32", bool: "bool" }[m.dtype];
  return `${short}[${m.shape.join(", ")}]`;
}

export class Graph {
  readonly nodes: Node[] = [];
  /** Names used so far (made on first naming: most graphs are never printed). */
  private nameCounts: Map<string, number> | null = null;
  private named = 0;
  /** Names placeholders created without a name, when a name is first needed (set by the trace recording the graph). */
  inputNamer: { nameInputs(): void } | null = null;
  /** Nodes whose arguments already list them as users (linking is deferred until someone asks). */
  private linked = 0;

  /** Records every node added since the last call as a user of its arguments. */
  linkUsers(): void {
    if (this.linked > this.nodes.length) this.linked = this.nodes.length; // nodes were dropped (a pass truncated the list)
    for (; this.linked < this.nodes.length; this.linked++) {
      const n = this.nodes[this.linked]!;
      for (const a of n.args) a._addUser(n);
    }
  }

  /** Names every node not named yet, in order. */
  assignNames(): void {
    for (; this.named < this.nodes.length; this.named++) {
      const n = this.nodes[this.named]!;
      n._name = n.op === "output" ? "output" : this.uniqueName(n.nameHint);
    }
  }

  private uniqueName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1") || "v";
    const counts = (this.nameCounts ??= new Map());
    const n = counts.get(clean) ?? 0;
    counts.set(clean, n + 1);
    return n === 0 && !/_\d+$/.test(clean) ? clean : `${clean}_${n}`;
  }

  private add(node: Node): Node {
    if (this.linked > this.nodes.length) this.linked = this.nodes.length;
    this.nodes.push(node);
    return node;
  }

  /** `name` null: named later through `inputNamer`. */
  placeholder(name: string | null, meta: ValueMeta, kind: PlaceholderKind = "tensor"): Node {
    return this.add(new Node(this, this.nodes.length, "placeholder", name, "", NO_ARGS, NO_ATTRS, [meta], kind));
  }

  call(target: string, args: readonly Node[], attrs: Readonly<Record<string, unknown>>, outputs: readonly ValueMeta[]): Node {
    return this.add(new Node(this, this.nodes.length, "call", null, target, args, attrs, outputs));
  }

  /** Output `index` of a multi-output call as its own value. */
  getitem(source: Node, index: number): Node {
    return this.add(
      new Node(this, this.nodes.length, "call", null, "getitem", [source], { index }, [source.outputs[index]!]),
    );
  }

  output(values: readonly Node[]): Node {
    return this.add(new Node(this, this.nodes.length, "output", "output", "", values, NO_ATTRS, []));
  }

  get placeholders(): Node[] {
    return this.nodes.filter((n) => n.op === "placeholder");
  }

  get outputNode(): Node | undefined {
    return this.nodes.find((n) => n.op === "output");
  }

  /** Ops called, in order (getitem excluded). */
  get callTargets(): string[] {
    return this.nodes.filter((n) => n.op === "call" && n.target !== "getitem").map((n) => n.target);
  }

  /** Readable code: one line per node, like torch.fx's printout. */
  toString(): string {
    const params = this.placeholders.map((p) => `${p.name}: ${typeString(p.outputs[0]!)}`);
    const lines = [`graph(${params.join(", ")}) {`];
    for (const n of this.nodes) {
      if (n.op === "call") {
        const args = n.args.map((a) => a.name);
        const attrs = Object.entries(n.attrs)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}: ${formatAttr(v)}`);
        const call =
          n.target === "getitem"
            ? `${n.args[0]!.name}[${String(n.attrs.index)}]`
            : `${n.target}(${[...args, ...(attrs.length ? [`{ ${attrs.join(", ")} }`] : [])].join(", ")})`;
        const type = n.outputs.length === 1 ? typeString(n.outputs[0]!) : `(${n.outputs.map(typeString).join(", ")})`;
        lines.push(`  const ${n.name} = ${call};  // ${type}`);
      } else if (n.op === "output") {
        lines.push(`  return [${n.args.map((a) => a.name).join(", ")}];`);
      }
    }
    lines.push("}");
    return lines.join("\n");
  }
}
