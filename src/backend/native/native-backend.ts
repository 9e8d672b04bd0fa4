import { ValueError } from '../../errors.js';
import type { FloatArray } from '../../tensor/dtype.js';
import { broadcastStrides, sizeOf } from '../../tensor/shape.js';
import type {
  ActivationOp,
  Backend,
  BatchNormParams,
  ClassLossParams,
  BinaryOp,
  Conv2dParams,
  GemmParams,
  PreparedConv2dWeights,
  Pool2dParams,
  ReduceOp,
  RoiParams,
  SoftmaxParams,
  UnaryOp,
} from '../backend.js';
import { activationClamp, clampToActivation } from '../activation-clamp.js';
import { ACTIVATION_OPS } from '../reference/activation.js';
import { applyConvEpilogue } from '../reference/conv.js';
import { POINTWISE_LOSS_KERNELS, type PointwiseLossOp } from '../reference/pointwise-loss.js';
import { referenceBackend } from '../reference/reference-backend.js';
import type { NativeAddon } from './native-addon.js';

/** Op codes of the addon (native/src/elementwise.h, reduce.h). Ops missing here run on the reference backend. */
const UNARY_CODES: Partial<Record<UnaryOp, number>> = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  abs: 4,
  sign: 5,
  relu: 6,
  sigmoid: 7,
  tanh: 8,
  leakyRelu: 9,
  elu: 10,
  powScalar: 11,
  reciprocal: 12,
  square: 13,
  erf: 14,
};

const BINARY_CODES: Partial<Record<BinaryOp, number>> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  pow: 4,
  maximum: 5,
  minimum: 6,
  eq: 7,
  gt: 8,
  ge: 9,
  lt: 10,
  le: 11,
  reluGrad: 12,
};

const REDUCE_CODES: Partial<Record<ReduceOp, number>> = { sum: 0, max: 1, min: 2 };

/**
 * The slots of the conv and pool parameter arrays the addon reads, by field name; the addon declares
 * the same lists (native/src/addon.cc) and reports them, and {@link checkParamLayouts} compares
 * them at load.
 */
const CONV_FIELDS = [
  'batch',
  'inChannels',
  'inH',
  'inW',
  'outChannels',
  'kH',
  'kW',
  'strideH',
  'strideW',
  'padTop',
  'padLeft',
  'dilationH',
  'dilationW',
  'groups',
  'outH',
  'outW',
] as const satisfies readonly (keyof Conv2dParams)[];

const POOL_FIELDS = [
  'batch',
  'channels',
  'inH',
  'inW',
  'kH',
  'kW',
  'strideH',
  'strideW',
  'padTop',
  'padLeft',
  'padBottom',
  'padRight',
  'dilationH',
  'dilationW',
  'outH',
  'outW',
  'countIncludePad',
] as const satisfies readonly (keyof Pool2dParams)[];

/**
 * Refuse an addon whose conv or pool parameter layout differs from {@link CONV_FIELDS} /
 * {@link POOL_FIELDS} (an addon built from other sources than this wrapper). Addons too old to
 * report their layout use the layout these lists were written from.
 */
function checkParamLayouts(addon: NativeAddon): void {
  const layouts = addon.paramLayouts?.();
  if (!layouts) return;
  for (const [kind, ours] of [
    ['conv', CONV_FIELDS],
    ['pool', POOL_FIELDS],
  ] as const) {
    const theirs = layouts[kind];
    if (theirs.length !== ours.length || theirs.some((f, i) => f !== ours[i])) {
      throw new ValueError(
        'nativeBackend',
        `the addon packs ${kind} parameters as [${theirs.join(', ')}] but this wrapper as [${ours.join(', ')}]. ` +
          "Fix: rebuild the addon from the same sources ('npm run build:native')",
      );
    }
  }
}

/** Throw unless `arr` holds at least `need` elements: a short array would let native code write out of bounds. */
function requireLength(op: string, name: string, arr: ArrayLike<number>, need: number): void {
  if (arr.length < need) {
    throw new ValueError(
      op,
      `${name} holds ${arr.length} elements but the kernel's geometry needs ${need}. ` +
        'Fix: pass arrays sized to the shapes in the parameters',
    );
  }
}

function isF32(...arrays: (FloatArray | null)[]): boolean {
  for (const a of arrays) if (a !== null && !(a instanceof Float32Array)) return false;
  return true;
}

/** Weights the native backend prepared: the addon's packed copy (null for float64 weights). */
interface NativePreparedConv2d extends PreparedConv2dWeights {
  readonly packed: object | null;
}

function isNativePrepared(p: PreparedConv2dWeights, name: string): p is NativePreparedConv2d {
  return p.backend === name && 'packed' in p;
}

/**
 * The 'native' backend: float32 kernels of the C++ addon, reading and writing the typed arrays'
 * memory in place. Float64 arrays, and ops the addon does not implement, run on the reference
 * backend. `name` lets another module with the addon's interface (the WebAssembly build of the
 * same kernels, `backend/wasm/`) reuse this wrapper under its own name.
 */
export function createNativeBackend(addon: NativeAddon, name = 'native'): Backend {
  const gemmParams = new Float64Array(10);
  checkParamLayouts(addon);
  const convParams = new Float64Array(CONV_FIELDS.length);
  const poolParams = new Float64Array(POOL_FIELDS.length);
  const channelParams = new Float64Array(3);
  // Activation kernels by name: the addon lists its rows at load. A kernel it lacks (an addon built
  // before the row was added) runs on the reference backend.
  const activationCodes = new Map<ActivationOp, number>();
  (addon.activationNames?.() ?? []).forEach((name, code) => {
    if ((ACTIVATION_OPS as string[]).includes(name)) activationCodes.set(name as ActivationOp, code);
  });
  // Element-wise loss kernels by name, the same way.
  const pointwiseLossCodes = new Map<PointwiseLossOp, number>();
  (addon.pointwiseLossNames?.() ?? []).forEach((name, code) => {
    if (Object.hasOwn(POINTWISE_LOSS_KERNELS, name)) pointwiseLossCodes.set(name as PointwiseLossOp, code);
  });

  function fillConv(p: Conv2dParams): Float64Array {
    CONV_FIELDS.forEach((f, i) => (convParams[i] = p[f]));
    return convParams;
  }

  function checkConv(op: string, p: Conv2dParams, x: FloatArray, w: FloatArray, y: FloatArray): void {
    if (p.groups < 1 || p.inChannels % p.groups !== 0 || p.outChannels % p.groups !== 0) {
      throw new ValueError(
        op,
        `groups ${p.groups} must divide inChannels ${p.inChannels} and outChannels ${p.outChannels}`,
      );
    }
    requireLength(op, 'input', x, p.batch * p.inChannels * p.inH * p.inW);
    requireLength(op, 'weight', w, p.outChannels * (p.inChannels / p.groups) * p.kH * p.kW);
    requireLength(op, 'output', y, p.batch * p.outChannels * p.outH * p.outW);
  }

  function fillPool(p: Pool2dParams): Float64Array {
    POOL_FIELDS.forEach((f, i) => (poolParams[i] = Number(p[f])));
    return poolParams;
  }

  const softmaxParams = new Float64Array(4);
  function fillSoftmax(p: SoftmaxParams): Float64Array {
    softmaxParams.set([p.outer, p.n, p.inner, p.log ? 1 : 0]);
    return softmaxParams;
  }

  const classLossParams = new Float64Array(5);
  function fillClassLoss(p: ClassLossParams): Float64Array {
    classLossParams.set([p.outer, p.classes, p.inner, p.labelSmoothing, p.fromLogits ? 1 : 0]);
    return classLossParams;
  }

  /** The sizes the class-loss kernels read: scores, one target and one value per sample, one weight per class. */
  function checkClassLoss(
    op: string,
    p: ClassLossParams,
    logp: FloatArray,
    target: Int32Array,
    weight: Float64Array | null,
    perSample: Float64Array,
  ): void {
    const samples = p.outer * p.inner;
    requireLength(op, 'log-probabilities', logp, samples * p.classes);
    requireLength(op, 'target', target, samples);
    requireLength(op, 'per-sample values', perSample, samples);
    if (weight) requireLength(op, 'class weights', weight, p.classes);
    for (let j = 0; j < samples; j++) {
      if (target[j]! >= p.classes) {
        throw new ValueError(op, `target[${j}] = ${target[j]} is not below the ${p.classes} classes`);
      }
    }
  }

  /** The sizes the probability-target kernels read: scores and targets alike, one value per sample, one weight per class. */
  function checkSoftTarget(
    op: string,
    p: ClassLossParams,
    logp: FloatArray,
    target: FloatArray,
    weight: Float64Array | null,
    perSample: Float64Array,
  ): void {
    const size = p.outer * p.classes * p.inner;
    requireLength(op, 'log-probabilities', logp, size);
    requireLength(op, 'target', target, size);
    requireLength(op, 'per-sample values', perSample, p.outer * p.inner);
    if (weight) requireLength(op, 'class weights', weight, p.classes);
  }

  // An addon built before the RoI kernels existed runs them on the reference backend.
  const hasRoiKernels = typeof addon.roiAlignForward === 'function';

  function fillRoi(p: RoiParams): Float64Array {
    return Float64Array.of(
      p.batch,
      p.channels,
      p.inH,
      p.inW,
      p.numRois,
      p.outH,
      p.outW,
      p.spatialScale,
      p.samplingRatio,
      p.aligned ? 1 : 0,
    );
  }

  /** Check sizes and every batch index (native code indexes planes by them). */
  function checkRoi(
    op: string,
    p: RoiParams,
    rois: Float64Array,
    x: ArrayLike<number>,
    y: ArrayLike<number>,
  ): void {
    requireLength(op, 'input', x, p.batch * p.channels * p.inH * p.inW);
    requireLength(op, 'output', y, p.numRois * p.channels * p.outH * p.outW);
    requireLength(op, 'rois', rois, 5 * p.numRois);
    for (let k = 0; k < p.numRois; k++) {
      const b = rois[5 * k]!;
      if (!(Number.isInteger(b) && b >= 0 && b < p.batch)) {
        throw new ValueError(op, `box ${k} has batch index ${b}; expected an integer in [0, ${p.batch - 1}]`);
      }
    }
  }

  function checkPool(op: string, p: Pool2dParams, x: ArrayLike<number>, y: ArrayLike<number>): void {
    requireLength(op, 'input', x, p.batch * p.channels * p.inH * p.inW);
    requireLength(op, 'output', y, p.batch * p.channels * p.outH * p.outW);
  }

  /**
   * Check a per-channel kernel's arrays against its geometry and return the packed params, or null
   * when there is no data (nothing for the kernel to do).
   */
  function checkChannels(
    op: string,
    p: BatchNormParams,
    data: Record<string, ArrayLike<number>>,
    perChannel: Record<string, ArrayLike<number>>,
  ): Float64Array | null {
    for (const [name, v] of Object.entries({ batch: p.batch, channels: p.channels, spatial: p.spatial })) {
      if (!Number.isInteger(v) || v < 0) {
        throw new ValueError(op, `${name} must be an integer >= 0, got ${v}. Fix: pass the input's sizes`);
      }
    }
    const total = p.batch * p.channels * p.spatial;
    for (const [name, arr] of Object.entries(data)) requireLength(op, name, arr, total);
    for (const [name, arr] of Object.entries(perChannel)) requireLength(op, name, arr, p.channels);
    if (total === 0) return null;
    channelParams[0] = p.batch;
    channelParams[1] = p.channels;
    channelParams[2] = p.spatial;
    return channelParams;
  }

  function conv2dForward(
    p: Conv2dParams,
    x: FloatArray,
    w: FloatArray,
    bias: FloatArray | null,
    y: FloatArray,
  ): void {
    if (!isF32(x, w, bias, y)) return referenceBackend.conv2dForward(p, x, w, bias, y);
    checkConv('conv2dForward', p, x, w, y);
    if (bias) requireLength('conv2dForward', 'bias', bias, p.outChannels);
    addon.conv2dForward(
      fillConv(p),
      x as Float32Array,
      w as Float32Array,
      bias as Float32Array | null,
      y as Float32Array,
    );
  }

  return {
    name,

    gemm(p: GemmParams, a: FloatArray, b: FloatArray, c: FloatArray): void {
      if (!isF32(a, b, c)) return referenceBackend.gemm(p, a, b, c);
      if (p.batch <= 0 || p.m <= 0 || p.n <= 0) return;
      const last = p.batch - 1;
      requireLength('gemm', 'A', a, last * p.strideA + p.m * p.k);
      requireLength('gemm', 'B', b, last * p.strideB + p.k * p.n);
      requireLength('gemm', 'C', c, last * p.strideC + p.m * p.n);
      gemmParams.set([
        p.batch,
        p.m,
        p.n,
        p.k,
        p.transA ? 1 : 0,
        p.transB ? 1 : 0,
        p.strideA,
        p.strideB,
        p.strideC,
        p.accumulate ? 1 : 0,
      ]);
      addon.gemm(gemmParams, a as Float32Array, b as Float32Array, c as Float32Array);
    },

    conv2dForward,

    prepareConv2dWeights(p, w): PreparedConv2dWeights {
      let packed: object | null = null;
      if (isF32(w)) {
        requireLength(
          'prepareConv2dWeights',
          'weight',
          w,
          p.outChannels * (p.inChannels / p.groups) * p.kH * p.kW,
        );
        packed = addon.conv2dPrepareWeights(fillConv(p));
      }
      const prepared: NativePreparedConv2d = { backend: name, weight: w, packed };
      return prepared;
    },

    conv2dForwardPrepared(p, x, prepared, bias, y, epilogue): void {
      const w = prepared.weight;
      const residual = epilogue?.residual ?? null;
      const activation = epilogue?.activation ?? null;
      if (residual) requireLength('conv2dForwardPrepared', 'residual', residual, y.length);
      if (residual && isF32(x, w, bias, y, residual)) {
        // conv + bias + residual (+ ReLU) as the kernel writes y; ReLU6 clamps after it.
        checkConv('conv2dForwardPrepared', p, x, w, y);
        if (bias) requireLength('conv2dForwardPrepared', 'bias', bias, p.outChannels);
        const packed = isNativePrepared(prepared, name) ? prepared.packed : null;
        addon.conv2dForwardFused(
          fillConv(p),
          x as Float32Array,
          w as Float32Array,
          packed,
          bias as Float32Array | null,
          residual as Float32Array,
          activation === 'relu',
          y as Float32Array,
        );
        if (activation === 'relu6') clampToActivation(y, activation);
        return;
      }
      if (
        residual ||
        !isNativePrepared(prepared, name) ||
        prepared.packed === null ||
        !isF32(x, w, bias, y)
      ) {
        conv2dForward(p, x, w, bias, y);
        applyConvEpilogue(y, epilogue);
        return;
      }
      const [lo, hi] = activationClamp(activation);
      checkConv('conv2dForwardPrepared', p, x, w, y);
      if (bias) requireLength('conv2dForwardPrepared', 'bias', bias, p.outChannels);
      addon.conv2dForwardPacked(
        fillConv(p),
        x as Float32Array,
        w as Float32Array,
        prepared.packed,
        bias as Float32Array | null,
        y as Float32Array,
        lo,
        hi,
      );
    },

    conv2dBackwardData(p, dy, w, dx): void {
      if (!isF32(dy, w, dx)) return referenceBackend.conv2dBackwardData(p, dy, w, dx);
      checkConv('conv2dBackwardData', p, dx, w, dy);
      addon.conv2dBackwardData(fillConv(p), dy as Float32Array, w as Float32Array, dx as Float32Array);
    },

    conv2dBackwardFilter(p, x, dy, dw): void {
      if (!isF32(x, dy, dw)) return referenceBackend.conv2dBackwardFilter(p, x, dy, dw);
      checkConv('conv2dBackwardFilter', p, x, dw, dy);
      addon.conv2dBackwardFilter(fillConv(p), x as Float32Array, dy as Float32Array, dw as Float32Array);
    },

    maxPool2dForward(p, x, y, indices): void {
      if (!isF32(x, y)) return referenceBackend.maxPool2dForward(p, x, y, indices);
      checkPool('maxPool2dForward', p, x, y);
      if (indices) requireLength('maxPool2dForward', 'indices', indices, y.length);
      addon.maxPool2dForward(fillPool(p), x as Float32Array, y as Float32Array, indices);
    },

    maxPool2dBackward(p, dy, indices, dx): void {
      if (!isF32(dy, dx)) return referenceBackend.maxPool2dBackward(p, dy, indices, dx);
      checkPool('maxPool2dBackward', p, dx, dy);
      requireLength('maxPool2dBackward', 'indices', indices, p.batch * p.channels * p.outH * p.outW);
      if (!addon.maxPool2dBackward(fillPool(p), dy as Float32Array, indices, dx as Float32Array)) {
        throw new ValueError(
          'maxPool2dBackward',
          `an index lies outside the ${p.inH}x${p.inW} input plane. ` +
            'Fix: pass the indices that maxPool2dForward produced for this geometry',
        );
      }
    },

    avgPool2dForward(p, x, y): void {
      if (!isF32(x, y)) return referenceBackend.avgPool2dForward(p, x, y);
      checkPool('avgPool2dForward', p, x, y);
      addon.avgPool2dForward(fillPool(p), x as Float32Array, y as Float32Array);
    },

    avgPool2dBackward(p, dy, dx): void {
      if (!isF32(dy, dx)) return referenceBackend.avgPool2dBackward(p, dy, dx);
      checkPool('avgPool2dBackward', p, dx, dy);
      addon.avgPool2dBackward(fillPool(p), dy as Float32Array, dx as Float32Array);
    },

    batchNormStats(p, x, mean, variance): void {
      if (!isF32(x)) return referenceBackend.batchNormStats(p, x, mean, variance);
      const params = checkChannels('batchNormStats', p, { x }, { mean, variance });
      if (params === null) return referenceBackend.batchNormStats(p, x, mean, variance);
      addon.batchNormStats(params, x as Float32Array, mean, variance);
    },

    batchNormForward(p, x, scale, shift, y): void {
      if (!isF32(x, y)) return referenceBackend.batchNormForward(p, x, scale, shift, y);
      const params = checkChannels('batchNormForward', p, { x, y }, { scale, shift });
      if (params) addon.batchNormForward(params, x as Float32Array, scale, shift, y as Float32Array);
    },

    batchNormBackwardSums(p, dy, x, mean, sumDy, sumDyXc): void {
      if (!isF32(dy, x)) return referenceBackend.batchNormBackwardSums(p, dy, x, mean, sumDy, sumDyXc);
      const params = checkChannels('batchNormBackwardSums', p, { dy, x }, { mean, sumDy, sumDyXc });
      if (params === null) return referenceBackend.batchNormBackwardSums(p, dy, x, mean, sumDy, sumDyXc);
      addon.batchNormBackwardSums(params, dy as Float32Array, x as Float32Array, mean, sumDy, sumDyXc);
    },

    batchNormBackwardData(p, dy, x, dyScale, xScale, shift, dx): void {
      if (!isF32(dy, x, dx))
        return referenceBackend.batchNormBackwardData(p, dy, x, dyScale, xScale, shift, dx);
      const params = checkChannels('batchNormBackwardData', p, { dy, x, dx }, { dyScale, xScale, shift });
      if (params) {
        addon.batchNormBackwardData(
          params,
          dy as Float32Array,
          x as Float32Array,
          dyScale,
          xScale,
          shift,
          dx as Float32Array,
        );
      }
    },

    activation(op, x, y, p0 = 0, p1 = 0): void {
      const code = activationCodes.get(op);
      if (code === undefined || !isF32(x, y)) return referenceBackend.activation(op, x, y, p0, p1);
      addon.activation!(code, x as Float32Array, y as Float32Array, p0, p1);
    },

    activationGrad(op, x, y, g, dx, p0 = 0, p1 = 0): void {
      const code = activationCodes.get(op);
      if (code === undefined || !isF32(x, y, g, dx))
        return referenceBackend.activationGrad(op, x, y, g, dx, p0, p1);
      addon.activationGrad!(
        code,
        x as Float32Array,
        y as Float32Array,
        g as Float32Array,
        dx as Float32Array,
        p0,
        p1,
      );
    },

    softmax(p, x, y): void {
      if (!addon.softmax || !isF32(x, y)) return referenceBackend.softmax(p, x, y);
      const size = p.outer * p.n * p.inner;
      requireLength('softmax', 'input', x, size);
      requireLength('softmax', 'output', y, size);
      addon.softmax(fillSoftmax(p), x as Float32Array, y as Float32Array);
    },

    softmaxBackward(p, y, g, dx): void {
      if (!addon.softmaxBackward || !isF32(y, g, dx)) return referenceBackend.softmaxBackward(p, y, g, dx);
      const size = p.outer * p.n * p.inner;
      requireLength('softmaxBackward', 'output', y, size);
      requireLength('softmaxBackward', 'output gradient', g, size);
      requireLength('softmaxBackward', 'input gradient', dx, size);
      addon.softmaxBackward(fillSoftmax(p), y as Float32Array, g as Float32Array, dx as Float32Array);
    },

    logSumExp(p, x, y): void {
      if (!addon.logSumExp || !isF32(x, y)) return referenceBackend.logSumExp(p, x, y);
      requireLength('logSumExp', 'input', x, p.outer * p.n * p.inner);
      requireLength('logSumExp', 'output', y, p.outer * p.inner);
      addon.logSumExp(fillSoftmax({ ...p, log: false }), x as Float32Array, y as Float32Array);
    },

    logSumExpBackward(p, x, y, g, dx): void {
      if (!addon.logSumExpBackward || !isF32(x, y, g, dx))
        return referenceBackend.logSumExpBackward(p, x, y, g, dx);
      const size = p.outer * p.n * p.inner;
      requireLength('logSumExpBackward', 'input', x, size);
      requireLength('logSumExpBackward', 'output', y, p.outer * p.inner);
      requireLength('logSumExpBackward', 'output gradient', g, p.outer * p.inner);
      requireLength('logSumExpBackward', 'input gradient', dx, size);
      addon.logSumExpBackward(
        fillSoftmax({ ...p, log: false }),
        x as Float32Array,
        y as Float32Array,
        g as Float32Array,
        dx as Float32Array,
      );
    },

    nllLoss(p, logp, target, weight, losses): void {
      if (!addon.nllLoss || !isF32(logp)) return referenceBackend.nllLoss(p, logp, target, weight, losses);
      checkClassLoss('nllLoss', p, logp, target, weight, losses);
      addon.nllLoss(fillClassLoss(p), logp as Float32Array, target, weight, losses);
    },

    nllLossBackward(p, logp, target, weight, scales, dx): void {
      if (!addon.nllLossBackward || !isF32(logp, dx)) {
        return referenceBackend.nllLossBackward(p, logp, target, weight, scales, dx);
      }
      checkClassLoss('nllLossBackward', p, logp, target, weight, scales);
      requireLength('nllLossBackward', 'input gradient', dx, p.outer * p.classes * p.inner);
      addon.nllLossBackward(
        fillClassLoss(p),
        logp as Float32Array,
        target,
        weight,
        scales,
        dx as Float32Array,
      );
    },

    softTargetCrossEntropy(p, logp, target, weight, losses): void {
      if (!addon.softTargetCrossEntropy || !isF32(logp, target)) {
        return referenceBackend.softTargetCrossEntropy(p, logp, target, weight, losses);
      }
      checkSoftTarget('softTargetCrossEntropy', p, logp, target, weight, losses);
      addon.softTargetCrossEntropy(
        fillClassLoss(p),
        logp as Float32Array,
        target as Float32Array,
        weight,
        losses,
      );
    },

    softTargetCrossEntropyBackward(p, logp, target, weight, scales, dx, dt): void {
      if (!addon.softTargetCrossEntropyBackward || !isF32(logp, target, dx, dt)) {
        return referenceBackend.softTargetCrossEntropyBackward(p, logp, target, weight, scales, dx, dt);
      }
      checkSoftTarget('softTargetCrossEntropyBackward', p, logp, target, weight, scales);
      const size = p.outer * p.classes * p.inner;
      if (dx) requireLength('softTargetCrossEntropyBackward', 'input gradient', dx, size);
      if (dt) requireLength('softTargetCrossEntropyBackward', 'target gradient', dt, size);
      addon.softTargetCrossEntropyBackward(
        fillClassLoss(p),
        logp as Float32Array,
        target as Float32Array,
        weight,
        scales,
        dx as Float32Array | null,
        dt as Float32Array | null,
      );
    },

    pointwiseLoss(op, x, t, weight, posWeight, param, losses): void {
      const code = pointwiseLossCodes.get(op);
      if (code === undefined || !isF32(x, t, weight, posWeight)) {
        return referenceBackend.pointwiseLoss(op, x, t, weight, posWeight, param, losses);
      }
      for (const [what, a] of [
        ['target', t],
        ['weight', weight],
        ['positive weight', posWeight],
        ['losses', losses],
      ] as const)
        if (a) requireLength('pointwiseLoss', what, a, x.length);
      addon.pointwiseLoss!(
        code,
        x as Float32Array,
        t as Float32Array,
        weight as Float32Array | null,
        posWeight as Float32Array | null,
        param,
        losses,
      );
    },

    pointwiseLossBackward(op, x, t, weight, posWeight, param, scales, dx, dt): void {
      const code = pointwiseLossCodes.get(op);
      if (code === undefined || !isF32(x, t, weight, posWeight, dx, dt)) {
        return referenceBackend.pointwiseLossBackward(op, x, t, weight, posWeight, param, scales, dx, dt);
      }
      for (const [what, a] of [
        ['target', t],
        ['weight', weight],
        ['positive weight', posWeight],
        ['scales', scales],
        ['input gradient', dx],
        ['target gradient', dt],
      ] as const)
        if (a) requireLength('pointwiseLossBackward', what, a, x.length);
      addon.pointwiseLossBackward!(
        code,
        x as Float32Array,
        t as Float32Array,
        weight as Float32Array | null,
        posWeight as Float32Array | null,
        param,
        scales,
        dx as Float32Array | null,
        dt as Float32Array | null,
      );
    },

    unary(op, x, y, alpha = 0): void {
      const code = UNARY_CODES[op];
      if (code === undefined || !isF32(x, y)) return referenceBackend.unary(op, x, y, alpha);
      addon.unary(code, x as Float32Array, y as Float32Array, alpha);
    },

    binary(op, a, aShape, b, bShape, out, outShape): void {
      const code = BINARY_CODES[op];
      if (code === undefined || !isF32(a, b, out)) {
        return referenceBackend.binary(op, a, aShape, b, bShape, out, outShape);
      }
      const nd = outShape.length;
      requireLength('binary', 'a', a, sizeOf(aShape));
      requireLength('binary', 'b', b, sizeOf(bShape));
      requireLength('binary', 'out', out, sizeOf(outShape));
      if (aShape.length > nd || bShape.length > nd) {
        throw new ValueError(
          'binary',
          `operand ranks ${aShape.length} and ${bShape.length} exceed the output rank ${nd}`,
        );
      }
      const geometry = new Float64Array(1 + 3 * nd);
      geometry[0] = nd;
      geometry.set(outShape, 1);
      geometry.set(broadcastStrides(aShape, outShape), 1 + nd);
      geometry.set(broadcastStrides(bShape, outShape), 1 + 2 * nd);
      addon.binary(code, a as Float32Array, b as Float32Array, out as Float32Array, geometry);
    },

    reduce(op, x, shape, axes, out, indices): void {
      const code = REDUCE_CODES[op];
      if (code === undefined || !isF32(x, out))
        return referenceBackend.reduce(op, x, shape, axes, out, indices);
      const nd = shape.length;
      const geometry = new Float64Array(1 + 2 * nd);
      geometry[0] = nd;
      geometry.set(shape, 1);
      let outCount = 1;
      const reduced = new Array<boolean>(nd).fill(false);
      for (const ax of axes) reduced[ax] = true;
      for (let d = 0; d < nd; d++) {
        geometry[1 + nd + d] = reduced[d] ? 1 : 0;
        if (!reduced[d]) outCount *= shape[d]!;
      }
      requireLength('reduce', 'x', x, sizeOf(shape));
      requireLength('reduce', 'out', out, outCount);
      if (indices) requireLength('reduce', 'indices', indices, outCount);
      const done = addon.reduce(code, x as Float32Array, geometry, out as Float32Array, indices ?? null);
      if (!done) referenceBackend.reduce(op, x, shape, axes, out, indices);
    },

    roiAlignForward(p, x, rois, y): void {
      if (!isF32(x, y) || !hasRoiKernels) return referenceBackend.roiAlignForward(p, x, rois, y);
      checkRoi('roiAlignForward', p, rois, x, y);
      addon.roiAlignForward(fillRoi(p), x as Float32Array, rois, y as Float32Array);
    },

    roiAlignBackward(p, dy, rois, dx): void {
      if (!isF32(dy, dx) || !hasRoiKernels) return referenceBackend.roiAlignBackward(p, dy, rois, dx);
      checkRoi('roiAlignBackward', p, rois, dx, dy);
      addon.roiAlignBackward(fillRoi(p), dy as Float32Array, rois, dx as Float32Array);
    },

    roiPoolForward(p, x, rois, y, argmax): void {
      if (!isF32(x, y) || !hasRoiKernels) return referenceBackend.roiPoolForward(p, x, rois, y, argmax);
      checkRoi('roiPoolForward', p, rois, x, y);
      requireLength('roiPoolForward', 'argmax', argmax, y.length);
      addon.roiPoolForward(fillRoi(p), x as Float32Array, rois, y as Float32Array, argmax);
    },

    roiPoolBackward(p, dy, rois, argmax, dx): void {
      if (!isF32(dy, dx) || !hasRoiKernels) return referenceBackend.roiPoolBackward(p, dy, rois, argmax, dx);
      checkRoi('roiPoolBackward', p, rois, dx, dy);
      requireLength('roiPoolBackward', 'argmax', argmax, dy.length);
      addon.roiPoolBackward(fillRoi(p), dy as Float32Array, rois, argmax, dx as Float32Array);
    },
  };
}
