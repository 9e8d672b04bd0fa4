import type { Tensor } from '../../tensor/tensor.js';
import {
  OnnxAttributeType,
  OnnxDataType,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxTensor,
} from './onnx-proto.js';

/** An attribute value as converters give it; numbers are INT when integral unless `float()` wraps them. */
export type AttrInput = number | string | number[] | { float: number } | { floats: number[] } | OnnxTensor;

/** Mark a number as an ONNX FLOAT attribute (plain integral numbers become INT). */
export function float(v: number): { float: number } {
  return { float: v };
}

/** Mark a list as an ONNX FLOATS attribute. */
export function floats(v: number[]): { floats: number[] } {
  return { floats: v };
}

function toAttribute(name: string, v: AttrInput): OnnxAttribute {
  const T = OnnxAttributeType;
  if (typeof v === 'number') return { name, type: Number.isInteger(v) ? T.INT : T.FLOAT, value: v };
  if (typeof v === 'string') return { name, type: T.STRING, value: v };
  if (Array.isArray(v)) return { name, type: T.INTS, value: v };
  if ('float' in v) return { name, type: T.FLOAT, value: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, value: v.floats };
  return { name, type: T.TENSOR, value: v };
}

/** Operators whose output has a fixed type. */
const FIXED_OUTPUT: Readonly<Record<string, number>> = {
  Shape: OnnxDataType.INT64,
  Size: OnnxDataType.INT64,
};

/** Operators whose output type follows their first input (shape moves and arithmetic). */
const FOLLOWS_INPUT = new Set([
  'Identity',
  'Reshape',
  'Flatten',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Slice',
  'Gather',
  'Concat',
  'Expand',
  'Tile',
  'Split',
  'Pad',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Max',
  'Min',
  'Sum',
  'Neg',
  'Abs',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
]);

/** The element type of a node's outputs, from its operator and input types (FLOAT by default). */
function outputType(
  opType: string,
  inputs: readonly number[],
  attrs: ReadonlyMap<string, OnnxAttribute>,
): number {
  if (FIXED_OUTPUT[opType] !== undefined) return FIXED_OUTPUT[opType];
  if (opType === 'Cast') return (attrs.get('to')?.value as number | undefined) ?? OnnxDataType.FLOAT;
  if (opType === 'ConstantOfShape') {
    const v = attrs.get('value')?.value as OnnxTensor | undefined;
    return v ? v.dataType : OnnxDataType.FLOAT;
  }
  if (FOLLOWS_INPUT.has(opType) && inputs.length > 0) return inputs[0]!;
  return OnnxDataType.FLOAT;
}

/**
 * Collects the nodes and initializers of an ONNX graph being exported: unique value names,
 * initializers deduplicated by tensor (shared weights are stored once), small constants.
 */
export class OnnxBuilder {
  /** Nodes in topological order. */
  readonly nodes: OnnxNode[] = [];
  /** Weights and constants. */
  readonly initializers: OnnxTensor[] = [];
  readonly #taken = new Set<string>();
  readonly #byTensor = new Map<Tensor, string>();
  readonly #types = new Map<string, number>();

  /** The element type of a value (FLOAT unless it is known to be another). */
  typeOf(name: string): number {
    return this.#types.get(name) ?? OnnxDataType.FLOAT;
  }

  /** Record the element type of a value (graph inputs). */
  setType(name: string, type: number): void {
    this.#types.set(name, type);
  }

  /** A value name not used before, based on `hint`. */
  fresh(hint: string): string {
    const base = hint || 'v';
    let name = base;
    for (let i = 1; this.#taken.has(name); i++) name = `${base}_${i}`;
    this.#taken.add(name);
    return name;
  }

  /** Reserve an exact name (graph inputs). */
  reserve(name: string): string {
    this.#taken.add(name);
    return name;
  }

  /** The initializer holding `t` (float32), added once per tensor object. */
  weight(t: Tensor, hint: string): string {
    const known = this.#byTensor.get(t);
    if (known) return known;
    const name = this.fresh(hint);
    this.#byTensor.set(t, name);
    this.initializers.push({
      name,
      dims: [...t.shape],
      dataType: OnnxDataType.FLOAT,
      data: Float32Array.from(t.data),
    });
    return name;
  }

  /** A float32 constant initializer. */
  floats(values: readonly number[], dims: readonly number[], hint: string): string {
    const name = this.fresh(hint);
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: OnnxDataType.FLOAT,
      data: Float32Array.from(values),
    });
    return name;
  }

  /** An int64 constant initializer (shapes, pads, axes), 1-D unless `dims` is given. */
  ints(values: readonly number[], hint: string, dims: readonly number[] = [values.length]): string {
    const name = this.fresh(hint);
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: OnnxDataType.INT64,
      data: Float64Array.from(values, Math.trunc),
    });
    this.#types.set(name, OnnxDataType.INT64);
    return name;
  }

  /** Append a node; returns its output names (`outputs` of them). */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrInput>> = {},
    hint = opType,
    outputs = 1,
  ): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? hint : `${hint}_${i}`));
    const attributes = new Map<string, OnnxAttribute>();
    for (const [k, v] of Object.entries(attrs)) attributes.set(k, toAttribute(k, v));
    this.nodes.push({
      name: this.fresh(`${hint}/${opType}`),
      opType,
      domain: '',
      inputs: [...inputs],
      outputs: outs,
      attributes,
    });
    const type = outputType(
      opType,
      inputs.map((i) => this.typeOf(i)),
      attributes,
    );
    for (const o of outs) this.#types.set(o, type);
    return outs;
  }

  /** Append a one-output node and return its output name. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrInput>> = {},
    hint = opType,
  ): string {
    return this.node(opType, inputs, attrs, hint)[0]!;
  }
}
