import type { BatchArrays } from '../data/batch-assembly.js';
import type { TransferredError } from './transferred-error.js';

/** What a loader worker thread starts with. */
export interface LoaderWorkerData {
  /** The dataset's `workerRecipe()`. */
  recipe: unknown;
  /** The transform, as specs. */
  transform: readonly unknown[] | undefined;
}

/** Make one batch. */
export interface LoaderRequest {
  id: number;
  indices: Int32Array;
  seed: number;
}

/** The batch, or the error that stopped it. */
export type LoaderReply =
  { id: number; ok: true; batch: BatchArrays } | { id: number; ok: false; error: TransferredError };
