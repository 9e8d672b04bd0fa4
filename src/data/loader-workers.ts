import type { TransformSpec } from './augment/transform-spec.js';
import type { BatchArrays } from './batch-assembly.js';

/** Worker threads that make a `DataLoader`'s batches (Node only). */
export interface LoaderWorkerPool {
  /** Make the batch of dataset items `indices` with transform seed `seed` in a worker thread. */
  load(indices: Int32Array, seed: number): Promise<BatchArrays>;
  /** Stop the threads. */
  close(): Promise<void>;
}

/** Starts a {@link LoaderWorkerPool} for a dataset recipe and transform specs. */
export type LoaderWorkerPoolFactory = (
  recipe: unknown,
  transform: readonly TransformSpec[] | undefined,
  numWorkers: number,
) => LoaderWorkerPool;

let factory: LoaderWorkerPoolFactory | undefined;

/**
 * Install the worker-thread pool the `DataLoader` uses with `numWorkers > 0`. Stride's Node entry
 * (`stride/node`) installs its `worker_threads` pool when it is imported; the browser bundle has none.
 */
export function registerLoaderWorkers(f: LoaderWorkerPoolFactory): void {
  factory = f;
}

/** The installed pool factory, if any. */
export function loaderWorkerFactory(): LoaderWorkerPoolFactory | undefined {
  return factory;
}
