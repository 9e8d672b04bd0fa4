// Node-only: reads and decodes image files with `sharp`.
import { checkOptionNames } from '../option-names.js';
import { ValueError } from '../errors.js';
import { ImageFileError } from '../image/image-file-error.js';
import { ImageFolderError, type BadImage } from './image-folder-error.js';
import { TensorDataset } from './dataset.js';
import {
  listImageFolder,
  readFolderImage,
  resolveFolderImageFormat,
  type FolderImageOptions,
} from './image-folder-files.js';

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions extends FolderImageOptions {
  /** How many files are decoded at once (default 4). */
  concurrency?: number;
}

/** Every option of {@link loadImageFolder} (the compiler keeps this in step with {@link ImageFolderOptions}). */
const IMAGE_FOLDER_OPTIONS: Record<keyof ImageFolderOptions, true> = {
  size: true,
  channels: true,
  fit: true,
  extensions: true,
  concurrency: true,
};

/**
 * An image-classification dataset from a folder with one sub-folder per class
 * (`root/cat/001.jpg`, `root/dog/002.png`, as torchvision's `ImageFolder`): classes are the
 * sub-folder names in sorted order, labels their indices. Every JPEG/PNG/WebP is decoded with
 * `sharp`, resized to `size` and stored as float32 CHW in [0, 1]; the whole set is held in memory.
 * The dataset records its preprocessing (size, channels, scale), which `fit()` passes to the model.
 * For folders too large to hold decoded, `imageFolderDataset` decodes on demand (in worker threads
 * with the `DataLoader`'s `numWorkers`).
 *
 * Throws a `DataFileError` naming the path when the root does not exist or holds no class
 * folders, or when a class folder holds no images; when images do not decode, an
 * `ImageFolderError` listing every bad file with its reason (e.g. a truncated JPEG).
 */
export async function loadImageFolder(root: string, opts: ImageFolderOptions): Promise<TensorDataset> {
  const op = 'loadImageFolder';
  checkOptionNames(op, opts, Object.keys(IMAGE_FOLDER_OPTIONS));
  const format = resolveFolderImageFormat(op, opts);
  const { height, width, channels } = format;
  const concurrency = opts.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ValueError(op, `concurrency must be a positive integer, got ${concurrency}`);
  }
  const { classNames, files, labels } = listImageFolder(op, root, opts.extensions);

  const sampleSize = channels * height * width;
  const data = new Float32Array(files.length * sampleSize);
  const bad: (BadImage | undefined)[] = [];
  const decodeInto = async (k: number): Promise<void> => {
    const file = files[k]!;
    try {
      data.set((await readFolderImage(op, file, format)).data, k * sampleSize);
    } catch (e) {
      if (!(e instanceof ImageFileError)) throw e;
      bad[k] = { file, problem: e.problem };
    }
  };
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, files.length) }, async () => {
    while (next < files.length) await decodeInto(next++);
  });
  await Promise.all(workers);
  const badImages = bad.filter((b): b is BadImage => b !== undefined);
  if (badImages.length > 0) throw new ImageFolderError(op, root, badImages);
  return new TensorDataset({
    data,
    labels: Int32Array.from(labels),
    sampleShape: [channels, height, width],
    classNames,
    source: root,
    preprocessing: {
      size: [height, width],
      channels,
      colorOrder: 'rgb',
      scale: 1 / 255,
      fit: format.fit,
    },
  });
}
