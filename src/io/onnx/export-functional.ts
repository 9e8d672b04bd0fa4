import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { activationRowForOp } from '../catalog/activations.js';
import { functionalExportFor } from '../catalog/layers.js';
import { reshapeTo } from './layer-export-context.js';
import type { OnnxBuilder } from './onnx-builder.js';

/** The state of an export that functional ops need. */
export interface FunctionalExportContext {
  /** The graph being built. */
  readonly b: OnnxBuilder;
  /** ONNX names of the tensors exported so far. */
  readonly names: Map<Tensor, string>;
  /** The ONNX name of any traced tensor (exporting what produced it if needed). */
  readonly resolve: (t: Tensor) => string;
}

const UNARY: Readonly<Record<string, string>> = {
  exp: 'Exp',
  log: 'Log',
  sqrt: 'Sqrt',
  abs: 'Abs',
  neg: 'Neg',
  clone: 'Identity',
};

const BINARY: Readonly<Record<string, string>> = {
  add: 'Add',
  sub: 'Sub',
  mul: 'Mul',
  div: 'Div',
  pow: 'Pow',
  maximum: 'Max',
  minimum: 'Min',
};

/**
 * Export the operation that produced `t`, found in its autograd record, after the operations that
 * produced its inputs: the arithmetic and reshapes that containers and custom modules do between
 * layers (residual additions, gates, flattening, concatenation, matrix products). A tensor with
 * no record is a constant and becomes an initializer. Operations whose arguments the record does not
 * keep (slicing, permutations, adaptive pooling) must be layers; they are refused with that fix.
 * Convolutions and poolings called directly export from the geometry their records keep.
 */
export function exportFunctional(t: Tensor, ctx: FunctionalExportContext): string {
  const { b, names } = ctx;
  const known = names.get(t);
  if (known) return known;
  const fn = t.gradFn;
  if (fn === null) {
    const name = b.weight(t, t.requiresGrad ? 'param' : 'const');
    names.set(t, name);
    return name;
  }
  const args = fn.inputs;
  const ins = args.map((a) => ctx.resolve(a));
  let out: string;
  const op = fn.name;
  if (UNARY[op]) out = b.op(UNARY[op], [ins[0]!]);
  else if (BINARY[op]) out = b.op(BINARY[op], [ins[0]!, ins[1]!]);
  else if (op === 'square') out = b.op('Mul', [ins[0]!, ins[0]!]);
  else if (activationRowForOp(op)) {
    // An activation: its record keeps its resolved options, which rebuild the layer the catalog exports.
    const row = activationRowForOp(op)!;
    out = row.onnx.emit(row.create(fn.attrs as Record<string, number | string>), {
      b,
      x: ins[0]!,
      path: op,
      rank: args[0]!.ndim,
    });
  } else if (functionalExportFor(op)) {
    // A layer's op called directly (conv2d, the poolings, linear, concat): its catalog row writes
    // it from what the record keeps.
    out = functionalExportFor(op)!.emit({ b, op, inputs: ins, args, out: t, attrs: fn.attrs });
  } else if (op === 'reshape') out = reshapeTo({ b, path: 'reshape' }, ins[0]!, args[0]!.shape, t.shape);
  else if (op === 'matmul') out = b.op('MatMul', [ins[0]!, ins[1]!]);
  else {
    throw new ValueError(
      'exportOnnx',
      `the operation '${op}' was called directly inside a module's forward, and its record does not keep what ONNX needs ` +
        `(window sizes, axes or slice bounds). Fix: use the layer class for it (e.g. new st.Flatten(), new st.AdaptiveAvgPool2d(2)) ` +
        'so the export sees its options, or register an exporter for your module with st.registerOnnxExporter',
    );
  }
  names.set(t, out);
  return out;
}
