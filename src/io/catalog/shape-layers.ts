/**
 * The catalog rows of the layers that only move or mask values: Identity, Flatten, ZeroPad2d and
 * the dropouts (identities at inference, so ONNX sees their input). Defaults are read from layers
 * built without arguments, so each is written once, in the layer's constructor.
 */
import { Dropout, Dropout2d } from '../../nn/dropout.js';
import { Flatten, Identity, ZeroPad2d } from '../../nn/reshape-layers.js';
import { reshapeTo } from '../onnx/layer-export-context.js';
import { kerasNumber, pairOf } from './keras-layer.js';
import type { LayerRow } from './layer-row.js';
import type { TfjsGraphImport } from './tfjs-graph-layer.js';

/** TensorFlow's Pad/PadV2 of a feature map's spatial borders with zeros (paddings [4, 2] in NHWC order). */
const TF_ZERO_PAD: TfjsGraphImport = {
  ops: ['Pad', 'PadV2'],
  create: (n) => {
    const p = Array.from(n.constant(1, `the paddings of '${n.tfName}'`).data);
    const value = n.op === 'PadV2' && n.inputs[2] ? n.constant(2, 'the pad value').data[0]! : 0;
    if (
      n.x.layout !== 'nchw' ||
      p.length !== 8 ||
      p[0] !== 0 ||
      p[1] !== 0 ||
      p[6] !== 0 ||
      p[7] !== 0 ||
      value !== 0
    )
      n.refuse(`'${n.tfName}' pads other than the spatial borders with zeros`);
    return n.add(n.name, new ZeroPad2d([p[4]!, p[5]!, p[2]!, p[3]!]), [n.x], 4, 'nchw');
  },
};

const FLATTEN = new Flatten();
const DROPOUT = new Dropout();
const DROPOUT_2D = new Dropout2d();

const identity: LayerRow<Identity> = {
  saved: { type: 'Identity', cls: Identity, toConfig: () => ({}), fromConfig: () => new Identity() },
  onnx: (_m, c) => c.inputs[0]!,
  onnxImport: {
    op: 'Identity',
    rank: 'first',
    fold: 'inputs',
    create: ({ onlyFirstDynamic }) => (onlyFirstDynamic ? new Identity() : null),
  },
};

const flatten: LayerRow<Flatten> = {
  saved: {
    type: 'Flatten',
    cls: Flatten,
    toConfig: (m) => ({ startDim: m.startDim, endDim: m.endDim }),
    fromConfig: (c) => new Flatten(c.int('startDim', FLATTEN.startDim), c.int('endDim', FLATTEN.endDim)),
  },
  onnx: (m, c) => {
    const x = c.inputTensors[0]!;
    const end = m.endDim < 0 ? m.endDim + x.ndim : m.endDim;
    if (m.startDim === 1 && end === x.ndim - 1) return c.b.op('Flatten', [c.inputs[0]!], { axis: 1 }, c.path);
    return reshapeTo(c, c.inputs[0]!, x.shape, c.output.shape);
  },
  onnxImport: {
    op: 'Flatten',
    rank: 'matrix',
    fold: 'inputs',
    // ONNX's Flatten always makes a matrix: Stride's Flatten(1, -1) when that is [N, rest].
    create: ({ attrs, rank, onlyFirstDynamic }) =>
      onlyFirstDynamic && attrs.int('axis', 1) === 1 && rank !== null && rank >= 2
        ? new Flatten(1, -1)
        : null,
  },
};

const zeroPad2d: LayerRow<ZeroPad2d> = {
  saved: {
    type: 'ZeroPad2d',
    cls: ZeroPad2d,
    toConfig: (m) => ({ padding: [...m.padding] }),
    fromConfig: (c) => {
      const p = c.intList('padding');
      if (p.length !== 4) c.fail('padding', '[left, right, top, bottom]');
      return new ZeroPad2d(p as [number, number, number, number]);
    },
  },
  onnx: (m, c) => {
    const [l, r, t, btm] = m.padding;
    const pads = c.b.ints([0, 0, t, l, 0, 0, btm, r], `${c.path}.pads`);
    return c.b.op('Pad', [c.inputs[0]!, pads], { mode: 'constant' }, c.path);
  },
  keras: {
    classes: ['ZeroPadding2D'],
    create: (l) => {
      // One number, [rows, cols], or [[top, bottom], [left, right]].
      const p = l.config.padding;
      let tb: [number, number];
      let lr: [number, number];
      if (typeof p === 'number')
        [tb, lr] = [
          [p, p],
          [p, p],
        ];
      else if (Array.isArray(p) && p.every((v) => typeof v === 'number'))
        [tb, lr] = [
          [p[0] as number, p[0] as number],
          [p[1] as number, p[1] as number],
        ];
      else if (Array.isArray(p) && p.every((v) => Array.isArray(v)))
        [tb, lr] = [pairOf(p[0], 0), pairOf(p[1], 0)];
      else return l.refuse(`ZeroPadding2D '${l.name}' has malformed padding`);
      return l.add(l.name, new ZeroPad2d([lr[0], lr[1], tb[0], tb[1]]), [l.inputs[0]!], 4);
    },
  },
  tfjsGraph: TF_ZERO_PAD,
};

const dropout: LayerRow<Dropout> = {
  saved: {
    type: 'Dropout',
    cls: Dropout,
    toConfig: (m) => ({ p: m.p }),
    fromConfig: (c) => new Dropout(c.number('p', DROPOUT.p)),
  },
  onnx: (_m, c) => c.inputs[0]!,
  onnxImport: {
    op: 'Dropout',
    rank: 'first',
    fold: 'inputs',
    create: ({ attrs, opset, consts, outputs, onlyFirstDynamic }) => {
      // The ratio is an attribute before opset 12 and an optional input after; ONNX's default is 0.5.
      const ratio = opset < 12 ? attrs.float('ratio', 0.5) : consts[1] ? consts[1].data[0]! : 0.5;
      if (!onlyFirstDynamic || outputs > 1 || !(ratio >= 0 && ratio < 1)) return null;
      return new Dropout(ratio);
    },
  },
  // Keras' default rate is 0.5; both are identities at inference.
  keras: {
    classes: ['Dropout', 'SpatialDropout2D'],
    create: (l) =>
      l.add(l.name, new Dropout(kerasNumber(l.config, 'rate', 0.5)), [l.inputs[0]!], l.inputs[0]!.rank),
  },
};

const dropout2d: LayerRow<Dropout2d> = {
  saved: {
    type: 'Dropout2d',
    cls: Dropout2d,
    toConfig: (m) => ({ p: m.p }),
    fromConfig: (c) => new Dropout2d(c.number('p', DROPOUT_2D.p)),
  },
  onnx: (_m, c) => c.inputs[0]!,
};

/** Every shape and dropout layer's row. */
export const SHAPE_LAYERS: readonly LayerRow[] = [
  identity,
  flatten,
  zeroPad2d,
  dropout,
  dropout2d,
] as unknown as readonly LayerRow[];
