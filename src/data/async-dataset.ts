import type { Sample } from './dataset.js';
import type { BadImage } from './image-folder-error.js';

/** What happens to an image that does not decode: the run fails naming it, or it is left out and reported. */
export type BadImagePolicy = 'fail' | 'skip';

/**
 * A dataset whose items are read asynchronously (files decoded on demand), which the
 * `DataLoader` batches with `for await`, on the main thread or, with `numWorkers`, in worker
 * threads that rebuild it from {@link AsyncDataset.workerRecipe}.
 */
export interface AsyncDataset {
  /** Number of items. */
  readonly length: number;
  /** Where the items come from, for messages (a folder). */
  readonly source: string;
  /** What a batch does with an item that does not decode. */
  readonly badImages: BadImagePolicy;
  /** Read item `index`; throws an `ImageFileError` naming the file when it does not decode. */
  getAsync(index: number): Promise<Sample>;
  /** Called on the calling thread for each item a batch left out (policy `skip`). */
  reportSkipped(bad: BadImage): void;
  /** Plain data (structured-clonable) from which a worker thread rebuilds the same dataset. */
  workerRecipe(): unknown;
}

/** Whether `d` is an {@link AsyncDataset}. */
export function isAsyncDataset(d: unknown): d is AsyncDataset {
  return typeof (d as Partial<AsyncDataset> | null)?.getAsync === 'function';
}
