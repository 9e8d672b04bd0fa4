/**
 * The activation a convolution can apply to its own output inside the kernel (inference fusion
 * of conv -> ReLU/ReLU6), as the clamp range the kernels take.
 */
import type { FusedActivation } from '../ops/fused-activation.js';
import type { FloatArray } from '../tensor/dtype.js';

/** [lo, hi] of `activation`: ReLU [0, Infinity], ReLU6 [0, 6], none [-Infinity, Infinity]. */
export function activationClamp(activation: FusedActivation | null | undefined): [number, number] {
  if (activation === 'relu') return [0, Infinity];
  if (activation === 'relu6') return [0, 6];
  return [-Infinity, Infinity];
}

/** Clamp `y` in place to `activation`'s range (nothing for none): for paths that cannot fuse it. */
export function clampToActivation(y: FloatArray, activation: FusedActivation | null | undefined): void {
  if (!activation) return;
  const [lo, hi] = activationClamp(activation);
  for (let i = 0; i < y.length; i++) y[i] = Math.min(Math.max(y[i]!, lo), hi);
}
