import { ELU, GELU, ReLU, ReLU6, SELU, Sigmoid, SiLU, Softmax, Softplus, Tanh } from '../../nn/index.js';
import type { Module } from '../../nn/module.js';
import { OnnxAttributeType } from '../onnx/onnx-proto.js';
import { OnnxOp } from '../onnx/onnx-op-layer.js';

/**
 * The Stride layer for a Keras activation name, for feature maps or vectors whose channels are
 * dimension 1 (softmax normalizes the channels, Keras' last axis). Null for `'linear'`; undefined
 * for names Stride does not know.
 */
export function kerasActivation(name: string): Module | null | undefined {
  switch (name) {
    case 'linear':
      return null;
    case 'relu':
      return new ReLU();
    case 'relu6':
      return new ReLU6();
    case 'sigmoid':
      return new Sigmoid();
    case 'tanh':
      return new Tanh();
    case 'softmax':
      return new Softmax(1);
    case 'elu':
      return new ELU(1);
    case 'selu':
      return new SELU();
    case 'softplus':
      return new Softplus();
    case 'swish':
    case 'silu':
      return new SiLU();
    case 'gelu':
      return new GELU();
    case 'hard_sigmoid':
      // Keras' hard sigmoid: clip(0.2·x + 0.5, 0, 1) (not PyTorch's x/6 + 1/2).
      return new OnnxOp(
        'HardSigmoid',
        13,
        new Map([
          ['alpha', { name: 'alpha', type: OnnxAttributeType.FLOAT, value: 0.2 }],
          ['beta', { name: 'beta', type: OnnxAttributeType.FLOAT, value: 0.5 }],
        ]),
        [{ kind: 'input', index: 0 }],
      );
    default:
      return undefined;
  }
}
