/**
 * The catalog rows of the merge layers: Add (ONNX Add, with its fused ReLU/ReLU6) and Concat
 * (ONNX Concat). Concat's default dim is read from a layer built without arguments.
 */
import { Add, Concat } from '../../nn/merge.js';
import { withActivation } from '../onnx/layer-export-context.js';
import { activationJson, fusedActivation } from './config-values.js';
import { kerasNumber, toChannelsFirst } from './keras-layer.js';
import type { LayerRow } from './layer-row.js';

const CONCAT = new Concat();

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
};

/** Every merge layer's row. */
export const MERGE_LAYERS: readonly LayerRow[] = [add, concat] as unknown as readonly LayerRow[];
