import type { Backend } from '../backend.js';
import { activation, activationGrad } from './activation.js';
import {
  batchNormBackwardData,
  batchNormBackwardSums,
  batchNormForward,
  batchNormStats,
} from './batch-norm.js';
import { applyConvEpilogue, conv2dBackwardData, conv2dBackwardFilter, conv2dForward } from './conv.js';
import {
  nllLoss,
  nllLossBackward,
  softTargetCrossEntropy,
  softTargetCrossEntropyBackward,
} from './class-loss.js';
import { binary, unary } from './elementwise.js';
import { gemm } from './gemm.js';
import { pointwiseLoss, pointwiseLossBackward } from './pointwise-loss.js';
import { avgPool2dBackward, avgPool2dForward, maxPool2dBackward, maxPool2dForward } from './pool.js';
import { reduce } from './reduce.js';
import { roiAlignBackward, roiAlignForward, roiPoolBackward, roiPoolForward } from './roi.js';
import { logSumExp, logSumExpBackward, softmax, softmaxBackward } from './softmax.js';

/** The plain-TypeScript backend: obviously correct, runs everywhere, the oracle in tests. */
export const referenceBackend: Backend = {
  name: 'reference',
  gemm,
  conv2dForward,
  prepareConv2dWeights: (_p, w) => ({ backend: 'reference', weight: w }),
  conv2dForwardPrepared: (p, x, prepared, bias, y, epilogue) => {
    conv2dForward(p, x, prepared.weight, bias, y);
    applyConvEpilogue(y, epilogue);
  },
  conv2dBackwardData,
  conv2dBackwardFilter,
  maxPool2dForward,
  maxPool2dBackward,
  avgPool2dForward,
  avgPool2dBackward,
  batchNormStats,
  batchNormForward,
  batchNormBackwardSums,
  batchNormBackwardData,
  unary,
  binary,
  reduce,
  roiAlignForward,
  roiAlignBackward,
  roiPoolForward,
  roiPoolBackward,
  activation,
  activationGrad,
  softmax,
  softmaxBackward,
  logSumExp,
  logSumExpBackward,
  nllLoss,
  nllLossBackward,
  softTargetCrossEntropy,
  softTargetCrossEntropyBackward,
  pointwiseLoss,
  pointwiseLossBackward,
};
