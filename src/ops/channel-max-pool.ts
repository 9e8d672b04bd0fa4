import { record } from '../autograd/grad-fn.js';
import { ShapeError, ValueError } from '../errors.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { requireImageBatch } from './pool2d.js';

/** Options of {@link maxPoolChannels}. */
export interface MaxPoolChannelsOptions {
  /** Channels per window (default: all of them, giving one output channel). */
  kernelSize?: number;
  /** Step between channel windows (default: the kernel size). */
  stride?: number;
}

function checkPositiveInt(op: string, name: string, v: number, fix: string): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new ValueError(op, `${name} must be a positive integer; got ${JSON.stringify(v)}. Fix: ${fix}`);
  }
}

/**
 * Max pooling over the channel dimension (the decks' "max pooling over depth", a 1x1xK window):
 * output channel j of `x` [N, C, H, W] is the element-wise maximum of input channels
 * j*stride .. j*stride+kernelSize-1, giving [N, floor((C - K) / stride) + 1, H, W]. By default all
 * channels reduce to one, keeping the dimension: [N, 1, H, W]. The gradient goes to the first
 * channel holding each maximum.
 */
export function maxPoolChannels(x: Tensor, opts: MaxPoolChannelsOptions = {}): Tensor {
  const op = 'maxPoolChannels';
  requireImageBatch(op, x);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const k = opts.kernelSize ?? c;
  checkPositiveInt(op, 'kernelSize', k, 'pass the number of channels per window, e.g. 3');
  const stride = opts.stride ?? k;
  checkPositiveInt(op, 'stride', stride, 'use a stride of at least 1 (omit it to step by the kernel size)');
  if (k > c) {
    throw new ShapeError(
      op,
      `the channel window (${k} channels) is larger than the input's channels`,
      `at least ${k} channels`,
      x.shape,
      'use a kernelSize no larger than the number of channels (omit it to pool over all of them)',
    );
  }
  const outC = Math.floor((c - k) / stride) + 1;
  const plane = h * w;
  const y = empty([n, outC, h, w], x.dtype);
  // Winning input channel of every output element.
  const arg = new Int32Array(y.size);
  const xd = x.data;
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < outC; j++) {
      const yo = (b * outC + j) * plane;
      for (let p = 0; p < plane; p++) {
        let best = -Infinity;
        let bestC = -1;
        for (let t = 0; t < k; t++) {
          const ch = j * stride + t;
          const v = xd[(b * c + ch) * plane + p]!;
          if (bestC < 0 || v > best || Number.isNaN(v)) {
            best = v;
            bestC = ch;
            if (Number.isNaN(v)) break;
          }
        }
        y.data[yo + p] = best;
        arg[yo + p] = bestC;
      }
    }
  }
  return record(op, [x], y, (g) => {
    const dx = empty(x.shape, x.dtype);
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < outC; j++) {
        const yo = (b * outC + j) * plane;
        for (let p = 0; p < plane; p++) dx.data[(b * c + arg[yo + p]!) * plane + p]! += g.data[yo + p]!;
      }
    }
    return [dx];
  });
}
