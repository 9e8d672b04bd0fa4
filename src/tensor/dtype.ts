import { gradientPoolActive, takeGradientBuffer } from './gradient-buffer-pool.js';
import { inferenceBuffersActive, takeInferenceBuffer } from './inference-buffer-pool.js';

/** Element types a tensor can hold. float32 is the default; float64 exists for gradient checks. */
export type DType = 'float32' | 'float64';

/** The typed array that backs a tensor of either dtype. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Allocate a zero-filled typed array of the given dtype. During a backward pass large arrays come
 * from the gradient buffer pool (see gradient-buffer-pool.ts), during an inference forward of a
 * container from the inference buffer pool (inference-buffer-pool.ts).
 */
export function allocate(dtype: DType, size: number): FloatArray {
  if (gradientPoolActive()) {
    const pooled = takeGradientBuffer(dtype, size);
    if (pooled) return pooled;
  } else if (inferenceBuffersActive()) {
    const pooled = takeInferenceBuffer(dtype, size);
    if (pooled) return pooled;
  }
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}

/** The dtype of a typed array. */
export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}
