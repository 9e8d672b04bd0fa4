import type { FusedActivation } from '../../ops/fused-activation.js';
import { Conv2d, Conv2dTranspose, DepthwiseSeparableConv2d } from '../../nn/conv.js';
import { activation, LazyLayer } from '../../nn/keras-shorthand.js';
import { Linear } from '../../nn/linear.js';
import { Add, Concat } from '../../nn/merge.js';
import type { Module } from '../../nn/module.js';
import { Upsample } from '../../nn/upsample.js';
import { ZeroPadChannels } from '../../models/face-recognition-net.js';
import { ACTIVATIONS } from '../catalog/activations.js';
import { ChannelsLastReshape } from '../channels-last-reshape.js';
import { GraphOp } from '../graph-op.js';
import { LAYER_ROWS } from '../catalog/layers.js';
import { float, type AttrInput } from './onnx-builder.js';
import { refuse, windowPads, type LayerExportContext, type LayerExporter } from './layer-export-context.js';
import { OnnxOp } from './onnx-op-layer.js';
import { OnnxAttributeType, OnnxDataType } from './onnx-proto.js';

export type { LayerExportContext, LayerExporter } from './layer-export-context.js';

const exporters = new Map<abstract new (...args: never[]) => Module, LayerExporter>();

/** Register how a layer class is written to ONNX (matched by exact class). */
export function registerOnnxExporter<M extends Module>(
  cls: abstract new (...args: never[]) => M,
  exporter: LayerExporter<M>,
): void {
  exporters.set(cls, exporter as unknown as LayerExporter);
}

/** The exporter of a layer's exact class, or undefined (containers and custom modules are traced through). */
export function onnxExporterOf(layer: Module): LayerExporter | undefined {
  return exporters.get(layer.constructor as abstract new (...args: never[]) => Module);
}

function clip(c: LayerExportContext, lo: number, hi: number, x: string = c.inputs[0]!): string {
  return c.b.op(
    'Clip',
    [x, c.b.floats([lo], [], `${c.path}.min`), c.b.floats([hi], [], `${c.path}.max`)],
    {},
    c.path,
  );
}

/** A layer's fused activation applied to its result `y` (ReLU, or ReLU6 as Clip(0, 6)). */
function withActivation(c: LayerExportContext, y: string, activation: FusedActivation | null): string {
  if (activation === 'relu') return c.b.op('Relu', [y], {}, c.path);
  if (activation === 'relu6') return clip(c, 0, 6, y);
  return y;
}

registerOnnxExporter(Conv2d, (m, c) => {
  const inputs = [c.inputs[0]!, c.b.weight(m.weight, `${c.path}.weight`)];
  if (m.bias) inputs.push(c.b.weight(m.bias, `${c.path}.bias`));
  const y = c.b.op(
    'Conv',
    inputs,
    {
      kernel_shape: [...m.kernelSize],
      strides: [...m.stride],
      dilations: [...m.dilation],
      group: m.groups,
      pads: windowPads(m.padding, c.inputTensors[0]!, m.kernelSize, m.stride, m.dilation),
    },
    c.path,
  );
  return withActivation(c, y, m.activation);
});

registerOnnxExporter(Conv2dTranspose, (m, c) => {
  const inputs = [c.inputs[0]!, c.b.weight(m.weight, `${c.path}.weight`)];
  if (m.bias) inputs.push(c.b.weight(m.bias, `${c.path}.bias`));
  return c.b.op(
    'ConvTranspose',
    inputs,
    {
      kernel_shape: [...m.kernelSize],
      strides: [...m.stride],
      dilations: [...m.dilation],
      group: m.groups,
      pads: [m.padding[0], m.padding[1], m.padding[0], m.padding[1]],
      output_padding: [...m.outputPadding],
    },
    c.path,
  );
});

registerOnnxExporter(Linear, (m, c) => {
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
});

// Activations: their ONNX form is in their catalog row.
for (const row of ACTIVATIONS) {
  registerOnnxExporter(row.cls, (m, c) =>
    row.onnx.emit(m, { b: c.b, x: c.inputs[0]!, path: c.path, rank: c.inputTensors[0]!.ndim }),
  );
}

// Pooling, shape and dropout layers: their ONNX form is in their catalog row.
for (const row of LAYER_ROWS) if (row.onnx) registerOnnxExporter(row.saved.cls, row.onnx);

registerOnnxExporter(Add, (m, c) => {
  const sum = c.inputs.slice(1).reduce((acc, v) => c.b.op('Add', [acc, v], {}, c.path), c.inputs[0]!);
  return withActivation(c, sum, m.activation);
});
registerOnnxExporter(Concat, (m, c) => {
  const rank = c.inputTensors[0]!.ndim;
  return c.b.op('Concat', [...c.inputs], { axis: m.dim < 0 ? m.dim + rank : m.dim }, c.path);
});
registerOnnxExporter(ZeroPadChannels, (m, c) => {
  const pads = c.b.ints([0, 0, 0, 0, 0, m.extra, 0, 0], `${c.path}.pads`);
  return c.b.op('Pad', [c.inputs[0]!, pads], { mode: 'constant' }, c.path);
});
registerOnnxExporter(Upsample, (m, c) => {
  const o = m.options;
  const mode = o.mode ?? 'nearest';
  const attrs: Record<string, AttrInput> =
    mode === 'nearest'
      ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
      : {
          mode: 'linear',
          coordinate_transformation_mode: o.alignCorners ? 'align_corners' : 'pytorch_half_pixel',
        };
  const empty = c.b.floats([], [0], `${c.path}.roi`);
  if (o.scaleFactor !== undefined) {
    const [sh, sw] = typeof o.scaleFactor === 'number' ? [o.scaleFactor, o.scaleFactor] : o.scaleFactor;
    return c.b.op(
      'Resize',
      [c.inputs[0]!, empty, c.b.floats([1, 1, sh, sw], [4], `${c.path}.scales`)],
      attrs,
      c.path,
    );
  }
  // A fixed output size: sizes = [N, C] of the input followed by [outH, outW].
  const shape = c.b.op('Shape', [c.inputs[0]!], {}, c.path);
  const nc = c.b.op(
    'Slice',
    [shape, c.b.ints([0], `${c.path}.start`), c.b.ints([2], `${c.path}.end`)],
    {},
    c.path,
  );
  const sizes = c.b.op(
    'Concat',
    [nc, c.b.ints([c.output.shape[2]!, c.output.shape[3]!], `${c.path}.hw`)],
    { axis: 0 },
    c.path,
  );
  return c.b.op('Resize', [c.inputs[0]!, empty, '', sizes], attrs, c.path);
});

/** Inputs that ONNX requires to be int64 (shapes, pads, axes, indices, sizes), by operator. */
const INT64_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1],
  Pad: [1],
  Slice: [1, 2, 3, 4],
  Unsqueeze: [1],
  Squeeze: [1],
  Expand: [1],
  Tile: [1],
  ConstantOfShape: [0],
  Resize: [3],
  Split: [1],
  ReduceSum: [1],
  ReduceMean: [1],
  ReduceMax: [1],
  ReduceMin: [1],
  ReduceSumSquare: [1],
  Gather: [1],
  MaxUnpool: [1, 2],
};

/** Operators whose inputs all share one type (a constant takes the type of the computed inputs). */
const UNIFORM_INPUTS = new Set(['Concat', 'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Mean', 'Pow']);

registerOnnxExporter(OnnxOp, (m, c) => {
  const computedType = m.slots.find((s) => s.kind === 'input');
  const uniformType =
    computedType && computedType.kind === 'input'
      ? c.b.typeOf(c.inputs[computedType.index]!)
      : OnnxDataType.FLOAT;
  const inputs = m.slots.map((s, i) => {
    if (s.kind === 'none') return '';
    if (s.kind === 'input') return c.inputs[s.index]!;
    const own = m.ownParameters().find(([n]) => n === s.name);
    const t = own ? own[1] : m.getBuffer(s.name)!;
    const int64 =
      (INT64_INPUTS[m.opType] ?? []).includes(i) ||
      (UNIFORM_INPUTS.has(m.opType) && uniformType === OnnxDataType.INT64);
    return int64
      ? c.b.ints([...t.data], `${c.path}.${s.name}`, t.shape)
      : c.b.weight(t, `${c.path}.${s.name}`);
  });
  const attrs: Record<string, AttrInput> = {};
  for (const [name, a] of m.attributes) {
    if (name === 'num_outputs' && m.opType === 'Split' && m.opset < 18) continue;
    if (a.type === OnnxAttributeType.FLOAT) attrs[name] = float(a.value as number);
    else if (a.type === OnnxAttributeType.FLOATS) attrs[name] = { floats: a.value as number[] };
    else if (
      a.type === OnnxAttributeType.INT ||
      a.type === OnnxAttributeType.STRING ||
      a.type === OnnxAttributeType.INTS
    )
      attrs[name] = a.value as AttrInput;
    else if (a.type === OnnxAttributeType.TENSOR) attrs[name] = a.value as AttrInput;
    else
      refuse(
        `OnnxOp[${m.opType}]`,
        `attribute '${name}' cannot be written back`,
        'export the original ONNX file instead',
      );
  }
  if (m.opType === 'Split' && !m.attributes.has('split') && !m.slots[1]) {
    // Equal parts: the number of parts was recorded at import; rebuild the outputs it needs.
    const parts = (m.attributes.get('num_outputs')?.value as number | undefined) ?? 2;
    return c.b.node('Split', inputs, attrs, c.path, parts)[m.outputIndex]!;
  }
  const outs = c.b.node(m.opType, inputs, attrs, c.path, m.outputIndex + 1);
  return outs[m.outputIndex]!;
});

registerOnnxExporter(ChannelsLastReshape, (m, c) => {
  const x = c.inputTensors[0]!;
  let v = c.inputs[0]!;
  if (x.ndim === 4) v = c.b.op('Transpose', [v], { perm: [0, 2, 3, 1] }, c.path);
  const target = c.b.ints([0, ...m.targetShape], `${c.path}.shape`);
  v = c.b.op('Reshape', [v, target], {}, c.path);
  return c.output.ndim === 4 ? c.b.op('Transpose', [v], { perm: [0, 3, 1, 2] }, c.path) : v;
});

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

registerOnnxExporter(GraphOp, (m, c) => {
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
});

registerOnnxExporter(LazyLayer, (m, c) => {
  if (!m.isBuilt)
    refuse(
      'a Keras-style layer',
      'it has not been built',
      'run one batch through the model before exporting',
    );
  const inner = m.layer;
  let y: string;
  if (inner instanceof DepthwiseSeparableConv2d) {
    const conv = onnxExporterOf(inner.depthwise)!;
    const mid = conv(inner.depthwise, { ...c, path: `${c.path}.depthwise` });
    y = conv(inner.pointwise, { ...c, path: `${c.path}.pointwise`, inputs: [mid] });
  } else {
    const exporter =
      onnxExporterOf(inner) ?? refuse(inner.typeName, 'it has no ONNX form', 'use layers with an ONNX form');
    y = exporter(inner, c);
  }
  const name = m.activationName;
  if (name === undefined) return y;
  const act = activation(name);
  const exporter =
    onnxExporterOf(act) ?? refuse(act.typeName, 'it has no ONNX form', 'use another activation');
  return exporter(act, { ...c, inputs: [y], inputTensors: [c.output], path: `${c.path}.activation` });
});
