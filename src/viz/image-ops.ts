import { noGrad } from '../autograd/grad-mode.js';
import { conv2d } from '../ops/conv2d.js';
import { upsample } from '../ops/upsample.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Shift images [N, C, H, W] by (dy, dx) pixels with wrap-around (numpy's roll), unrecorded. Used
 * for the random jitter of gradient ascent: roll, take the gradient, roll it back.
 */
export function rollImage(x: Tensor, dy: number, dx: number): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out = new Float32Array(x.size);
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < h; y++) {
      const ty = (((y + dy) % h) + h) % h;
      for (let xx = 0; xx < w; xx++) {
        const tx = (((xx + dx) % w) + w) % w;
        out[(p * h + ty) * w + tx] = x.data[(p * h + y) * w + xx]!;
      }
    }
  return new Tensor(out, x.shape);
}

/**
 * Gaussian blur of images [N, C, H, W] with standard deviation `sigma` pixels (a depthwise
 * convolution), normalized at the borders (divided by the blurred image of ones) so edges do not
 * darken. sigma <= 0 returns the input.
 */
export function gaussianBlur(x: Tensor, sigma: number): Tensor {
  if (!(sigma > 0)) return x;
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const r = Math.max(1, Math.ceil(2 * sigma));
  const k1 = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const s = k1.reduce((a, b) => a + b, 0);
  const size = 2 * r + 1;
  const k = new Float32Array(c * size * size);
  for (let ch = 0; ch < c; ch++)
    for (let i = 0; i < size; i++)
      for (let j = 0; j < size; j++) k[(ch * size + i) * size + j] = (k1[i]! * k1[j]!) / (s * s);
  const weight = new Tensor(k, [c, 1, size, size]);
  return noGrad(() => {
    const blurred = conv2d(x.detach(), weight, null, { padding: r, groups: c });
    const ones = conv2d(new Tensor(new Float32Array(c * h * w).fill(1), [1, c, h, w]), weight, null, {
      padding: r,
      groups: c,
    });
    return n === 1 ? blurred.div(ones) : blurred.div(ones.expand([n, c, h, w]));
  });
}

/** Resize images [N, C, H, W] to h x w (bilinear, unrecorded). */
export function resizeBilinear(x: Tensor, h: number, w: number): Tensor {
  if (x.shape[2] === h && x.shape[3] === w) return x;
  return noGrad(() => upsample(x.detach(), { size: [h, w], mode: 'bilinear' }));
}

/** Clamp every value to [lo, hi] in place; returns the tensor. */
export function clampInPlace(x: Tensor, lo: number, hi: number): Tensor {
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.min(hi, Math.max(lo, x.data[i]!));
  return x;
}
