/**
 * Reuse of the activation arrays an inference forward allocates.
 *
 * Every op's output is a fresh zero-filled typed array, and JavaScript gives no signal when one
 * dies: the feature maps of a forward pass stay resident until the garbage collector runs, which
 * V8 does only after tens of megabytes of them have piled up (ResNet-18 at batch 8 writes ~80 MB
 * of activations per forward). Containers running in inference (`Sequential`, `Graph` under
 * `noGrad`) know better: an intermediate output is dead once its last reader has run. They hand
 * such arrays back here (nn/inference-liveness.ts decides which), and the arrays later ops of the
 * same or the next forward allocate are taken from here, so a forward reuses a few warm buffers
 * instead of growing the heap.
 *
 * Only arrays allocated during the current outermost inference forward can come back: a tensor
 * made before it (the input, parameters, a cache) or handed out by an earlier forward (its output,
 * held by the caller) never can. Small arrays are not pooled.
 */
import type { DType, FloatArray } from './dtype.js';

/**
 * Arrays shorter than this are allocated normally. Lower than the gradient buffer pool's 16384:
 * a fresh typed array of a few thousand elements costs a few microseconds (zero-filled backing
 * store, garbage collection), which at batch 1 is a visible share of a small layer (MobileNetV2's
 * 7x7 and 14x14 feature maps).
 */
const MIN_POOLED_LENGTH = 1024;
/**
 * A free buffer serves a request at most this many times its size: an output the caller keeps
 * pins its whole buffer, so a small output must not take a much larger one.
 */
const MAX_SLACK = 4;
/** Most bytes kept for reuse between inference forwards. */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;

/** Free storage, ascending by size (a forward frees a few dozen buffers at most). */
const free: ArrayBuffer[] = [];
let pooledBytes = 0;
let depth = 0;
/**
 * Storage allocated during the current outermost inference forward, which may come back (null
 * outside one; a Set emptied when the forward returns, so it holds nothing past it).
 */
let born: Set<ArrayBufferLike> | null = null;
const bornThisForward = new Set<ArrayBufferLike>();
let taken = 0;
let reusedCount = 0;

/** Whether an inference forward is running (large allocations then go through the pool). */
export function inferenceBuffersActive(): boolean {
  return depth > 0;
}

/**
 * Run `fn`, an inference forward, with large allocations served by the pool (nests: only the
 * outermost call opens a new generation of returnable storage, closed when it returns).
 */
export function withInferenceBuffers<T>(fn: () => T): T {
  if (depth === 0) {
    born = bornThisForward;
  }
  depth++;
  try {
    return fn();
  } finally {
    depth--;
    if (depth === 0) {
      bornThisForward.clear();
      born = null;
    }
  }
}

/**
 * A zero-filled array from the pool (with stale contents when not `zeroed`: for an output a kernel
 * overwrites entirely), or null when no forward is lending or it is too small to pool. It is a view on the
 * smallest free buffer that holds it and is at most {@link MAX_SLACK} times its size (feature maps
 * shrink and grow through a network, so a freed buffer serves the smaller maps after it).
 */
export function takeInferenceBuffer(dtype: DType, length: number, zeroed = true): FloatArray | null {
  if (length < MIN_POOLED_LENGTH || born === null) return null;
  const bytes = length * (dtype === 'float64' ? 8 : 4);
  let at = -1;
  for (let i = 0; i < free.length; i++) {
    const size = free[i]!.byteLength;
    if (size >= bytes) {
      if (size <= MAX_SLACK * bytes) at = i;
      break; // ascending: the first that holds it is the smallest; a larger one has more slack
    }
  }
  taken++;
  let a: FloatArray;
  if (at >= 0) {
    const buffer = free.splice(at, 1)[0]!;
    reusedCount++;
    pooledBytes -= buffer.byteLength;
    a = dtype === 'float64' ? new Float64Array(buffer, 0, length) : new Float32Array(buffer, 0, length);
    if (zeroed) a.fill(0);
  } else {
    a = dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
  }
  born.add(a.buffer);
  return a;
}

/**
 * Give back the storage of an intermediate output that nothing reads any more. Storage not
 * allocated during the current inference forward is ignored.
 */
export function releaseInferenceBuffer(a: FloatArray): void {
  const buffer = a.buffer;
  if (born === null || !born.has(buffer) || !(buffer instanceof ArrayBuffer)) return;
  born.delete(buffer);
  if (pooledBytes + buffer.byteLength > MAX_POOLED_BYTES) return;
  let at = 0;
  while (at < free.length && free[at]!.byteLength < buffer.byteLength) at++;
  free.splice(at, 0, buffer);
  pooledBytes += buffer.byteLength;
}

/**
 * Take the free buffers among `buffers` out of the pool: an inference plan (nn/inference-plan.ts)
 * keeps the storage its recorded forward used, and no later forward may be handed it. Buffers the
 * pool does not hold are ignored. Returns the buffers taken.
 */
export function claimInferenceBuffers(buffers: ReadonlySet<ArrayBufferLike>): ArrayBuffer[] {
  const claimed: ArrayBuffer[] = [];
  for (let i = free.length - 1; i >= 0; i--) {
    const b = free[i]!;
    if (!buffers.has(b)) continue;
    free.splice(i, 1);
    pooledBytes -= b.byteLength;
    claimed.push(b);
  }
  return claimed;
}

/**
 * Give back buffers {@link claimInferenceBuffers} took, once nothing uses them any more (an
 * inference plan that no longer holds), as far as the pool's size limit allows.
 */
export function returnInferenceBuffers(buffers: readonly ArrayBuffer[]): void {
  for (const buffer of buffers) {
    if (pooledBytes + buffer.byteLength > MAX_POOLED_BYTES) return;
    let at = 0;
    while (at < free.length && free[at]!.byteLength < buffer.byteLength) at++;
    free.splice(at, 0, buffer);
    pooledBytes += buffer.byteLength;
  }
}

/**
 * Drop the activation buffers kept for reuse between inference forwards (at most 256 MiB; a
 * model keeps about as much as its largest feature maps alive at once), e.g. when a long-running process is done
 * with a model. Returns how many bytes were released to the garbage collector; the next forward
 * simply allocates afresh. (The storage an inference plan recorded for a model stays with that
 * model's plan: see nn/inference-plan.ts.)
 */
export function freeInferenceBuffers(): number {
  const released = pooledBytes;
  free.length = 0;
  pooledBytes = 0;
  return released;
}

/** What the inference buffer pool holds and has handed out. */
export interface InferenceBufferStats {
  /** Free buffers kept for reuse. */
  readonly freeBuffers: number;
  /** Bytes of the free buffers. */
  readonly pooledBytes: number;
  /** Large arrays allocated during inference forwards since the process started. */
  readonly taken: number;
  /** ... of which were reused buffers rather than new ones. */
  readonly reused: number;
}

/** Counters of the inference buffer pool (between forwards `pooledBytes` stays bounded). */
export function inferenceBufferStats(): InferenceBufferStats {
  return { freeBuffers: free.length, pooledBytes, taken, reused: reusedCount };
}
