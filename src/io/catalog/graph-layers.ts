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
import { Add } from '../../nn/merge.js';
import type { GraphOpKind, GraphOpOperand } from '../graph-op.js';
import { constantFor, tfAxis, type TfjsGraphImport, type TfLayout } from './tfjs-graph-layer.js';

/** TensorFlow's element-wise ops as GraphOp operations. */
const TF_BINARY: Readonly<Record<string, GraphOpKind>> = {
  BiasAdd: 'add',
  Add: 'add',
  AddV2: 'add',
  Sub: 'sub',
  Mul: 'mul',
  RealDiv: 'div',
  Maximum: 'maximum',
  Minimum: 'minimum',
};

/** TensorFlow's reductions as GraphOp operations. */
const TF_REDUCE: Readonly<Record<string, GraphOpKind>> = { Mean: 'mean', Max: 'max', Sum: 'sum' };

/** GraphOp's TensorFlow ops: element-wise (constants in the computed value's layout), reductions, squeeze. */
const TF_GRAPH_OPS: readonly TfjsGraphImport[] = [
  {
    ops: Object.keys(TF_BINARY),
    create: (n) => {
      const op = TF_BINARY[n.op]!;
      const rank = Math.max(...n.dynamic.map((v) => v.rank));
      const layout: TfLayout = n.dynamic.some((v) => v.layout === 'nchw') ? 'nchw' : 'plain';
      // The sum of two computed values is the Add layer.
      if (n.dynamic.length === 2 && op === 'add') return n.add(n.name, new Add(), n.dynamic, rank, layout);
      let k = 0;
      const operands: GraphOpOperand[] = n.inputs.map((v) =>
        v.kind === 'node' ? k++ : constantFor(v.tensor, layout).clone(),
      );
      return n.add(n.name, new GraphOp(op, operands), n.dynamic, rank, layout);
    },
  },
  {
    ops: Object.keys(TF_REDUCE),
    create: (n) => {
      const x = n.x;
      const axes = Array.from(n.constant(1, `the axes of '${n.tfName}'`).data, (v) => tfAxis(v, x));
      const keep = n.attrs.bool('keep_dims', n.attrs.bool('keepdims', false));
      const spatial = x.layout === 'nchw' && axes.length === 2 && axes.includes(2) && axes.includes(3);
      if (x.layout === 'nchw' && !keep && !spatial)
        n.refuse(`'${n.tfName}' reduces channels-last axes Stride cannot map`);
      const m = new GraphOp(TF_REDUCE[n.op]!, [0], { axes, keepdims: keep });
      return n.add(n.name, m, [x], keep ? x.rank : x.rank - axes.length, keep ? x.layout : 'plain');
    },
  },
  {
    ops: ['Squeeze'],
    create: (n) => {
      const x = n.x;
      const dims = n.attrs.ints('squeeze_dims').map((d) => tfAxis(d, x));
      if (dims.length === 0) n.refuse(`'${n.tfName}' squeezes every unit dimension; give squeeze_dims`);
      if (x.layout === 'nchw' && !(dims.length === 2 && dims.includes(2) && dims.includes(3)))
        n.refuse(`'${n.tfName}' squeezes channels-last axes Stride cannot map`);
      return n.add(n.name, new GraphOp('squeeze', [0], { axes: dims }), [x], x.rank - dims.length, 'plain');
    },
  },
];

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
  // TensorFlow's Reshape to a constant shape, in channels-last element order (0 keeps a dimension).
  tfjsGraph: {
    ops: ['Reshape'],
    create: (n) => {
      const target = Array.from(n.constant(1, `the shape of '${n.tfName}'`).data);
      const m = new ChannelsLastReshape(target.slice(1).map((d) => (d === 0 ? -1 : d)));
      return n.add(n.name, m, [n.x], target.length, target.length === 4 ? 'nchw' : 'plain');
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
  tfjsGraph: TF_GRAPH_OPS,
};

/** The format-neutral layers' rows. */
export const GRAPH_LAYERS: readonly LayerRow[] = [
  graphOp,
  channelsLastReshape,
] as unknown as readonly LayerRow[];
