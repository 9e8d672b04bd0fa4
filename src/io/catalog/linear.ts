/**
 * The catalog row of Linear (Keras' Dense): ONNX Gemm on a matrix, MatMul (+ Add) on more
 * dimensions; imported from Gemm with transA 0 and alpha = beta = 1, and from MatMul by a constant.
 */
import { Linear } from '../../nn/linear.js';
import { biasSize } from './config-values.js';
import { copyInto, type LayerRow } from './layer-row.js';
import type { TfGraphNode, TfGraphValue } from './tfjs-graph-layer.js';

/** TensorFlow's matrix product of a [N, features] value with a constant weight, with its fused bias and activation. */
function tfMatMul(n: TfGraphNode): TfGraphValue {
  const a = n.attrs;
  const b = n.constant(1, `the weight of '${n.tfName}'`);
  if (a.bool('transpose_a', false) || n.x.rank !== 2)
    n.refuse(`'${n.tfName}' multiplies a transposed or non-2-D input`);
  const w = a.bool('transpose_b', false) ? b : b.transpose(0, 1).clone();
  const fused = n.op === '_FusedMatMul' ? a.strings('fused_ops') : [];
  const lin = new Linear(w.shape[1]!, w.shape[0]!, { bias: fused[0] === 'BiasAdd' });
  lin.weight.data.set(w.data);
  if (lin.bias) lin.bias.data.set(n.constant(2, `the bias of '${n.tfName}'`).data);
  const out = n.add(n.name, lin, [n.x], 2, 'plain');
  return fused[1] !== undefined ? n.withActivation(out, fused[1]) : out;
}

const linear: LayerRow<Linear> = {
  saved: {
    type: 'Linear',
    cls: Linear,
    toConfig: (m) => ({ inFeatures: m.inFeatures, outFeatures: m.outFeatures, bias: m.bias !== null }),
    fromConfig: (c) =>
      new Linear(c.int('inFeatures', undefined, 1), c.int('outFeatures', undefined, 1), {
        bias: c.bool('bias', true),
      }),
    stateSize: (c) => {
      const out = c.int('outFeatures', undefined, 1);
      return c.int('inFeatures', undefined, 1) * out + biasSize(c, out);
    },
  },
  onnx: (m, c) => {
    const x = c.inputTensors[0]!;
    if (x.ndim === 2) {
      const inputs = [c.inputs[0]!, c.b.weight(m.weight, `${c.path}.weight`)];
      if (m.bias) inputs.push(c.b.weight(m.bias, `${c.path}.bias`));
      return c.b.op('Gemm', inputs, { transB: 1 }, c.path);
    }
    const wt = m.weight.transpose(0, 1).clone();
    const y = c.b.op(
      'MatMul',
      [c.inputs[0]!, c.b.floats([...wt.data], wt.shape, `${c.path}.weight_t`)],
      {},
      c.path,
    );
    return m.bias ? c.b.op('Add', [y, c.b.weight(m.bias, `${c.path}.bias`)], {}, c.path) : y;
  },
  onnxImport: [
    {
      op: 'Gemm',
      rank: 'matrix',
      weightInputs: [1, 2],
      create: ({ attrs: a, consts, onlyFirstDynamic }) => {
        const [w, b] = [consts[1], consts[2] ?? null];
        if (!onlyFirstDynamic || !w || w.ndim !== 2 || a.int('transA', 0) !== 0) return null;
        if (a.float('alpha', 1) !== 1 || a.float('beta', 1) !== 1 || (b && b.ndim !== 1)) return null;
        const weight = a.int('transB', 0) ? w : w.transpose(0, 1).clone();
        const lin = new Linear(weight.shape[1]!, weight.shape[0]!, { bias: b !== null });
        if (!copyInto(lin.weight, weight) || (b && !copyInto(lin.bias!, b))) return null;
        return lin;
      },
    },
    {
      op: 'MatMul',
      weightInputs: [1],
      create: ({ consts, onlyFirstDynamic }) => {
        const w = consts[1];
        if (!onlyFirstDynamic || !w || w.ndim !== 2) return null;
        const lin = new Linear(w.shape[0]!, w.shape[1]!, { bias: false });
        return copyInto(lin.weight, w.transpose(0, 1).clone()) ? lin : null;
      },
    },
  ],
  keras: {
    classes: ['Dense'],
    create: (l) => {
      const x = l.inputs[0]!;
      if (x.rank !== 2)
        l.refuse(`Dense layer '${l.name}' reads a rank-${x.rank} tensor; only [N, features] is supported`);
      const k = l.weight('kernel'); // [in, out]
      const lin = new Linear(k.shape[0]!, k.shape[1]!, { bias: l.config.use_bias !== false });
      l.setWeight(lin.weight, k.transpose(0, 1).clone(), 'kernel');
      if (lin.bias) l.setWeight(lin.bias, l.weight('bias'), 'bias');
      return l.withActivation(l.add(l.name, lin, [x], 2));
    },
  },
  tfjsGraph: { ops: ['MatMul', '_FusedMatMul'], create: tfMatMul },
  functional: {
    ops: ['linear'],
    emit: ({ b, inputs: ins, args }) => {
      const [x, , bias] = args;
      if (x!.ndim === 2) return b.op('Gemm', [...ins], { transB: 1 });
      const y = b.op('MatMul', [ins[0]!, b.op('Transpose', [ins[1]!], { perm: [1, 0] })]);
      return bias ? b.op('Add', [y, ins[2]!]) : y;
    },
  },
};

/** Linear's row. */
export const LINEAR: readonly LayerRow[] = [linear] as unknown as readonly LayerRow[];
