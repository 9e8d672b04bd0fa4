/**
 * The normalization catalog: one row per normalization layer, holding its saved form and its ONNX
 * form (see layer-row.ts). Defaults are read from layers built with only their required arguments,
 * so each is written once, in the layer's constructor. (ONNX's BatchNormalization imports as
 * BatchNorm2d in import-onnx.ts, which copies the node's constant statistics into it.)
 */
import {
  BatchNorm1d,
  BatchNorm2d,
  GroupNorm,
  InstanceNorm2d,
  LayerNorm,
  LocalResponseNorm,
} from '../../nn/normalization.js';
import type { ConfigReader } from '../config-reader.js';
import type { JsonObject } from '../json-value.js';
import { refuse, type LayerExportContext } from '../onnx/layer-export-context.js';
import { float } from '../onnx/onnx-builder.js';
import { kerasNumber, type KerasImport } from './keras-layer.js';
import { copyInto, type LayerRow, type OnnxImportRow } from './layer-row.js';

const INSTANCE_NORM = new InstanceNorm2d(1);
const LAYER_NORM = new LayerNorm(1);
const GROUP_NORM = new GroupNorm(1, 1);
const LRN = new LocalResponseNorm(1);

/** The per-channel scale and shift as ONNX values: the layer's own, or ones and zeros without them. */
function affineValues(
  m: BatchNorm2d | BatchNorm1d | InstanceNorm2d,
  c: LayerExportContext,
): [string, string] {
  const n = m.numFeatures;
  const scale = m.weight
    ? c.b.weight(m.weight, `${c.path}.weight`)
    : c.b.floats(new Array<number>(n).fill(1), [n], `${c.path}.weight`);
  const bias = m.bias
    ? c.b.weight(m.bias, `${c.path}.bias`)
    : c.b.floats(new Array<number>(n).fill(0), [n], `${c.path}.bias`);
  return [scale, bias];
}

/** Inference-mode normalization with running statistics: ONNX's BatchNormalization. */
function batchNorm(m: BatchNorm2d | BatchNorm1d | InstanceNorm2d, c: LayerExportContext): string {
  if (!m.runningMean || !m.runningVar) {
    refuse(
      m.typeName,
      'without running statistics it normalizes with batch statistics even in evaluation mode, which ONNX inference cannot express',
      'build it with trackRunningStats: true',
    );
  }
  const [scale, bias] = affineValues(m, c);
  const mean = c.b.weight(m.runningMean, `${c.path}.running_mean`);
  const variance = c.b.weight(m.runningVar, `${c.path}.running_var`);
  return c.b.op(
    'BatchNormalization',
    [c.inputs[0]!, scale, bias, mean, variance],
    { epsilon: float(m.eps) },
    c.path,
  );
}

/** The saved options of a norm with optional running statistics (batch and instance norms). */
function runningNormConfig(m: BatchNorm2d | BatchNorm1d | InstanceNorm2d): JsonObject {
  return {
    numFeatures: m.numFeatures,
    eps: m.eps,
    momentum: m.momentum,
    affine: m.affine,
    trackRunningStats: m.trackRunningStats,
  };
}

/** ONNX BatchNormalization at inference on images, with constant statistics: a BatchNorm2d in eval mode. */
const batchNormImport: OnnxImportRow<BatchNorm2d> = {
  op: 'BatchNormalization',
  rank: 'first',
  weightInputs: [1, 2],
  create: ({ attrs: a, consts, rank, onlyFirstDynamic }) => {
    if (!onlyFirstDynamic || rank !== 4 || a.int('training_mode', 0) !== 0) return null;
    const [scale, bias, mean, variance] = [consts[1], consts[2], consts[3], consts[4]];
    if (!scale || !bias || !mean || !variance || scale.ndim !== 1) return null;
    // ONNX's defaults: epsilon 1e-5, momentum 0.9 (the weight of the old statistics).
    const bn = new BatchNorm2d(scale.size, {
      eps: a.float('epsilon', 1e-5),
      momentum: 1 - a.float('momentum', 0.9),
    });
    if (!copyInto(bn.weight!, scale) || !copyInto(bn.bias!, bias)) return null;
    if (!copyInto(bn.runningMean!, mean) || !copyInto(bn.runningVar!, variance)) return null;
    return bn.eval();
  },
};

/** Keras' BatchNormalization over the channels: BatchNorm2d on feature maps, BatchNorm1d on vectors. */
const kerasBatchNorm: KerasImport = {
  classes: ['BatchNormalization'],
  create: (l) => {
    const cfg = l.config;
    const x = l.inputs[0]!;
    const axis = Array.isArray(cfg.axis) ? cfg.axis[0] : cfg.axis;
    if (axis !== undefined && axis !== -1 && axis !== x.rank - 1)
      l.refuse(
        `BatchNormalization '${l.name}' normalizes axis ${String(axis)}; only the channels are supported`,
      );
    const mean = l.weight('moving_mean');
    const variance = l.weight('moving_variance');
    // Keras' defaults: epsilon 1e-3, momentum 0.99 (the weight of the old statistics; 0.01 for Stride).
    const eps = kerasNumber(cfg, 'epsilon', 1e-3);
    const momentum = typeof cfg.momentum === 'number' ? 1 - cfg.momentum : 0.01;
    const bn =
      x.rank === 4
        ? new BatchNorm2d(mean.size, { eps, momentum })
        : new BatchNorm1d(mean.size, { eps, momentum });
    l.setWeight(bn.runningMean!, mean, 'moving_mean');
    l.setWeight(bn.runningVar!, variance, 'moving_variance');
    const gamma = cfg.scale !== false ? l.optionalWeight('gamma') : undefined;
    const beta = cfg.center !== false ? l.optionalWeight('beta') : undefined;
    if (gamma) l.setWeight(bn.weight!, gamma, 'gamma');
    if (beta) l.setWeight(bn.bias!, beta, 'beta');
    return l.add(l.name, bn, [x], x.rank);
  },
};

/** Saved form of BatchNorm1d/2d, with the defaults of `cls`. */
function batchNormRow<M extends BatchNorm2d | BatchNorm1d>(
  cls: new (n: number, opts?: ConstructorParameters<typeof BatchNorm2d>[1]) => M,
): LayerRow<M> {
  const d = new cls(1);
  return {
    saved: {
      type: cls.name,
      cls,
      toConfig: runningNormConfig,
      fromConfig: (c: ConfigReader) =>
        new cls(c.int('numFeatures', undefined, 1), {
          eps: c.number('eps', d.eps),
          // A saved null momentum (a cumulative average) is absent from the reader.
          momentum: c.has('momentum') ? c.number('momentum') : null,
          affine: c.bool('affine', d.affine),
          trackRunningStats: c.bool('trackRunningStats', d.trackRunningStats),
        }),
      stateSize: (c: ConfigReader) => {
        const n = c.int('numFeatures', undefined, 1);
        return (
          (c.bool('affine', d.affine) ? 2 * n : 0) +
          (c.bool('trackRunningStats', d.trackRunningStats) ? 2 * n + 1 : 0)
        );
      },
    },
    onnx: batchNorm,
  };
}

const instanceNorm2d: LayerRow<InstanceNorm2d> = {
  saved: {
    type: 'InstanceNorm2d',
    cls: InstanceNorm2d,
    toConfig: runningNormConfig,
    fromConfig: (c) =>
      new InstanceNorm2d(c.int('numFeatures', undefined, 1), {
        eps: c.number('eps', INSTANCE_NORM.eps),
        momentum: c.number('momentum', INSTANCE_NORM.momentum),
        affine: c.bool('affine', INSTANCE_NORM.affine),
        trackRunningStats: c.bool('trackRunningStats', INSTANCE_NORM.trackRunningStats),
      }),
    stateSize: (c) => {
      const n = c.int('numFeatures', undefined, 1);
      const affine = c.bool('affine', INSTANCE_NORM.affine);
      return (
        (affine ? 2 * n : 0) + (c.bool('trackRunningStats', INSTANCE_NORM.trackRunningStats) ? 2 * n + 1 : 0)
      );
    },
  },
  onnx: (m, c) => {
    if (m.trackRunningStats) return batchNorm(m, c);
    const [scale, bias] = affineValues(m, c);
    return c.b.op('InstanceNormalization', [c.inputs[0]!, scale, bias], { epsilon: float(m.eps) }, c.path);
  },
};

const layerNorm: LayerRow<LayerNorm> = {
  saved: {
    type: 'LayerNorm',
    cls: LayerNorm,
    toConfig: (m) => ({
      normalizedShape: [...m.normalizedShape],
      eps: m.eps,
      elementwiseAffine: m.weight !== null,
      bias: m.bias !== null,
    }),
    fromConfig: (c) =>
      new LayerNorm(c.intList('normalizedShape', 1), {
        eps: c.number('eps', LAYER_NORM.eps),
        elementwiseAffine: c.bool('elementwiseAffine', LAYER_NORM.weight !== null),
        bias: c.bool('bias', LAYER_NORM.bias !== null),
      }),
    stateSize: (c) => {
      const n = c.intList('normalizedShape', 1).reduce((a, b) => a * b, 1);
      if (!c.bool('elementwiseAffine', LAYER_NORM.weight !== null)) return 0;
      return n * (c.bool('bias', LAYER_NORM.bias !== null) ? 2 : 1);
    },
  },
};

const groupNorm: LayerRow<GroupNorm> = {
  saved: {
    type: 'GroupNorm',
    cls: GroupNorm,
    toConfig: (m) => ({
      numGroups: m.numGroups,
      numChannels: m.numChannels,
      eps: m.eps,
      affine: m.weight !== null,
    }),
    fromConfig: (c) =>
      new GroupNorm(c.int('numGroups', undefined, 1), c.int('numChannels', undefined, 1), {
        eps: c.number('eps', GROUP_NORM.eps),
        affine: c.bool('affine', GROUP_NORM.weight !== null),
      }),
    stateSize: (c) =>
      c.bool('affine', GROUP_NORM.weight !== null) ? 2 * c.int('numChannels', undefined, 1) : 0,
  },
};

const localResponseNorm: LayerRow<LocalResponseNorm> = {
  saved: {
    type: 'LocalResponseNorm',
    cls: LocalResponseNorm,
    toConfig: (m) => ({ size: m.size, alpha: m.alpha, beta: m.beta, k: m.k }),
    fromConfig: (c) =>
      new LocalResponseNorm(c.int('size', undefined, 1), {
        alpha: c.number('alpha', LRN.alpha),
        beta: c.number('beta', LRN.beta),
        k: c.number('k', LRN.k),
      }),
  },
  onnx: (m, c) => {
    if (m.size % 2 === 0)
      refuse(
        'LocalResponseNorm',
        `an even window (${m.size}) is centred differently in ONNX's LRN`,
        'use an odd size',
      );
    return c.b.op(
      'LRN',
      [c.inputs[0]!],
      { size: m.size, alpha: float(m.alpha), beta: float(m.beta), bias: float(m.k) },
      c.path,
    );
  },
};

/** Every normalization layer's row. */
export const NORMALIZATION: readonly LayerRow[] = [
  { ...batchNormRow(BatchNorm2d), onnxImport: batchNormImport, keras: kerasBatchNorm },
  batchNormRow(BatchNorm1d),
  instanceNorm2d,
  layerNorm,
  groupNorm,
  localResponseNorm,
] as unknown as readonly LayerRow[];
