import { ValueError } from '../../errors.js';
import type { OpAttrs } from '../../autograd/grad-fn.js';
import type { Tensor } from '../../tensor/tensor.js';
import { activationRowForOp } from '../catalog/activations.js';
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

/** The axis along which a traced concatenation joined its inputs. */
function concatAxis(inputs: readonly Tensor[], out: Tensor): number | null {
  for (let d = 0; d < out.ndim; d++) {
    const sum = inputs.reduce((n, t) => n + (t.shape[d] ?? 0), 0);
    const others = inputs.every(
      (t) => t.ndim === out.ndim && t.shape.every((s, i) => i === d || s === out.shape[i]),
    );
    if (sum === out.shape[d] && others) return d;
  }
  return null;
}

/** An integer list attribute the record must hold. */
function ints(attrs: OpAttrs, key: string): number[] {
  const v = attrs[key];
  if (!Array.isArray(v)) throw new ValueError('exportOnnx', `the record lacks its '${key}' attribute`);
  return [...(v as readonly number[])];
}

/**
 * The ONNX node (type and attributes) of a convolution or pooling the record describes: its
 * window geometry as it ran, read from the record's attributes.
 */
function windowNode(
  op: string,
  attrs: OpAttrs,
  x: Tensor,
): { type: string; attrs: Record<string, number | number[]> } {
  if (x.ndim !== 4) {
    throw new ValueError(
      'exportOnnx',
      `a traced ${op} of an unbatched [C, H, W] input has no ONNX form. Fix: add the batch dimension (x.unsqueeze(0))`,
    );
  }
  const window = {
    kernel_shape: ints(attrs, 'kernelShape'),
    strides: ints(attrs, 'strides'),
    pads: ints(attrs, 'pads'),
    dilations: ints(attrs, 'dilations'),
  };
  if (op === 'conv2d') return { type: 'Conv', attrs: { ...window, group: attrs.group as number } };
  const ceil_mode = attrs.ceilMode === true ? 1 : 0;
  if (op === 'maxPool2d') return { type: 'MaxPool', attrs: { ...window, ceil_mode } };
  if (attrs.divisorOverride !== 0) {
    throw new ValueError(
      'exportOnnx',
      'avgPool2d with divisorOverride has no ONNX equivalent. Fix: drop divisorOverride',
    );
  }
  // avgPool2d has no dilation (its record says 1).
  const { kernel_shape, strides, pads } = window;
  const count_include_pad = attrs.countIncludePad === true ? 1 : 0;
  return { type: 'AveragePool', attrs: { kernel_shape, strides, pads, ceil_mode, count_include_pad } };
}

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
  } else if (op === 'conv2d' || op === 'maxPool2d' || op === 'avgPool2d') {
    const node = windowNode(op, fn.attrs, args[0]!);
    out = b.op(node.type, ins, node.attrs, op);
  } else if (op === 'reshape') out = reshapeTo({ b, path: 'reshape' }, ins[0]!, args[0]!.shape, t.shape);
  else if (op === 'matmul') out = b.op('MatMul', [ins[0]!, ins[1]!]);
  else if (op === 'linear') {
    const [x, , bias] = args;
    if (x!.ndim === 2) out = b.op('Gemm', ins, { transB: 1 });
    else {
      const y = b.op('MatMul', [ins[0]!, b.op('Transpose', [ins[1]!], { perm: [1, 0] })]);
      out = bias ? b.op('Add', [y, ins[2]!]) : y;
    }
  } else if (op === 'concat') {
    const axis = args.length === 1 ? 0 : concatAxis(args, t);
    if (axis === null)
      throw new ValueError(
        'exportOnnx',
        'cannot tell the axis of a traced concat. Fix: use the Concat layer',
      );
    out = args.length === 1 ? b.op('Identity', ins) : b.op('Concat', ins, { axis });
  } else {
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
