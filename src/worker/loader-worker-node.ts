/**
 * The entry point of a `DataLoader` worker thread (Node only). It rebuilds the dataset and the
 * transform from the plain data in `workerData`, then makes one batch per request (decode,
 * transform, stack), in the order received, and sends the arrays back without copying them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { transformFromSpecs, type TransformSpec } from '../data/augment/transform-spec.js';
import { loadBatchArrays } from '../data/batch-assembly.js';
import { ImageFolderDataset, type ImageFolderRecipe } from '../data/image-folder-dataset.js';
import { ValueError } from '../errors.js';
import { transferError } from './transferred-error.js';
import type { LoaderReply, LoaderRequest, LoaderWorkerData } from './loader-messages.js';

const init = workerData as LoaderWorkerData;

function datasetOf(recipe: unknown): ImageFolderDataset {
  if ((recipe as Partial<ImageFolderRecipe> | null)?.kind !== 'image-folder')
    throw new ValueError('DataLoader', 'the loader worker rebuilds image folders only');
  // Skips are reported by the main thread's dataset, which receives them with the batch.
  return new ImageFolderDataset(recipe as ImageFolderRecipe, () => undefined);
}

const dataset = datasetOf(init.recipe);
const transform =
  init.transform === undefined ? undefined : transformFromSpecs(init.transform as TransformSpec[]);

// One request at a time, in arrival order: the main thread bounds how many it sends.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (req: LoaderRequest) => {
  queue = queue.then(async () => {
    let reply: LoaderReply;
    const transfer: ArrayBuffer[] = [];
    try {
      const batch = await loadBatchArrays(dataset, req.indices, transform, req.seed);
      reply = { id: req.id, ok: true, batch };
      transfer.push(batch.x.buffer as ArrayBuffer, batch.y.buffer as ArrayBuffer);
    } catch (e) {
      reply = { id: req.id, ok: false, error: transferError(e) };
    }
    parentPort!.postMessage(reply, transfer);
  });
});
