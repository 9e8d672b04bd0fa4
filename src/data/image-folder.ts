// Node-only: reads and decodes image files with `sharp`.
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ValueError } from '../errors.js';
import { sizePair, type ImageSize } from './augment/resize.js';
import { imageToTensor } from '../image/image-to-tensor.js';
import { ImageFileError } from '../image/image-file-error.js';
import { decodeImage, readImageBytes } from '../image/read-image-node.js';
import { DataFileError } from './data-file-error.js';
import { ImageFolderError, type BadImage } from './image-folder-error.js';
import { TensorDataset } from './dataset.js';

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Every image is resized to this `[height, width]` (or square size). */
  size: ImageSize;
  /**
   * `rgb` (3 channels, the default) or `gray` (1 channel: the ITU-R 601-2 luma
   * 0.299 R + 0.587 G + 0.114 B of the sRGB values, as PIL's `convert('L')`). An alpha channel is
   * dropped.
   */
  channels?: 'rgb' | 'gray';
  /**
   * How the image meets the size (sharp's `fit`): `fill` stretches (the default), `cover` crops
   * the overflow around the centre, `contain` letterboxes with black.
   */
  fit?: 'fill' | 'cover' | 'contain';
  /** File extensions read as images, lower case (default `.jpg`, `.jpeg`, `.png`, `.webp`); other files are skipped. */
  extensions?: readonly string[];
  /** How many files are decoded at once (default 4). */
  concurrency?: number;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * An image-classification dataset from a folder with one sub-folder per class
 * (`root/cat/001.jpg`, `root/dog/002.png`, as torchvision's `ImageFolder`): classes are the
 * sub-folder names in sorted order, labels their indices. Every JPEG/PNG/WebP is decoded with
 * `sharp`, resized to `size` and stored as float32 CHW in [0, 1]; the whole set is held in memory.
 * The dataset records its preprocessing (size, channels, scale), which `fit()` passes to the model.
 *
 * Throws a `DataFileError` naming the path when the root does not exist or holds no class
 * folders, or when a class folder holds no images; when images do not decode, an
 * `ImageFolderError` listing every bad file with its reason (e.g. a truncated JPEG).
 */
export async function loadImageFolder(root: string, opts: ImageFolderOptions): Promise<TensorDataset> {
  const op = 'loadImageFolder';
  const [height, width] = sizePair(op, opts.size);
  const mode = opts.channels ?? 'rgb';
  if (mode !== 'rgb' && mode !== 'gray')
    throw new ValueError(op, `channels must be 'rgb' or 'gray', got '${mode}'`);
  const channels = mode === 'rgb' ? 3 : 1;
  const extensions = new Set(
    (opts.extensions ?? ['.jpg', '.jpeg', '.png', '.webp']).map((e) => e.toLowerCase()),
  );
  const concurrency = opts.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ValueError(op, `concurrency must be a positive integer, got ${concurrency}`);
  }
  if (!isDirectory(root)) {
    throw new DataFileError(
      op,
      root,
      'folder not found',
      'pass a folder holding one sub-folder of images per class',
    );
  }
  const classNames = readdirSync(root)
    .filter((name) => !name.startsWith('.') && isDirectory(join(root, name)))
    .sort();
  if (classNames.length === 0) {
    throw new DataFileError(
      op,
      root,
      'holds no class sub-folders',
      'put the images of each class in its own sub-folder',
    );
  }
  const files: { file: string; label: number }[] = [];
  classNames.forEach((name, label) => {
    const dir = join(root, name);
    const images = readdirSync(dir)
      .filter(
        (f) => !f.startsWith('.') && extensions.has(extname(f).toLowerCase()) && !isDirectory(join(dir, f)),
      )
      .sort();
    if (images.length === 0) {
      throw new DataFileError(
        op,
        dir,
        `class folder holds no images with extensions ${[...extensions].join(', ')}`,
      );
    }
    for (const f of images) files.push({ file: join(dir, f), label });
  });

  const sampleSize = channels * height * width;
  const data = new Float32Array(files.length * sampleSize);
  const labels = new Int32Array(files.length);
  const bad: (BadImage | undefined)[] = [];
  const decodeOptions = { size: [height, width] as [number, number], channels: 3, fit: opts.fit ?? 'fill' };
  const decodeInto = async (k: number): Promise<void> => {
    const { file, label } = files[k]!;
    labels[k] = label;
    try {
      const raw = await decodeImage(op, await readImageBytes(op, file), file, decodeOptions);
      data.set(imageToTensor(raw, { channels }).data, k * sampleSize);
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
    labels,
    sampleShape: [channels, height, width],
    classNames,
    source: root,
    preprocessing: {
      size: [height, width],
      channels,
      colorOrder: 'rgb',
      scale: 1 / 255,
      fit: opts.fit ?? 'fill',
    },
  });
}
