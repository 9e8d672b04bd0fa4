/**
 * The pooling catalog: one row per pooling layer, holding its saved form, its ONNX form and the
 * ONNX operator that imports as it (see layer-row.ts). Defaults are read from layers built with
 * only their required arguments, so each is written once, in the layer's constructor.
 */
import {
  AdaptiveAvgPool2d,
  AdaptiveMaxPool2d,
  AvgPool2d,
  ChannelMaxPool,
  GlobalAvgPool2d,
  GlobalMaxPool2d,
  MaxPool2d,
  MaxUnpool2d,
} from '../../nn/pooling.js';
import { pair } from '../../ops/geometry.js';
import type { AvgPool2dOptions } from '../../ops/pool2d.js';
import { refuse, windowExport, windowPads, type LayerExportContext } from '../onnx/layer-export-context.js';
import { adaptiveSize, defined, json, paddingJson } from './config-values.js';
import { pairOf, type KerasImport } from './keras-layer.js';
import type { LayerRow } from './layer-row.js';
import { tfWindowPadding, type TfjsGraphImport } from './tfjs-graph-layer.js';

/** TensorFlow's MaxPool or AvgPool (ksize and strides in NHWC order; AvgPool averages over the window's real pixels). */
function tfPool(op: 'MaxPool' | 'AvgPool'): TfjsGraphImport {
  return {
    ops: [op],
    create: (n) => {
      const k = n.attrs.ints('ksize');
      const s = n.attrs.ints('strides');
      if (k.length !== 4 || s.length !== 4) n.refuse(`'${n.tfName}' has malformed ksize or strides`);
      const padding = tfWindowPadding(n);
      const pool: [number, number] = [k[1]!, k[2]!];
      const stride: [number, number] = [s[1]!, s[2]!];
      const m =
        op === 'MaxPool'
          ? new MaxPool2d(pool, { stride, padding })
          : new AvgPool2d(pool, { stride, padding, countIncludePad: false });
      return n.add(n.name, m, [n.x], 4, 'nchw');
    },
  };
}

const MAX_POOL = new MaxPool2d(1);
const GLOBAL_AVG = new GlobalAvgPool2d();
const GLOBAL_MAX = new GlobalMaxPool2d();
const MAX_UNPOOL = new MaxUnpool2d(1);

/** Adaptive pooling as its global form, or as a fixed window when the input divides evenly. */
function adaptive(
  m: AdaptiveAvgPool2d | AdaptiveMaxPool2d,
  c: LayerExportContext,
  global: string,
  windowed: string,
): string {
  const x = c.inputTensors[0]!;
  const size = typeof m.outputSize === 'number' ? [m.outputSize, m.outputSize] : m.outputSize;
  const out = [size[0] ?? x.shape[2]!, size[1] ?? x.shape[3]!];
  if (out[0] === 1 && out[1] === 1) return c.b.op(global, [c.inputs[0]!], {}, c.path);
  const inH = x.shape[2]!;
  const inW = x.shape[3]!;
  if (inH % out[0]! !== 0 || inW % out[1]! !== 0) {
    refuse(
      m.typeName,
      `the ${inH}x${inW} input does not divide into ${out[0]}x${out[1]} equal windows`,
      'export with an input size that is a multiple of the output size, or use a fixed pooling layer',
    );
  }
  const k = [inH / out[0]!, inW / out[1]!];
  return c.b.op(windowed, [c.inputs[0]!], { kernel_shape: k, strides: k }, c.path);
}

function globalPool(m: GlobalAvgPool2d | GlobalMaxPool2d, c: LayerExportContext, opType: string): string {
  const y = c.b.op(opType, [c.inputs[0]!], {}, c.path);
  return m.keepdim ? y : c.b.op('Flatten', [y], { axis: 1 }, c.path);
}

/** Keras' MaxPooling2D and AveragePooling2D (strides default to the pool size; 'same' averages the valid values). */
const kerasPool = (className: 'MaxPooling2D' | 'AveragePooling2D'): KerasImport => ({
  classes: [className],
  create: (l) => {
    const cfg = l.config;
    const pool = pairOf(cfg.pool_size, 2);
    const stride = cfg.strides === null || cfg.strides === undefined ? pool : pairOf(cfg.strides, 1);
    const m =
      l.className === 'MaxPooling2D'
        ? new MaxPool2d(pool, { stride, padding: l.padding })
        : new AvgPool2d(pool, { stride, padding: l.padding, countIncludePad: false });
    return l.add(l.name, m, [l.inputs[0]!], 4);
  },
});

/** Keras' global poolings (keepdims off by default). */
const kerasGlobalPool = (className: 'GlobalAveragePooling2D' | 'GlobalMaxPooling2D'): KerasImport => ({
  classes: [className],
  create: (l) => {
    const keepdim = l.config.keepdims === true;
    const m =
      l.className === 'GlobalAveragePooling2D'
        ? new GlobalAvgPool2d({ keepdim })
        : new GlobalMaxPool2d({ keepdim });
    return l.add(l.name, m, [l.inputs[0]!], keepdim ? 4 : 2);
  },
});

const maxPool2d: LayerRow<MaxPool2d> = {
  saved: {
    type: 'MaxPool2d',
    cls: MaxPool2d,
    toConfig: (m) => ({
      kernelSize: json(m.kernelSize),
      stride: json(m.stride),
      padding: paddingJson(m.padding),
      dilation: json(m.dilation),
      ceilMode: m.ceilMode,
    }),
    fromConfig: (c) => {
      const kernelSize = c.pair('kernelSize');
      return new MaxPool2d(kernelSize, {
        stride: c.pair('stride', kernelSize),
        padding: c.padding('padding', MAX_POOL.padding),
        dilation: c.pair('dilation', MAX_POOL.dilation),
        ceilMode: c.bool('ceilMode', MAX_POOL.ceilMode),
      });
    },
  },
  onnx: (m, c) =>
    c.b.op(
      'MaxPool',
      [c.inputs[0]!],
      {
        kernel_shape: [...m.kernelSize],
        strides: [...m.stride],
        dilations: [...m.dilation],
        pads: windowPads(m.padding, c.inputTensors[0]!, m.kernelSize, m.stride, m.dilation),
        ceil_mode: m.ceilMode ? 1 : 0,
      },
      c.path,
    ),
  onnxImport: {
    op: 'MaxPool',
    rank: 'first',
    create: ({ attrs: a, rank, outputs, onlyFirstDynamic }) => {
      if (!onlyFirstDynamic || rank !== 4 || outputs > 1 || a.int('storage_order', 0) !== 0) return null;
      const kernel = a.ints('kernel_shape');
      const autoPad = a.string('auto_pad', 'NOTSET');
      const p = a.ints('pads', [0, 0, 0, 0]);
      if (kernel.length !== 2 || (autoPad !== 'NOTSET' && autoPad !== 'VALID') || p.length !== 4) return null;
      // Stride's (and PyTorch's) pooling pads at most half the window on each side.
      if (
        p[0]! > kernel[0]! / 2 ||
        p[2]! > kernel[0]! / 2 ||
        p[1]! > kernel[1]! / 2 ||
        p[3]! > kernel[1]! / 2
      ) {
        return null;
      }
      // ONNX's attribute defaults: stride 1, dilation 1, floor mode.
      return new MaxPool2d(kernel as [number, number], {
        stride: a.ints('strides', [1, 1]) as [number, number],
        padding: autoPad === 'VALID' ? 0 : [p[0]!, p[2]!, p[1]!, p[3]!],
        dilation: a.ints('dilations', [1, 1]) as [number, number],
        ceilMode: a.int('ceil_mode', 0) === 1,
      });
    },
  },
  keras: kerasPool('MaxPooling2D'),
  tfjsGraph: tfPool('MaxPool'),
  functional: { ops: ['maxPool2d'], emit: windowExport },
};

const avgPool2d: LayerRow<AvgPool2d> = {
  saved: {
    type: 'AvgPool2d',
    cls: AvgPool2d,
    // Only the options that were given are saved: the op's defaults depend on each other
    // (countIncludePad follows padding), so the op resolves them at every forward.
    toConfig: (m) => {
      const o = m.options;
      return defined({
        kernelSize: json(m.kernelSize),
        stride:
          o.stride === undefined
            ? undefined
            : json(typeof o.stride === 'number' ? [o.stride, o.stride] : o.stride),
        padding: o.padding === undefined ? undefined : paddingJson(o.padding),
        ceilMode: o.ceilMode,
        countIncludePad: o.countIncludePad,
        divisorOverride: o.divisorOverride,
      });
    },
    fromConfig: (c) => {
      const opts: Omit<AvgPool2dOptions, 'kernelSize'> = {};
      if (c.has('stride')) opts.stride = c.pair('stride');
      if (c.has('padding')) opts.padding = c.padding('padding');
      if (c.has('ceilMode')) opts.ceilMode = c.bool('ceilMode');
      if (c.has('countIncludePad')) opts.countIncludePad = c.bool('countIncludePad');
      if (c.has('divisorOverride')) opts.divisorOverride = c.int('divisorOverride', undefined, 1);
      return new AvgPool2d(c.pair('kernelSize'), opts);
    },
  },
  onnx: (m, c) => {
    const o = m.options;
    if (o.divisorOverride !== undefined)
      refuse('AvgPool2d', 'divisorOverride has no ONNX equivalent', 'drop divisorOverride');
    const stride = o.stride === undefined ? m.kernelSize : pair('exportOnnx', 'stride', o.stride);
    return c.b.op(
      'AveragePool',
      [c.inputs[0]!],
      {
        kernel_shape: [...m.kernelSize],
        strides: [...stride],
        pads: windowPads(o.padding ?? 0, c.inputTensors[0]!, m.kernelSize, stride, [1, 1]),
        ceil_mode: o.ceilMode ? 1 : 0,
        count_include_pad: o.countIncludePad === false ? 0 : 1,
      },
      c.path,
    );
  },
  keras: kerasPool('AveragePooling2D'),
  tfjsGraph: tfPool('AvgPool'),
  functional: { ops: ['avgPool2d'], emit: windowExport },
};

const adaptiveAvgPool2d: LayerRow<AdaptiveAvgPool2d> = {
  saved: {
    type: 'AdaptiveAvgPool2d',
    cls: AdaptiveAvgPool2d,
    toConfig: (m) => ({ outputSize: json(m.outputSize) }),
    fromConfig: (c) => new AdaptiveAvgPool2d(adaptiveSize(c)),
  },
  onnx: (m, c) => adaptive(m, c, 'GlobalAveragePool', 'AveragePool'),
};

const adaptiveMaxPool2d: LayerRow<AdaptiveMaxPool2d> = {
  saved: {
    type: 'AdaptiveMaxPool2d',
    cls: AdaptiveMaxPool2d,
    toConfig: (m) => ({ outputSize: json(m.outputSize) }),
    fromConfig: (c) => new AdaptiveMaxPool2d(adaptiveSize(c)),
  },
  onnx: (m, c) => adaptive(m, c, 'GlobalMaxPool', 'MaxPool'),
};

const globalAvgPool2d: LayerRow<GlobalAvgPool2d> = {
  saved: {
    type: 'GlobalAvgPool2d',
    cls: GlobalAvgPool2d,
    toConfig: (m) => ({ keepdim: m.keepdim }),
    fromConfig: (c) => new GlobalAvgPool2d({ keepdim: c.bool('keepdim', GLOBAL_AVG.keepdim) }),
  },
  onnx: (m, c) => globalPool(m, c, 'GlobalAveragePool'),
  onnxImport: {
    op: 'GlobalAveragePool',
    rank: 'first',
    // ONNX keeps the pooled 1x1 dimensions.
    create: ({ rank, onlyFirstDynamic }) =>
      onlyFirstDynamic && rank === 4 ? new GlobalAvgPool2d({ keepdim: true }) : null,
  },
  keras: kerasGlobalPool('GlobalAveragePooling2D'),
};

const globalMaxPool2d: LayerRow<GlobalMaxPool2d> = {
  saved: {
    type: 'GlobalMaxPool2d',
    cls: GlobalMaxPool2d,
    toConfig: (m) => ({ keepdim: m.keepdim }),
    fromConfig: (c) => new GlobalMaxPool2d({ keepdim: c.bool('keepdim', GLOBAL_MAX.keepdim) }),
  },
  onnx: (m, c) => globalPool(m, c, 'GlobalMaxPool'),
  keras: kerasGlobalPool('GlobalMaxPooling2D'),
};

const channelMaxPool: LayerRow<ChannelMaxPool> = {
  saved: {
    type: 'ChannelMaxPool',
    cls: ChannelMaxPool,
    toConfig: (m) => defined({ kernelSize: m.kernelSize, stride: m.stride }),
    fromConfig: (c) =>
      new ChannelMaxPool({ kernelSize: c.optionalInt('kernelSize', 1), stride: c.optionalInt('stride', 1) }),
  },
};

const maxUnpool2d: LayerRow<MaxUnpool2d> = {
  saved: {
    type: 'MaxUnpool2d',
    cls: MaxUnpool2d,
    toConfig: (m) => ({
      kernelSize: json(m.kernelSize),
      stride: json(m.stride),
      padding: json(m.padding),
    }),
    fromConfig: (c) =>
      new MaxUnpool2d(c.pair('kernelSize'), {
        stride: c.pair('stride', c.pair('kernelSize')),
        padding: c.pair('padding', MAX_UNPOOL.padding, 0),
      }),
  },
};

/** Every pooling layer's row. */
export const POOLING: readonly LayerRow[] = [
  maxPool2d,
  avgPool2d,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  globalAvgPool2d,
  globalMaxPool2d,
  channelMaxPool,
  maxUnpool2d,
] as unknown as readonly LayerRow[];
