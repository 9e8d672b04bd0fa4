/**
 * Stride's Node-only dataset readers (they read files with `node:fs`, decompress with
 * `node:zlib` and decode images with `sharp`), kept apart from the isomorphic core so that the
 * core bundles for the browser. The in-memory datasets, loader, splits, normalization and
 * augmentations they feed, and `DataFileError`, are exported from the main entry.
 */
import { registerLoaderWorkers } from './data/loader-workers.js';
import { createLoaderWorkerPool } from './worker/loader-pool-node.js';
export { parseIdx, readIdx, type IdxArray, type IdxData, type IdxDType } from './data/idx.js';
export { loadIdxImages, type IdxImagesOptions } from './data/idx-dataset.js';
export { loadMnist, mnistFiles, type MnistOptions, type DatasetSplit } from './data/mnist.js';
export {
  loadFashionMnist,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEBIAN_DIR,
  type FashionMnistOptions,
} from './data/fashion-mnist.js';
export {
  readCifarBinary,
  loadCifar10,
  loadCifar100,
  type CifarOptions,
  type CifarFileOptions,
  type CifarVariant,
  type Cifar100LabelMode,
} from './data/cifar.js';
export { loadCsv } from './data/csv.js';
export { loadImageFolder, type ImageFolderOptions } from './data/image-folder.js';
export {
  imageFolderDataset,
  ImageFolderDataset,
  type ImageFolderDatasetOptions,
  type ImageFolderRecipe,
} from './data/image-folder-dataset.js';
export type { FolderImageOptions } from './data/image-folder-files.js';
// The DataLoader's numWorkers runs on these worker threads.
registerLoaderWorkers(createLoaderWorkerPool);
// Segmentation data: MNIST digits on canvases, and image + mask folders.
export { loadMnistSegmentation, type MnistSegmentationOptions } from './data/mnist-segmentation.js';
export { loadSegmentationFolder, type SegmentationFolderOptions } from './data/segmentation-folder.js';
