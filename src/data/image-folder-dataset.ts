// Node-only: decodes image files with `sharp` when they are asked for.
import { ValueError } from '../errors.js';
import type { Preprocessing } from '../nn/model-card.js';
import { checkOptionNames } from '../option-names.js';
import type { AsyncDataset, BadImagePolicy } from './async-dataset.js';
import type { Sample } from './dataset.js';
import type { BadImage } from './image-folder-error.js';
import {
  listImageFolder,
  readFolderImage,
  resolveFolderImageFormat,
  type FolderImageFormat,
  type FolderImageOptions,
} from './image-folder-files.js';

/** Options of {@link imageFolderDataset}. */
export interface ImageFolderDatasetOptions extends FolderImageOptions {
  /**
   * An image that does not decode (truncated, corrupt, not an image): `fail` (the default) stops
   * the epoch with an `ImageFolderError` naming every bad file of the batch; `skip` leaves it out
   * of its batch (which is then smaller) and reports it through `onSkip`.
   */
  badImages?: BadImagePolicy;
  /** Called once per skipped file (default: one line on stderr naming the file and the problem). */
  onSkip?: (bad: BadImage) => void;
}

const OPTIONS: Record<keyof ImageFolderDatasetOptions, true> = {
  size: true,
  channels: true,
  fit: true,
  extensions: true,
  badImages: true,
  onSkip: true,
};

/** What a worker thread needs to rebuild an {@link ImageFolderDataset}. */
export interface ImageFolderRecipe {
  kind: 'image-folder';
  root: string;
  classNames: string[];
  files: string[];
  labels: number[];
  format: FolderImageFormat;
  badImages: BadImagePolicy;
}

function printSkip(bad: BadImage): void {
  process.stderr.write(`stride: skipped ${bad.file}: ${bad.problem}\n`);
}

/**
 * An image folder (one sub-folder per class) whose files are decoded when a batch asks for them,
 * not up front: the `DataLoader` reads it with `for await`, on the main thread or in worker
 * threads (`numWorkers`). Only the file list is held in memory.
 */
export class ImageFolderDataset implements AsyncDataset {
  /** The folder. */
  readonly source: string;
  /** Class names (the sorted sub-folders); labels index them. */
  readonly classNames: readonly string[];
  /** Every image file, class by class. */
  readonly files: readonly string[];
  /** The label of each file. */
  readonly labels: Int32Array;
  /** The shape of one item, `[C, H, W]`. */
  readonly sampleShape: readonly [number, number, number];
  /** What a batch does with a file that does not decode. */
  readonly badImages: BadImagePolicy;
  /** How each item was made from its file (`fit()` records it on the model). */
  readonly preprocessing: Preprocessing;
  /** Every file skipped so far, once each. */
  readonly skipped: BadImage[] = [];
  private readonly format: FolderImageFormat;
  private readonly onSkip: (bad: BadImage) => void;

  /** Rebuild from a {@link ImageFolderRecipe} (what the loader's worker threads do). */
  constructor(recipe: ImageFolderRecipe, onSkip: (bad: BadImage) => void = printSkip) {
    this.source = recipe.root;
    this.classNames = Object.freeze([...recipe.classNames]);
    this.files = Object.freeze([...recipe.files]);
    this.labels = Int32Array.from(recipe.labels);
    this.format = { ...recipe.format };
    this.badImages = recipe.badImages;
    this.onSkip = onSkip;
    const { channels, height, width, fit } = this.format;
    this.sampleShape = [channels, height, width];
    this.preprocessing = { size: [height, width], channels, colorOrder: 'rgb', scale: 1 / 255, fit };
  }

  /** Number of images. */
  get length(): number {
    return this.files.length;
  }

  /** Number of classes. */
  get numClasses(): number {
    return this.classNames.length;
  }

  /** Decode image `index`; an `ImageFileError` names the file when it does not decode. */
  async getAsync(index: number): Promise<Sample> {
    const file = this.files[index];
    if (!Number.isInteger(index) || file === undefined)
      throw new ValueError(
        'ImageFolderDataset',
        `index ${index} is out of range for ${this.length} images in ${this.source}`,
      );
    return { x: await readFolderImage('ImageFolderDataset', file, this.format), y: this.labels[index]! };
  }

  /** Items are decoded asynchronously: use the `DataLoader` with `for await`, or `getAsync`. */
  get(index: number): never {
    throw new ValueError(
      'ImageFolderDataset',
      `item ${index}: images are decoded asynchronously. Fix: iterate the DataLoader with 'for await', call getAsync, or load the whole folder with loadImageFolder`,
    );
  }

  /** Record a skipped file and report it once. */
  reportSkipped(bad: BadImage): void {
    if (this.skipped.some((s) => s.file === bad.file)) return;
    this.skipped.push(bad);
    this.onSkip(bad);
  }

  /** The plain data from which a worker thread rebuilds this dataset. */
  workerRecipe(): ImageFolderRecipe {
    return {
      kind: 'image-folder',
      root: this.source,
      classNames: [...this.classNames],
      files: [...this.files],
      labels: [...this.labels],
      format: { ...this.format },
      badImages: this.badImages,
    };
  }
}

/**
 * An image-classification folder (`root/<class>/<image>`, as torchvision's `ImageFolder`) read
 * lazily: the files are listed now and decoded (JPEG/PNG/WebP with `sharp`, resized to `size`,
 * float32 CHW in [0, 1]) when the `DataLoader` asks for them, in worker threads with
 * `numWorkers`. `badImages: 'skip'` leaves out files that do not decode and reports each by path;
 * the default `'fail'` stops the run with an `ImageFolderError` naming them.
 *
 * @example
 * const ds = imageFolderDataset('photos', { size: 96, badImages: 'skip' });
 * const loader = new DataLoader(ds, { batchSize: 32, shuffle: true, numWorkers: 2,
 *   transform: [{ name: 'randomHorizontalFlip' }] });
 * for await (const { x, y } of loader) step(x, y);
 * await loader.close();
 */
export function imageFolderDataset(root: string, opts: ImageFolderDatasetOptions): ImageFolderDataset {
  const op = 'imageFolderDataset';
  checkOptionNames(op, opts, Object.keys(OPTIONS));
  const format = resolveFolderImageFormat(op, opts);
  const badImages = opts.badImages ?? 'fail';
  if (badImages !== 'fail' && badImages !== 'skip')
    throw new ValueError(op, `badImages must be 'fail' or 'skip', got '${String(badImages)}'`);
  const listing = listImageFolder(op, root, opts.extensions);
  return new ImageFolderDataset({ kind: 'image-folder', root, ...listing, format, badImages }, opts.onSkip);
}
