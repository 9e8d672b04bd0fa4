/**
 * The catalog rows of the format-neutral layers the TF.js (and ONNX) importers build: GraphOp
 * (element-wise and reduction operations with input or constant operands) and ChannelsLastReshape
 * (Keras' Reshape/Flatten in channels-last order). Their saved forms live beside the layers
 * (io/graph-op.ts, io/channels-last-reshape.ts); their ONNX forms are here.
 */
import { CHANNELS_LAST_RESHAPE_SAVED, ChannelsLastReshape } from '../channels-last-reshape.js';
import { GRAPH_OP_SAVED, GraphOp } from '../graph-op.js';
import type { AttrInput } from '../onnx/onnx-builder.js';
import { OnnxDataType } from '../onnx/onnx-proto.js';
import { Identity } from '../../nn/reshape-layers.js';
import type { LayerRow } from './layer-row.js';

const channelsLastReshape: LayerRow<ChannelsLastReshape> = {
  saved: CHANNELS_LAST_RESHAPE_SAVED,
  onnx: (m, c) => {
    const x = c.inputTensors[0]!;
    let v = c.inputs[0]!;
    if (x.ndim === 4) v = c.b.op('Transpose', [v], { perm: [0, 2, 3, 1] }, c.path);
    const target = c.b.ints([0, ...m.targetShape], `${c.path}.shape`);
    v = c.b.op('Reshape', [v, target], {}, c.path);
    return c.output.ndim === 4 ? c.b.op('Transpose', [v], { perm: [0, 3, 1, 2] }, c.path) : v;
  },
  // Keras' Flatten and Reshape keep the channels-last element order, so dense weights still apply.
  keras: {
    classes: ['Flatten', 'Reshape'],
    create: (l) => {
      const x = l.inputs[0]!;
      if (l.className === 'Flatten')
        return x.rank === 2
          ? l.add(l.name, new Identity(), [x], 2)
          : l.add(l.name, new ChannelsLastReshape([-1]), [x], 2);
      const target = l.config.target_shape;
      if (!Array.isArray(target) || !target.every((d) => typeof d === 'number'))
        return l.refuse(`Reshape '${l.name}' has no target_shape`);
      return l.add(l.name, new ChannelsLastReshape(target as number[]), [x], target.length + 1);
    },
  },
};

/** ONNX operators of {@link GraphOp}'s operations. */
const GRAPH_OP_ONNX = {
  add: 'Add',
  sub: 'Sub',
  mul: 'Mul',
  div: 'Div',
  maximum: 'Max',
  minimum: 'Min',
  mean: 'ReduceMean',
  sum: 'ReduceSum',
  max: 'ReduceMax',
  squeeze: 'Squeeze',
} as const;

const graphOp: LayerRow<GraphOp> = {
  saved: GRAPH_OP_SAVED,
  onnx: (m, c) => {
    const op = GRAPH_OP_ONNX[m.op];
    const computed = m.operands.find((o) => typeof o === 'number');
    const intType = computed !== undefined && c.b.typeOf(c.inputs[computed]!) === OnnxDataType.INT64;
    const inputs = m.operands.map((o) => {
      if (typeof o === 'number') return c.inputs[o]!;
      const t = m.getBuffer(o)!;
      return intType ? c.b.ints([...t.data], `${c.path}.${o}`, t.shape) : c.b.weight(t, `${c.path}.${o}`);
    });
    const attrs: Record<string, AttrInput> = {};
    if (m.axes.length === 0) return c.b.op(op, inputs, attrs, c.path);
    if (m.op !== 'squeeze') attrs.keepdims = m.keepdims ? 1 : 0;
    // Squeeze and ReduceSum read their axes as an input from opset 13, ReduceMean and ReduceMax from 18.
    if (m.op === 'sum' || m.op === 'squeeze' || c.opset >= 18)
      inputs.push(c.b.ints([...m.axes], `${c.path}.axes`));
    else attrs.axes = [...m.axes];
    return c.b.op(op, inputs, attrs, c.path);
  },
  // Keras' two-input merges other than Add and Concatenate.
  keras: {
    classes: ['Multiply', 'Subtract', 'Maximum', 'Minimum'],
    create: (l) => {
      const ins = l.inputs;
      if (ins.length !== 2)
        l.refuse(`${l.className} '${l.name}' merges ${ins.length} inputs; two are supported`);
      const op = { Multiply: 'mul', Subtract: 'sub', Maximum: 'maximum', Minimum: 'minimum' } as const;
      const m = new GraphOp(op[l.className as keyof typeof op], [0, 1]);
      return l.add(l.name, m, ins, Math.max(...ins.map((v) => v.rank)));
    },
  },
};

/** The format-neutral layers' rows. */
export const GRAPH_LAYERS: readonly LayerRow[] = [
  graphOp,
  channelsLastReshape,
] as unknown as readonly LayerRow[];
