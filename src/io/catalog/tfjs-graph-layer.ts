/**
 * What a catalog row sees when it imports a node of a TF.js graph model (a TensorFlow GraphDef:
 * io/tfjs/import-tfjs-graph.ts builds this for each op node and calls the row whose
 * `tfjsGraph.ops` names the node's op), and the conversions between TensorFlow's channels-last
 * conventions and Stride's that rows share.
 */
import type { GraphNode } from '../../nn/graph.js';
import type { Module } from '../../nn/module.js';
import { permute } from '../../ops/shape-ops.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isJsonObject, type JsonObject } from '../json-value.js';

/** How a value's axes are ordered: feature maps imported as NCHW, or TensorFlow's own order. */
export type TfLayout = 'nchw' | 'plain';

/** A value computed at run time: its graph node, rank (batch included) and layout. */
export interface TfGraphValue {
  readonly node: GraphNode;
  readonly rank: number;
  readonly layout: TfLayout;
}

/** An input of a node: a constant (a weight from the shards) or a computed value. */
export type TfOperand =
  { readonly kind: 'const'; readonly tensor: Tensor } | ({ readonly kind: 'node' } & TfGraphValue);

const base64 = (s: string): string => {
  const bin = atob(s);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
};

/** Typed access to a TensorFlow node's attributes (as the TF.js converter writes them). */
export class TfAttrs {
  constructor(readonly attr: JsonObject) {}

  #get(name: string): JsonObject | undefined {
    const v = this.attr[name];
    return isJsonObject(v) ? v : undefined;
  }

  int(name: string, def: number): number {
    const v = this.#get(name);
    return v && v.i !== undefined ? Number(v.i) : def;
  }

  float(name: string, def: number): number {
    const v = this.#get(name);
    return v && typeof v.f === 'number' ? v.f : def;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.#get(name);
    return v && typeof v.b === 'boolean' ? v.b : def;
  }

  string(name: string, def: string): string {
    const v = this.#get(name);
    return v && typeof v.s === 'string' ? base64(v.s) : def;
  }

  ints(name: string): number[] {
    const v = this.#get(name);
    const list = v && isJsonObject(v.list) ? v.list.i : undefined;
    return Array.isArray(list) ? list.map((x) => Number(x)) : [];
  }

  strings(name: string): string[] {
    const v = this.#get(name);
    const list = v && isJsonObject(v.list) ? v.list.s : undefined;
    return Array.isArray(list) ? list.map((x) => base64(String(x))) : [];
  }
}

/** One TensorFlow op node being imported, and the graph it is added to. */
export interface TfGraphNode {
  /** The TensorFlow op (`Conv2D`, `MatMul`, ...). */
  readonly op: string;
  /** The name its Stride layer gets (unique in the graph). */
  readonly name: string;
  /** The node's TensorFlow name (for messages). */
  readonly tfName: string;
  /** The node's attributes. */
  readonly attrs: TfAttrs;
  /** Its inputs in order, constants and computed values. */
  readonly inputs: readonly TfOperand[];
  /** The computed inputs in order; the first is the node's main input. */
  readonly dynamic: readonly TfGraphValue[];
  /** The main (first computed) input. */
  readonly x: TfGraphValue;
  /** Input `i` as a constant; refused (naming `what`) when it is absent or computed at run time. */
  constant(i: number, what: string): Tensor;
  /** Add `layer` to the graph reading `args`; returns its value with the given rank and layout. */
  add(
    nodeName: string,
    layer: Module,
    args: readonly TfGraphValue[],
    rank: number,
    layout: TfLayout,
  ): TfGraphValue;
  /** `v` followed by the TensorFlow activation `op` a fused node names (`Relu`, `Relu6`, ...); refused when no row maps it. */
  withActivation(v: TfGraphValue, op: string): TfGraphValue;
  /** Refuse the node: what about it Stride does not import. */
  refuse(problem: string): never;
}

/** The TensorFlow ops a catalog row imports, and how. */
export interface TfjsGraphImport {
  /** TensorFlow op names. */
  readonly ops: readonly string[];
  /** Build the layer (and any helpers around it) into the graph; returns its output. */
  readonly create: (n: TfGraphNode) => TfGraphValue;
}

/** A channels-last axis of a value as Stride's axis (only NCHW feature maps move their axes). */
export function tfAxis(axis: number, v: TfGraphValue): number {
  const a = axis < 0 ? axis + v.rank : axis;
  return v.layout === 'nchw' && v.rank === 4 ? [0, 2, 3, 1][a]! : a;
}

/** A channels-last constant in the layout of the value it combines with. */
export function constantFor(t: Tensor, layout: TfLayout): Tensor {
  if (layout !== 'nchw' || t.ndim === 0 || t.size === 1) return t;
  if (t.ndim === 1) return t.reshape([t.size, 1, 1]);
  if (t.ndim === 4) return permute(t, [0, 3, 1, 2]).clone();
  if (t.ndim === 3) return permute(t, [2, 0, 1]).clone();
  return t;
}

/** A window op's `padding` attribute as Stride's padding ('same', or [top, bottom, left, right]). */
export function tfWindowPadding(n: TfGraphNode): 'same' | [number, number, number, number] {
  const p = n.attrs.string('padding', 'VALID');
  if (p === 'SAME') return 'same';
  if (p === 'VALID') return [0, 0, 0, 0];
  if (p === 'EXPLICIT') {
    const e = n.attrs.ints('explicit_paddings');
    if (e.length !== 8) n.refuse(`'${n.tfName}' has malformed explicit_paddings`);
    return [e[2]!, e[3]!, e[4]!, e[5]!];
  }
  return n.refuse(`'${n.tfName}' has unknown padding ${p}`);
}

/** Refuse a node whose data_format is not channels-last (NHWC), the only one the rows map. */
export function requireNhwc(n: TfGraphNode): void {
  const f = n.attrs.string('data_format', 'NHWC');
  if (f !== 'NHWC') n.refuse(`node '${n.tfName}' uses data_format ${f}`);
}
