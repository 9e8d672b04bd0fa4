/**
 * Reuse of the large arrays that inference forwards allocate for intermediate activations.
 *
 * Every op's output is a fresh typed array; JavaScript gives no signal when one dies, so a forward
 * pass of a CNN allocates its feature maps afresh on every call: megabytes of memory the operating
 * system hands over page by page (zero-filled on first touch) and the garbage collector later
 * frees, under "external memory pressure" collections. Measured on MobileNetV2 at batch 8 that was
 * more time than all its convolutions. Inside a fused inference forward the containers (`Sequential`,
 * `Graph`) do know when an intermediate dies: once its last reader has run, when both the layer that
 * made it and its readers are layers that neither keep their inputs nor show values to hooks. They
 * give such arrays back here, and the convolutions of the fused path take their outputs from here,
 * so the same warm buffers serve call after call (what ONNX Runtime's arena does).
 *
 * Only arrays this pool lent can come back, each once; an array that is never given back (a model's
 * output, anything a caller keeps) simply stays with its holder. Arrays come back with stale
 * contents, so only outputs that a kernel overwrites entirely are taken from here. Small arrays are
 * not pooled: allocating them is cheap.
 */
import type { DType, FloatArray } from './dtype.js';

/** Arrays shorter than this are allocated normally. */
const MIN_POOLED_LENGTH = 16384;
/** Most bytes kept for reuse between forwards. */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;

const free = new Map<string, FloatArray[]>();
let pooledBytes = 0;
/** Storage lent by the pool and not given back yet. */
const lent = new WeakSet<ArrayBufferLike>();
let depth = 0;
let generation = 0;

const keyOf = (dtype: DType, length: number): string => `${dtype}:${length}`;

/** Whether a fused inference forward is running (its convolutions then take outputs from the pool). */
export function activationPoolActive(): boolean {
  return depth > 0;
}

/** Run `fn` with the pool lending activation arrays (nests). */
export function withActivationPool<T>(fn: () => T): T {
  if (depth === 0) generation++;
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

/** A number that changes with every outermost {@link withActivationPool} call (for per-forward memos). */
export function activationPoolGeneration(): number {
  return generation;
}

/**
 * An array of `length` values for an output that the caller overwrites entirely (its contents are
 * stale), or null when no forward is lending or it is too small to pool.
 */
export function takeActivationBuffer(dtype: DType, length: number): FloatArray | null {
  if (depth === 0 || length < MIN_POOLED_LENGTH) return null;
  const reused = free.get(keyOf(dtype, length))?.pop();
  let a: FloatArray;
  if (reused) {
    pooledBytes -= reused.byteLength;
    a = reused;
  } else {
    a = dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
  }
  lent.add(a.buffer);
  return a;
}

/**
 * Give back the storage of an activation that nothing references any more. Storage the pool did
 * not lend, or already got back, is ignored.
 */
export function releaseActivationBuffer(a: FloatArray): void {
  const buffer = a.buffer;
  if (!lent.has(buffer) || a.byteOffset !== 0 || a.byteLength !== buffer.byteLength) return;
  lent.delete(buffer);
  if (pooledBytes + a.byteLength > MAX_POOLED_BYTES) return;
  const key = keyOf(a instanceof Float64Array ? 'float64' : 'float32', a.length);
  let list = free.get(key);
  if (!list) {
    list = [];
    free.set(key, list);
  }
  list.push(a);
  pooledBytes += a.byteLength;
}

/**
 * Drop the activation arrays kept for reuse (at most 256 MiB are kept between inference forwards),
 * e.g. when a long-running process is done with a model. Returns how many bytes were released to
 * the garbage collector. Later forwards simply allocate afresh.
 */
export function freeActivationBuffers(): number {
  const released = pooledBytes;
  free.clear();
  pooledBytes = 0;
  return released;
}
