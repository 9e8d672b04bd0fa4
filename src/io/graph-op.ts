import { ValueError } from '../errors.js';
import { Module } from '../nn/module.js';
import { add, div, maximum, minimum, mul, sub } from '../ops/elementwise.js';
import { max, mean, sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape-ops.js';
import { zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ConfigReader } from './config-reader.js';
import { isJsonObject, type JsonObject } from './json-value.js';
import type { LayerSerializer } from './layer-registry.js';

/** Element-wise operations of two operands (NumPy broadcasting). */
const BINARY = { add, sub, mul, div, maximum, minimum } as const;
/** Reductions over `axes`. */
const REDUCE = { mean, sum, max } as const;

/** The operations a {@link GraphOp} runs. */
export type GraphOpKind = keyof typeof BINARY | keyof typeof REDUCE | 'squeeze';

const KINDS: readonly GraphOpKind[] = [
  ...Object.keys(BINARY),
  ...Object.keys(REDUCE),
  'squeeze',
] as GraphOpKind[];

/** One operand of a {@link GraphOp}: the n-th tensor passed to `forward`, or a constant it holds. */
export type GraphOpOperand = number | Tensor;

/** Options of the reductions and of `squeeze`. */
export interface GraphOpOptions {
  /** The axes reduced or squeezed (negative counts from the end); required for reductions and squeeze. */
  readonly axes?: readonly number[];
  /** Reductions only: keep the reduced axes with size 1. Default false. */
  readonly keepdims?: boolean;
}

/**
 * One operation of an imported graph that has no Stride layer of its own: element-wise arithmetic
 * with a constant operand (`x * c`, `c - x`) or between two inputs, reductions over axes
 * (`mean`, `sum`, `max`, with or without the reduced axes kept) and `squeeze`. Format-neutral: its
 * options are plain values and it runs Stride's own ops, so any importer may build it. Constant
 * operands are buffers named `c<position>` (they load with the state dict and do not train).
 *
 * @example
 * ```ts
 * const scale = new GraphOp('mul', [0, st.tensor([2, 3]).reshape([1, 2])]);
 * const pooled = new GraphOp('mean', [0], { axes: [2, 3], keepdims: true });
 * ```
 */
export class GraphOp extends Module {
  /** The operation. */
  readonly op: GraphOpKind;
  /** Where each operand comes from: a forward-argument index, or `c<position>` for a constant. */
  readonly operands: readonly (number | `c${number}`)[];
  /** The reduced or squeezed axes (empty for element-wise operations). */
  readonly axes: readonly number[];
  /** Whether reductions keep the reduced axes. */
  readonly keepdims: boolean;

  constructor(op: GraphOpKind, operands: readonly GraphOpOperand[], opts: GraphOpOptions = {}) {
    super();
    if (!KINDS.includes(op))
      throw new ValueError('GraphOp', `op must be one of ${KINDS.join(', ')}, got ${JSON.stringify(op)}`);
    const arity = op in BINARY ? 2 : 1;
    if (operands.length !== arity)
      throw new ValueError('GraphOp', `'${op}' takes ${arity} operand(s), got ${operands.length}`);
    if (arity === 1 && typeof operands[0] !== 'number')
      throw new ValueError('GraphOp', `'${op}' reads a forward input, not a constant`);
    const axes = opts.axes ?? [];
    if (arity === 1 && axes.length === 0)
      throw new ValueError(
        'GraphOp',
        `'${op}' needs the axes it ${op === 'squeeze' ? 'squeezes' : 'reduces'}`,
      );
    if (arity === 2 && axes.length > 0) throw new ValueError('GraphOp', `'${op}' takes no axes`);
    if (!axes.every((a) => Number.isSafeInteger(a)))
      throw new ValueError('GraphOp', `axes must be integers, got ${JSON.stringify(axes)}`);
    this.op = op;
    this.axes = [...axes];
    this.keepdims = opts.keepdims ?? false;
    this.operands = operands.map((o, i) => {
      if (typeof o === 'number') {
        if (!Number.isSafeInteger(o) || o < 0)
          throw new ValueError('GraphOp', `an input operand must be an index >= 0, got ${o}`);
        return o;
      }
      this.registerBuffer(`c${i}`, o);
      return `c${i}` as const;
    });
  }

  /** Apply the operation to the forward inputs and the held constants. */
  forward(...inputs: Tensor[]): Tensor {
    const args = this.operands.map((o) => {
      if (typeof o !== 'number') return this.getBuffer(o)!;
      const t = inputs[o];
      if (t === undefined)
        throw new ValueError('GraphOp', `expected at least ${o + 1} input tensor(s), got ${inputs.length}`);
      return t;
    });
    const x = args[0]!;
    if (this.op in BINARY) return BINARY[this.op as keyof typeof BINARY](x, args[1]!);
    if (this.op in REDUCE) return REDUCE[this.op as keyof typeof REDUCE](x, this.axes, this.keepdims);
    const dims = this.axes.map((a) => (a < 0 ? a + x.ndim : a));
    for (const d of dims)
      if (x.shape[d] !== 1)
        throw new ValueError(
          'GraphOp',
          `squeeze axis ${d} of a tensor of shape [${x.shape.join(', ')}] has size ${String(x.shape[d])}, expected 1`,
        );
    return reshape(
      x,
      x.shape.filter((_, i) => !dims.includes(i)),
    );
  }

  override extraRepr(): string {
    const parts = [this.op, `operands=[${this.operands.join(', ')}]`];
    if (this.axes.length > 0) parts.push(`axes=[${this.axes.join(', ')}]`);
    if (this.keepdims) parts.push('keepdims=true');
    return parts.join(', ');
  }
}

interface OperandSpec {
  input?: number;
  shape?: number[];
}

function operandsFrom(c: ConfigReader): OperandSpec[] {
  return c.list('operands').map((o) => {
    if (typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) return { input: o };
    const ok =
      isJsonObject(o) &&
      Array.isArray(o.shape) &&
      o.shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);
    if (!ok) return c.fail('operands', 'a list of input indices and {shape} constants');
    return { shape: o.shape as number[] };
  });
}

/** GraphOp's saved form (its catalog row in io/catalog/ registers it). */
export const GRAPH_OP_SAVED: LayerSerializer<GraphOp> = {
  type: 'GraphOp',
  cls: GraphOp,
  toConfig: (m) => ({
    op: m.op,
    operands: m.operands.map((o) =>
      typeof o === 'number' ? o : ({ shape: [...m.getBuffer(o)!.shape] } as JsonObject),
    ),
    axes: [...m.axes],
    keepdims: m.keepdims,
  }),
  fromConfig: (c) => {
    const op = c.string('op');
    if (!KINDS.includes(op as GraphOpKind)) c.fail('op', `one of ${KINDS.join(', ')}`);
    const operands = operandsFrom(c).map((o) => o.input ?? zeros(o.shape!));
    return new GraphOp(op as GraphOpKind, operands, {
      axes: c.intList('axes'),
      keepdims: c.bool('keepdims', false),
    });
  },
  stateSize: (c) =>
    operandsFrom(c).reduce((n, o) => n + (o.shape ? o.shape.reduce((a, b) => a * b, 1) : 0), 0),
};
