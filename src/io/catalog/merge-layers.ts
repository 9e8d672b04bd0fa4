/**
 * The catalog rows of the merge layers: Add (ONNX Add, with its fused ReLU/ReLU6) and Concat
 * (ONNX Concat). Concat's default dim is read from a layer built without arguments.
 */
import { ValueError } from '../../errors.js';
import { Add, Concat } from '../../nn/merge.js';
import type { Tensor } from '../../tensor/tensor.js';
import { withActivation } from '../onnx/layer-export-context.js';
import { activationJson, fusedActivation } from './config-values.js';
import { kerasNumber, toChannelsFirst } from './keras-layer.js';
import type { LayerRow } from './layer-row.js';
import { tfAxis } from './tfjs-graph-layer.js';

const CONCAT = new Concat();

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

const add: LayerRow<Add> = {
  saved: {
    type: 'Add',
    cls: Add,
    toConfig: (m) => activationJson(m.activation),
    fromConfig: (c) => new Add({ activation: fusedActivation(c) }),
  },
  onnx: (m, c) => {
    const sum = c.inputs.slice(1).reduce((acc, v) => c.b.op('Add', [acc, v], {}, c.path), c.inputs[0]!);
    return withActivation(c, sum, m.activation);
  },
  onnxImport: {
    op: 'Add',
    rank: 'broadcast',
    fold: 'broadcast',
    // Two computed inputs (a constant operand stays a generic ONNX op, which broadcasts it).
    create: ({ dynamic }) =>
      dynamic.length === 2 && dynamic[0] === 0 && dynamic[1] === 1 ? new Add() : null,
  },
  keras: {
    classes: ['Add'],
    create: (l) => l.add(l.name, new Add(), l.inputs, Math.max(...l.inputs.map((v) => v.rank))),
  },
  // TensorFlow's AddN of computed values (two-input Add/AddV2 are GraphOp's row, which may make an Add).
  tfjsGraph: {
    ops: ['AddN'],
    create: (n) => {
      if (n.dynamic.length !== n.inputs.length) n.refuse(`'${n.tfName}' adds constants`);
      return n.add(n.name, new Add(), n.dynamic, n.x.rank, n.x.layout);
    },
  },
};

const concat: LayerRow<Concat> = {
  saved: {
    type: 'Concat',
    cls: Concat,
    toConfig: (m) => ({ dim: m.dim }),
    fromConfig: (c) => new Concat(c.int('dim', CONCAT.dim)),
  },
  onnx: (m, c) => {
    const rank = c.inputTensors[0]!.ndim;
    return c.b.op('Concat', [...c.inputs], { axis: m.dim < 0 ? m.dim + rank : m.dim }, c.path);
  },
  onnxImport: {
    op: 'Concat',
    rank: 'first',
    fold: 'inputs',
    create: ({ attrs, dynamic, inputCount }) =>
      dynamic.length === inputCount && attrs.int('axis') >= 0 ? new Concat(attrs.int('axis')) : null,
  },
  // Keras concatenates along its (channels-last) axis, -1 by default.
  keras: {
    classes: ['Concatenate'],
    create: (l) => {
      const rank = l.inputs[0]!.rank;
      return l.add(
        l.name,
        new Concat(toChannelsFirst(kerasNumber(l.config, 'axis', -1), rank)),
        l.inputs,
        rank,
      );
    },
  },
  // TensorFlow's ConcatV2: the values, then the (channels-last) axis as a constant.
  tfjsGraph: {
    ops: ['ConcatV2'],
    create: (n) => {
      const axis = n.constant(n.inputs.length - 1, `the axis of '${n.tfName}'`).data[0]!;
      if (n.inputs.slice(0, -1).some((v) => v.kind === 'const'))
        n.refuse(`'${n.tfName}' concatenates constants`);
      return n.add(n.name, new Concat(tfAxis(axis, n.x)), n.dynamic, n.x.rank, n.x.layout);
    },
  },
  // A concat called directly: its record keeps no axis, so it is the one dimension the sizes add up on.
  functional: {
    ops: ['concat'],
    emit: ({ b, inputs: ins, args, out }) => {
      const axis = args.length === 1 ? 0 : concatAxis(args, out);
      if (axis === null)
        throw new ValueError(
          'exportOnnx',
          'cannot tell the axis of a traced concat. Fix: use the Concat layer',
        );
      return args.length === 1 ? b.op('Identity', [...ins]) : b.op('Concat', [...ins], { axis });
    },
  },
};

/** Every merge layer's row. */
export const MERGE_LAYERS: readonly LayerRow[] = [add, concat] as unknown as readonly LayerRow[];
