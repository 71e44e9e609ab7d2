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
  /** Users are kept up to date by Graph, so passes can ask who reads a value. */
  readonly users: Node[] = [];
  private _meta: Record<string, unknown> | null = null;

  /** Free-form facts attached by passes (shapes, fusion groups, ...). */
  get meta(): Record<string, unknown> {
    return (this._meta ??= {});
  }

  /** Assigned on first use by the graph (naming costs time, and most graphs are never printed). */
  _name: string | null = null;

  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly op: NodeOp,
    /** What the name is derived from: the op name, or an input's name. */
    readonly nameHint: string,
    /** For calls: the registry op name (or "getitem" for one output of a multi-output call). */
    readonly target: string,
    readonly args: readonly Node[],
    readonly attrs: Readonly<Record<string, unknown>>,
    /** One entry per value this node produces (calls of multi-output ops have several). */
    readonly outputs: readonly ValueMeta[],
    readonly placeholderKind: PlaceholderKind | null = null,
  ) {}

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
  private readonly nameCounts = new Map<string, number>();
  private named = 0;

  /** Names every node not named yet, in order. */
  assignNames(): void {
    for (; this.named < this.nodes.length; this.named++) {
      const n = this.nodes[this.named]!;
      n._name = n.op === "output" ? "output" : this.uniqueName(n.nameHint);
    }
  }

  private uniqueName(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1") || "v";
    const n = this.nameCounts.get(clean) ?? 0;
    this.nameCounts.set(clean, n + 1);
    return n === 0 && !/_\d+$/.test(clean) ? clean : `${clean}_${n}`;
  }

  private add(node: Node): Node {
    this.nodes.push(node);
    for (const a of node.args) a.users.push(node);
    return node;
  }

  placeholder(name: string, meta: ValueMeta, kind: PlaceholderKind = "tensor"): Node {
    return this.add(new Node(this, this.nodes.length, "placeholder", name, "", [], {}, [meta], kind));
  }

  call(target: string, args: readonly Node[], attrs: Readonly<Record<string, unknown>>, outputs: readonly ValueMeta[]): Node {
    return this.add(new Node(this, this.nodes.length, "call", target.split("::").pop()!, target, args, attrs, outputs));
  }

  /** Output `index` of a multi-output call as its own value. */
  getitem(source: Node, index: number): Node {
    return this.add(
      new Node(this, this.nodes.length, "call", `${source.nameHint}_${index}`, "getitem", [source], { index }, [source.outputs[index]!]),
    );
  }

  output(values: readonly Node[]): Node {
    return this.add(new Node(this, this.nodes.length, "output", "output", "", values, {}, []));
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
