import { noGrad } from '../../autograd/grad-mode.js';
import { ValueError } from '../../errors.js';
import { gelu } from '../../ops/activation.js';
import { logSoftmax, softmax } from '../../ops/softmax.js';
import type { Tensor } from '../../tensor/tensor.js';
import { reshapeTo } from './export-layers.js';
import { float, type OnnxBuilder } from './onnx-builder.js';

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
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  exp: 'Exp',
  log: 'Log',
  sqrt: 'Sqrt',
  abs: 'Abs',
  neg: 'Neg',
  selu: 'Selu',
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

function close(a: Tensor, b: Tensor): boolean {
  if (a.size !== b.size) return false;
  for (let i = 0; i < a.size; i++)
    if (Math.abs(a.data[i]! - b.data[i]!) > 1e-5 * (1 + Math.abs(b.data[i]!))) return false;
  return true;
}

/** The dimension a traced softmax normalized, found by recomputing each candidate. */
function softmaxDim(x: Tensor, y: Tensor, log: boolean): number | null {
  for (let d = 0; d < x.ndim; d++) {
    if (x.shape[d]! < 2) continue;
    if (
      close(
        noGrad(() => (log ? logSoftmax(x, d) : softmax(x, d))),
        y,
      )
    )
      return d;
  }
  return null;
}

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

/**
 * Export the operation that produced `t`, found in its autograd record, after the operations that
 * produced its inputs: the arithmetic and reshapes that containers and custom modules do between
 * layers (residual additions, gates, flattening, concatenation, matrix products). A tensor with
 * no record is a constant and becomes an initializer. Operations whose arguments the record does not
 * keep (slicing, permutations, pooling) must be layers; they are refused with that fix.
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
  else if (op === 'relu6') out = b.op('Clip', [ins[0]!, b.floats([0], [], 'min'), b.floats([6], [], 'max')]);
  else if (op === 'silu') out = b.op('Mul', [ins[0]!, b.op('Sigmoid', [ins[0]!])]);
  else if (op === 'hardsigmoid')
    out = b.op('HardSigmoid', [ins[0]!], { alpha: float(1 / 6), beta: float(0.5) });
  else if (op === 'hardswish')
    out = b.op('Mul', [ins[0]!, b.op('HardSigmoid', [ins[0]!], { alpha: float(1 / 6), beta: float(0.5) })]);
  else if (op === 'mish') out = b.op('Mul', [ins[0]!, b.op('Tanh', [b.op('Softplus', [ins[0]!])])]);
  else if (op === 'gelu') {
    const exact = close(
      noGrad(() => gelu(args[0]!)),
      t,
    );
    const x = ins[0]!;
    const inner = exact
      ? b.op('Erf', [b.op('Div', [x, b.floats([Math.SQRT2], [], 'sqrt2')])])
      : b.op('Tanh', [
          b.op('Mul', [
            b.op('Add', [
              x,
              b.op('Mul', [b.op('Mul', [x, b.op('Mul', [x, x])]), b.floats([0.044715], [], 'k')]),
            ]),
            b.floats([Math.sqrt(2 / Math.PI)], [], 's'),
          ]),
        ]);
    out = b.op('Mul', [
      b.op('Mul', [x, b.floats([0.5], [], 'half')]),
      b.op('Add', [inner, b.floats([1], [], 'one')]),
    ]);
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
  } else if (op === 'softmax' || op === 'logSoftmax') {
    const d = softmaxDim(args[0]!, t, op === 'logSoftmax');
    if (d === null)
      throw new ValueError(
        'exportOnnx',
        `cannot tell the dimension of a traced ${op}. Fix: use the Softmax layer`,
      );
    out = b.op(op === 'softmax' ? 'Softmax' : 'LogSoftmax', [ins[0]!], { axis: d });
  } else {
    throw new ValueError(
      'exportOnnx',
      `the operation '${op}' was called directly inside a module's forward, and its record does not keep what ONNX needs ` +
        `(window sizes, axes or slice bounds). Fix: use the layer class for it (e.g. new st.MaxPool2d(2), new st.Flatten()) ` +
        'so the export sees its options, or register an exporter for your module with st.registerOnnxExporter',
    );
  }
  names.set(t, out);
  return out;
}
