/**
 * Reuse of the large arrays a backward pass allocates for intermediate gradients.
 *
 * JavaScript gives no signal when an array dies, so every op's output is a fresh zero-filled
 * typed array: for megabyte-sized feature maps that is mostly writing to memory that is not in
 * cache, paid again on every training step. Inside a backward pass the autograd engine does know:
 * the gradient of an intermediate tensor is dead once its node has run and no other pending
 * gradient shares its storage. The engine hands such arrays back here, and arrays allocated while
 * a backward pass runs are taken from here, so the same warm buffers serve step after step.
 *
 * Only arrays this pool handed out can come back, and never one that escaped to the user (a
 * leaf's `.grad`, the seed gradient). Small arrays are not pooled: allocating them is cheap.
 */
import type { DType, FloatArray } from './dtype.js';

/** Arrays shorter than this are allocated normally. */
const MIN_POOLED_LENGTH = 16384;
/** Most bytes kept for reuse between and during backward passes. */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;

const free = new Map<string, FloatArray[]>();
let pooledBytes = 0;
/** Buffers handed out by the pool that may come back (not escaped). */
const returnable = new WeakSet<ArrayBufferLike>();
let depth = 0;
/** Counters for {@link gradientPoolStats}. */
let outstanding = 0;
let taken = 0;
let reusedCount = 0;

const keyOf = (dtype: DType, length: number): string => `${dtype}:${length}`;

/** Whether a backward pass is running (allocations then go through the pool). */
export function gradientPoolActive(): boolean {
  return depth > 0;
}

/** Run `fn` with allocations served by the pool (nests). */
export function withGradientPool<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

/** A zero-filled array from the pool, or null when none of this size is free or it is too small to pool. */
export function takeGradientBuffer(dtype: DType, length: number): FloatArray | null {
  if (length < MIN_POOLED_LENGTH) return null;
  const list = free.get(keyOf(dtype, length));
  const reused = list?.pop();
  taken++;
  outstanding++;
  if (reused) {
    reusedCount++;
    pooledBytes -= reused.byteLength;
    reused.fill(0);
    returnable.add(reused.buffer);
    return reused;
  }
  const fresh = dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
  returnable.add(fresh.buffer);
  return fresh;
}

/** Mark the storage of `a` as held outside the engine: it will never be reused. */
export function escapeGradientBuffer(a: FloatArray): void {
  if (returnable.delete(a.buffer)) outstanding--;
}

/**
 * Give back a gradient's storage that nothing references any more. Storage the pool did not hand
 * out, or that escaped, is ignored.
 */
export function releaseGradientBuffer(a: FloatArray): void {
  const buffer = a.buffer;
  if (!returnable.has(buffer) || a.byteOffset !== 0 || a.byteLength !== buffer.byteLength) return;
  returnable.delete(buffer);
  outstanding--;
  if (pooledBytes + a.byteLength > MAX_POOLED_BYTES) return;
  const dtype: DType = a instanceof Float64Array ? 'float64' : 'float32';
  const key = keyOf(dtype, a.length);
  let list = free.get(key);
  if (!list) {
    list = [];
    free.set(key, list);
  }
  list.push(a);
  pooledBytes += a.byteLength;
}

/**
 * Drop the gradient buffers kept for reuse (at most 256 MiB are kept between backward passes),
 * e.g. when a long-running process is done training. Returns how many bytes were released to
 * the garbage collector. Training afterwards simply allocates afresh.
 */
export function freeGradientBuffers(): number {
  const released = pooledBytes;
  free.clear();
  pooledBytes = 0;
  return released;
}

/** What the gradient buffer pool holds and has handed out, for leak checks and tuning. */
export interface GradientPoolStats {
  /** Buffers handed out that have neither come back nor escaped to the user. */
  readonly outstanding: number;
  /** Free buffers kept for reuse. */
  readonly freeBuffers: number;
  /** Bytes of the free buffers. */
  readonly pooledBytes: number;
  /** Buffers handed out since the process started. */
  readonly taken: number;
  /** ... of which were reused rather than allocated. */
  readonly reused: number;
}

/**
 * Counters of the gradient buffer pool. Between training steps `outstanding` stays at the same
 * value step after step; a count that grows means buffers are taken and never handed back (each
 * step then allocates afresh).
 */
export function gradientPoolStats(): GradientPoolStats {
  let freeBuffers = 0;
  for (const list of free.values()) freeBuffers += list.length;
  return { outstanding, freeBuffers, pooledBytes, taken, reused: reusedCount };
}
