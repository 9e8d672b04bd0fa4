/**
 * The catalog rows of the convolutions: Conv2d (ONNX Conv, with its fused ReLU/ReLU6),
 * Conv2dTranspose (ONNX ConvTranspose) and DepthwiseSeparableConv2d (two Convs). Defaults are read
 * from the ConfigReader calls' fallbacks, which are PyTorch's (stride 1, padding 0, groups 1, bias).
 */
import { Conv2d, Conv2dTranspose, DepthwiseSeparableConv2d } from '../../nn/conv.js';
import type { ConfigReader } from '../config-reader.js';
import { windowExport, windowPads, withActivation } from '../onnx/layer-export-context.js';
import { activationJson, biasSize, fusedActivation, json, paddingJson } from './config-values.js';
import { convKernel, depthwiseKernel, pairOf, type KerasLayer } from './keras-layer.js';
import { copyInto, type LayerRow } from './layer-row.js';
import { ZeroPad2d } from '../../nn/reshape-layers.js';
import { BatchNorm2d } from '../../nn/normalization.js';
import { permute } from '../../ops/shape-ops.js';
import { requireNhwc, tfWindowPadding, type TfGraphNode, type TfGraphValue } from './tfjs-graph-layer.js';

/** Weight + bias values of a (transposed) convolution: out·in/groups·kH·kW, plus out for the bias. */
function convStateSize(c: ConfigReader): number {
  const [kh, kw] = c.pair('kernelSize');
  const out = c.int('outChannels', undefined, 1);
  return (out * c.int('inChannels', undefined, 1) * kh * kw) / c.int('groups', 1, 1) + biasSize(c, out);
}

/** Keras' Conv2D: kernel [kh, kw, in, out], optional groups. */
function kerasConv2d(l: KerasLayer) {
  const cfg = l.config;
  const k = convKernel(l.weight('kernel'));
  const groups = typeof cfg.groups === 'number' ? cfg.groups : 1;
  const conv = new Conv2d(k.shape[1]! * groups, k.shape[0]!, [k.shape[2]!, k.shape[3]!], {
    stride: pairOf(cfg.strides, 1),
    padding: l.padding,
    dilation: pairOf(cfg.dilation_rate, 1),
    groups,
    bias: cfg.use_bias !== false,
  });
  l.setWeight(conv.weight, k, 'kernel');
  if (conv.bias) l.setWeight(conv.bias, l.weight('bias'), 'bias');
  return l.withActivation(l.add(l.name, conv, [l.inputs[0]!], 4));
}

/** Keras' DepthwiseConv2D (a grouped Conv2d) and SeparableConv2D (that, then a 1x1 Conv2d). */
function kerasDepthwise(l: KerasLayer) {
  const cfg = l.config;
  const k = depthwiseKernel(l.weight('depthwise_kernel'));
  const cin = k.shape[0]! / (typeof cfg.depth_multiplier === 'number' ? cfg.depth_multiplier : 1);
  const separable = l.className === 'SeparableConv2D';
  const dw = new Conv2d(cin, k.shape[0]!, [k.shape[2]!, k.shape[3]!], {
    stride: pairOf(cfg.strides, 1),
    padding: l.padding,
    dilation: pairOf(cfg.dilation_rate, 1),
    groups: cin,
    bias: !separable && cfg.use_bias !== false,
  });
  l.setWeight(dw.weight, k, 'depthwise_kernel');
  if (dw.bias) l.setWeight(dw.bias, l.weight('bias'), 'bias');
  let out = l.add(separable ? `${l.name}_depthwise` : l.name, dw, [l.inputs[0]!], 4);
  if (separable) {
    const pk = convKernel(l.weight('pointwise_kernel'));
    const pw = new Conv2d(pk.shape[1]!, pk.shape[0]!, 1, { bias: cfg.use_bias !== false });
    l.setWeight(pw.weight, pk, 'pointwise_kernel');
    if (pw.bias) l.setWeight(pw.bias, l.weight('bias'), 'bias');
    out = l.add(l.name, pw, [out], 4);
  }
  return l.withActivation(out);
}

/** Keras' Conv2DTranspose: kernel [kh, kw, out, in]; 'same' crops like TensorFlow. */
function kerasConvTranspose(l: KerasLayer) {
  const cfg = l.config;
  const k = convKernel(l.weight('kernel')); // [in, out, kh, kw]
  const stride = pairOf(cfg.strides, 1);
  const [kh, kw] = [k.shape[2]!, k.shape[3]!];
  const bias = cfg.use_bias !== false ? l.weight('bias') : null;
  // Keras' output is (in - 1) * stride + max(k, stride) ('valid') or in * stride ('same'):
  // the full transposed convolution, output-padded up to the stride when the kernel is smaller,
  // and for 'same' cropped by k - stride (TensorFlow crops the odd one at the end).
  const extra: [number, number] = [Math.max(stride[0] - kh, 0), Math.max(stride[1] - kw, 0)];
  const total = [Math.max(kh - stride[0], 0), Math.max(kw - stride[1], 0)];
  const p: [number, number] =
    l.padding === 'valid' ? [0, 0] : [Math.floor(total[0]! / 2), Math.floor(total[1]! / 2)];
  const conv = new Conv2dTranspose(k.shape[0]!, k.shape[1]!, [kh, kw], {
    stride,
    padding: p,
    outputPadding: extra,
    bias: bias !== null,
  });
  l.setWeight(conv.weight, k, 'kernel');
  if (bias) l.setWeight(conv.bias!, bias, 'bias');
  let out = l.add(l.name, conv, [l.inputs[0]!], 4);
  const odd = l.padding === 'same' ? [total[0]! % 2, total[1]! % 2] : [0, 0];
  if (odd[0] !== 0 || odd[1] !== 0)
    out = l.add(`${l.name}_crop`, new ZeroPad2d([0, -odd[1]!, 0, -odd[0]!]), [out], 4);
  return l.withActivation(out);
}

/**
 * TensorFlow's convolutions (plain and depthwise, fused or not): the filter [kh, kw, in, out]
 * (depthwise: [kh, kw, in, multiplier]) transposed to Stride's, then the fused bias or batch norm
 * and activation as their layers.
 */
function tfConv2d(n: TfGraphNode): TfGraphValue {
  requireNhwc(n);
  const a = n.attrs;
  const depthwise = n.op.includes('Depthwise');
  const k = n.constant(1, `the filter of '${n.tfName}'`);
  const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
  const fused = n.op.startsWith('_Fused') || n.op.startsWith('Fused') ? a.strings('fused_ops') : [];
  const hasBias = fused[0] === 'BiasAdd';
  const bn = fused[0] === 'FusedBatchNorm' || fused[0] === 'FusedBatchNormV3';
  const stride = a.ints('strides');
  const dil = a.ints('dilations');
  const conv = new Conv2d(cin, depthwise ? cin * cout : cout, [kh, kw], {
    stride: stride.length === 4 ? [stride[1]!, stride[2]!] : 1,
    padding: tfWindowPadding(n),
    dilation: dil.length === 4 ? [dil[1]!, dil[2]!] : 1,
    groups: depthwise ? cin : 1,
    bias: hasBias,
  });
  const w = depthwise
    ? permute(k, [2, 3, 0, 1])
        .clone()
        .reshape([cin * cout, 1, kh, kw])
    : permute(k, [3, 2, 0, 1]).clone();
  conv.weight.data.set(w.data);
  if (hasBias) conv.bias!.data.set(n.constant(2, `the bias of '${n.tfName}'`).data);
  let out = n.add(n.name, conv, [n.x], 4, 'nchw');
  if (bn) {
    const [scale, offset, mean, variance] = [2, 3, 4, 5].map((i) =>
      n.constant(i, `the batch-norm parameters of '${n.tfName}'`),
    );
    const norm = new BatchNorm2d(scale!.size, { eps: a.float('epsilon', 1e-3) });
    norm.weight!.data.set(scale!.data);
    norm.bias!.data.set(offset!.data);
    norm.runningMean!.data.set(mean!.data);
    norm.runningVar!.data.set(variance!.data);
    out = n.add(`${n.name}_bn`, norm.eval(), [out], 4, 'nchw');
  }
  const act = fused[1];
  if (act !== undefined) out = n.withActivation(out, act);
  else if (fused.length > 1 && !bn) n.refuse(`'${n.tfName}' fuses ${fused.join(', ')}`);
  return out;
}

/**
 * TensorFlow's transposed convolution: inputs (output size, filter [kh, kw, out, in], value). TF
 * crops the full (in-1)·s + k output to the requested size, SAME taking floor(extra/2) from the
 * start; PyTorch's padding crops p from both ends and outputPadding adds back at the end. The input
 * size is the forward convolution's output size for an input of the output size.
 */
function tfConvTranspose(n: TfGraphNode): TfGraphValue {
  requireNhwc(n);
  const size = Array.from(n.constant(0, `the output size of '${n.tfName}'`).data);
  const k = n.constant(1, `the filter of '${n.tfName}'`);
  const [kh, kw, cout, cin] = k.shape as [number, number, number, number];
  const st = n.attrs.ints('strides');
  if (n.attrs.ints('dilations').some((d) => d !== 1))
    n.refuse(`'${n.tfName}' is a dilated transposed convolution`);
  const stride: [number, number] = st.length === 4 ? [st[1]!, st[2]!] : [1, 1];
  const same = tfWindowPadding(n) === 'same';
  const padding: number[] = [];
  const outputPadding: number[] = [];
  for (const d of [0, 1]) {
    const o = size[d + 1]!;
    const kk = d === 0 ? kh : kw;
    const s = stride[d]!;
    const inSize = same ? Math.ceil(o / s) : Math.floor((o - kk) / s) + 1;
    const extra = (inSize - 1) * s + kk - o;
    if (same && extra >= 0 && extra % 2 === 0) {
      padding.push(extra / 2);
      outputPadding.push(0);
    } else if (!same && extra <= 0 && -extra < s) {
      padding.push(0);
      outputPadding.push(-extra);
    } else n.refuse(`'${n.tfName}' crops its output in a way Stride's transposed convolution does not match`);
  }
  const m = new Conv2dTranspose(cin, cout, [kh, kw], {
    stride,
    padding: [padding[0]!, padding[1]!],
    outputPadding: [outputPadding[0]!, outputPadding[1]!],
    bias: false,
  });
  m.weight.data.set(permute(k, [3, 2, 0, 1]).clone().data);
  return n.add(n.name, m, [n.x], 4, 'nchw');
}

const conv2d: LayerRow<Conv2d> = {
  saved: {
    type: 'Conv2d',
    cls: Conv2d,
    toConfig: (m) => ({
      inChannels: m.inChannels,
      outChannels: m.outChannels,
      kernelSize: json(m.kernelSize),
      stride: json(m.stride),
      padding: paddingJson(m.padding),
      dilation: json(m.dilation),
      groups: m.groups,
      bias: m.bias !== null,
      ...activationJson(m.activation),
    }),
    fromConfig: (c) =>
      new Conv2d(
        c.int('inChannels', undefined, 1),
        c.int('outChannels', undefined, 1),
        c.pair('kernelSize'),
        {
          stride: c.pair('stride', 1),
          padding: c.padding('padding'),
          dilation: c.pair('dilation', 1),
          groups: c.int('groups', 1, 1),
          bias: c.bool('bias', true),
          activation: fusedActivation(c),
        },
      ),
    stateSize: convStateSize,
  },
  onnx: (m, c) => {
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
  },
  onnxImport: {
    op: 'Conv',
    rank: 'first',
    weightInputs: [1, 2],
    create: ({ attrs: a, consts, onlyFirstDynamic }) => {
      const [w, b] = [consts[1], consts[2] ?? null];
      if (!onlyFirstDynamic || !w || w.ndim !== 4) return null;
      const autoPad = a.string('auto_pad', 'NOTSET');
      const p = a.ints('pads', [0, 0, 0, 0]);
      let padding: [number, number, number, number] | 'same';
      if (autoPad === 'SAME_UPPER') padding = 'same';
      else if (autoPad === 'VALID') padding = [0, 0, 0, 0];
      else if (autoPad === 'NOTSET' && p.length === 4) padding = [p[0]!, p[2]!, p[1]!, p[3]!];
      else return null;
      const group = a.int('group', 1);
      const conv = new Conv2d(w.shape[1]! * group, w.shape[0]!, [w.shape[2]!, w.shape[3]!], {
        stride: a.ints('strides', [1, 1]) as [number, number],
        padding,
        dilation: a.ints('dilations', [1, 1]) as [number, number],
        groups: group,
        bias: b !== null,
      });
      if (!copyInto(conv.weight, w) || (b && !copyInto(conv.bias!, b))) return null;
      return conv;
    },
  },
  keras: { classes: ['Conv2D'], create: kerasConv2d },
  tfjsGraph: {
    ops: ['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative'],
    create: tfConv2d,
  },
  functional: { ops: ['conv2d'], emit: windowExport },
};

const conv2dTranspose: LayerRow<Conv2dTranspose> = {
  saved: {
    type: 'Conv2dTranspose',
    cls: Conv2dTranspose,
    toConfig: (m) => ({
      inChannels: m.inChannels,
      outChannels: m.outChannels,
      kernelSize: json(m.kernelSize),
      stride: json(m.stride),
      padding: json(m.padding),
      outputPadding: json(m.outputPadding),
      dilation: json(m.dilation),
      groups: m.groups,
      bias: m.bias !== null,
    }),
    fromConfig: (c) =>
      new Conv2dTranspose(
        c.int('inChannels', undefined, 1),
        c.int('outChannels', undefined, 1),
        c.pair('kernelSize'),
        {
          stride: c.pair('stride', 1),
          padding: c.pair('padding', 0, 0),
          outputPadding: c.pair('outputPadding', 0, 0),
          dilation: c.pair('dilation', 1),
          groups: c.int('groups', 1, 1),
          bias: c.bool('bias', true),
        },
      ),
    stateSize: convStateSize,
  },
  onnx: (m, c) => {
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
  },
  onnxImport: {
    op: 'ConvTranspose',
    rank: 'first',
    weightInputs: [1, 2],
    create: ({ attrs: a, consts, onlyFirstDynamic }) => {
      const [w, b] = [consts[1], consts[2] ?? null];
      if (!onlyFirstDynamic || !w || w.ndim !== 4) return null;
      if (a.has('output_shape') || a.string('auto_pad', 'NOTSET') !== 'NOTSET') return null;
      const p = a.ints('pads', [0, 0, 0, 0]);
      if (p.length !== 4 || p[0] !== p[2] || p[1] !== p[3]) return null;
      const stride = a.ints('strides', [1, 1]) as [number, number];
      const dilation = a.ints('dilations', [1, 1]) as [number, number];
      const outputPadding = a.ints('output_padding', [0, 0]) as [number, number];
      if (outputPadding.some((v, i) => v >= Math.max(stride[i]!, dilation[i]!))) return null;
      const group = a.int('group', 1);
      const conv = new Conv2dTranspose(w.shape[0]!, w.shape[1]! * group, [w.shape[2]!, w.shape[3]!], {
        stride,
        padding: [p[0]!, p[1]!],
        outputPadding,
        dilation,
        groups: group,
        bias: b !== null,
      });
      if (!copyInto(conv.weight, w) || (b && !copyInto(conv.bias!, b))) return null;
      return conv;
    },
  },
  keras: { classes: ['Conv2DTranspose'], create: kerasConvTranspose },
  tfjsGraph: { ops: ['Conv2DBackpropInput'], create: tfConvTranspose },
};

const depthwiseSeparable: LayerRow<DepthwiseSeparableConv2d> = {
  saved: {
    type: 'DepthwiseSeparableConv2d',
    cls: DepthwiseSeparableConv2d,
    toConfig: (m) => ({
      inChannels: m.depthwise.inChannels,
      outChannels: m.pointwise.outChannels,
      kernelSize: json(m.depthwise.kernelSize),
      stride: json(m.depthwise.stride),
      padding: paddingJson(m.depthwise.padding),
      dilation: json(m.depthwise.dilation),
      depthMultiplier: m.depthwise.outChannels / m.depthwise.inChannels,
      bias: m.depthwise.bias !== null,
    }),
    fromConfig: (c) =>
      new DepthwiseSeparableConv2d(
        c.int('inChannels', undefined, 1),
        c.int('outChannels', undefined, 1),
        c.pair('kernelSize'),
        {
          stride: c.pair('stride', 1),
          padding: c.padding('padding'),
          dilation: c.pair('dilation', 1),
          depthMultiplier: c.int('depthMultiplier', 1, 1),
          bias: c.bool('bias', true),
        },
      ),
    stateSize: (c) => {
      const [kh, kw] = c.pair('kernelSize');
      const mid = c.int('inChannels', undefined, 1) * c.int('depthMultiplier', 1, 1);
      const out = c.int('outChannels', undefined, 1);
      return mid * kh * kw + biasSize(c, mid) + mid * out + biasSize(c, out);
    },
  },
  // Its two convolutions are Conv2d layers, which ONNX export traces through. Keras' depthwise and
  // separable convolutions import as those Conv2d layers.
  keras: { classes: ['DepthwiseConv2D', 'SeparableConv2D'], create: kerasDepthwise },
};

/** Every convolution's row. */
export const CONVOLUTIONS: readonly LayerRow[] = [
  conv2d,
  conv2dTranspose,
  depthwiseSeparable,
] as unknown as readonly LayerRow[];
