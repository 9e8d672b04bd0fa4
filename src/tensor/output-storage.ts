/**
 * Storage for an op's output that its kernel overwrites entirely (every element is written before
 * anything reads it), such as a matrix product's C.
 *
 * A fresh typed array is zero-filled: for a 1024×1024 product that is 4 MiB written (and read for
 * ownership) before the kernel writes the same 4 MiB again, about 7% more CPU per st.matmul than
 * writing into a kept output, measured with the heap warm. Where the platform can allocate without
 * zeroing (under Node: `Buffer.allocUnsafeSlow`, registered by output-storage-node.ts), large
 * outputs skip the fill, as `torch.empty` does. The buffer pools serve outputs as for any
 * allocation while they lend (the inference pool without its zero fill).
 */
import { gradientPoolActive, takeGradientBuffer } from './gradient-buffer-pool.js';
import type { DType, FloatArray } from './dtype.js';
import { inferenceBuffersActive, takeInferenceBuffer } from './inference-buffer-pool.js';

/**
 * Elements from which an output skips the zero fill: below 64 KiB the fill costs less than the
 * extra call into the runtime.
 */
const MIN_UNZEROED_LENGTH = 16384;

/** Allocates `bytes` of storage with arbitrary contents (null: the platform has none). */
let unzeroed: ((bytes: number) => ArrayBuffer) | null = null;

/** Install the platform's allocator of storage that is not zero-filled (see output-storage-node.ts). */
export function setUnzeroedAllocator(alloc: (bytes: number) => ArrayBuffer): void {
  unzeroed = alloc;
}

/**
 * A typed array of `length` elements whose contents are arbitrary (stale values, not zeros), for
 * an output every element of which the caller's kernel writes before it is read.
 */
export function allocateOutput(dtype: DType, length: number): FloatArray {
  if (gradientPoolActive()) {
    const pooled = takeGradientBuffer(dtype, length);
    if (pooled) return pooled;
  } else if (inferenceBuffersActive()) {
    const pooled = takeInferenceBuffer(dtype, length, false);
    if (pooled) return pooled;
  }
  if (unzeroed !== null && length >= MIN_UNZEROED_LENGTH) {
    const buffer = unzeroed(length * (dtype === 'float64' ? 8 : 4));
    return dtype === 'float64' ? new Float64Array(buffer, 0, length) : new Float32Array(buffer, 0, length);
  }
  return dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
}
