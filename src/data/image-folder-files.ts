// Node-only: lists an image folder with `node:fs` and decodes its files with `sharp`.
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ValueError } from '../errors.js';
import { imageToTensor } from '../image/image-to-tensor.js';
import { decodeImage, readImageBytes } from '../image/read-image-node.js';
import type { Tensor } from '../tensor/tensor.js';
import { sizePair, type ImageSize } from './augment/resize.js';
import { DataFileError } from './data-file-error.js';

/** The image files of a folder with one sub-folder per class. */
export interface ImageFolderListing {
  /** The class sub-folders, sorted; a label is an index into this list. */
  classNames: string[];
  /** Every image file, class by class, sorted within a class. */
  files: string[];
  /** The label of each file. */
  labels: number[];
}

/** How each file of an image folder becomes a `[C, H, W]` tensor in [0, 1]. */
export interface FolderImageFormat {
  height: number;
  width: number;
  /** 3 (RGB) or 1 (ITU-R 601-2 luma). */
  channels: 1 | 3;
  fit: 'fill' | 'cover' | 'contain';
}

/** The image options shared by the image-folder readers. */
export interface FolderImageOptions {
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
}

/** Check the shared image options of `op`. */
export function resolveFolderImageFormat(op: string, opts: FolderImageOptions): FolderImageFormat {
  const [height, width] = sizePair(op, opts.size);
  const mode = opts.channels ?? 'rgb';
  if (mode !== 'rgb' && mode !== 'gray')
    throw new ValueError(op, `channels must be 'rgb' or 'gray', got '${String(mode)}'`);
  const fit = opts.fit ?? 'fill';
  if (fit !== 'fill' && fit !== 'cover' && fit !== 'contain')
    throw new ValueError(op, `fit must be 'fill', 'cover' or 'contain', got '${String(fit)}'`);
  return { height, width, channels: mode === 'rgb' ? 3 : 1, fit };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * List the images of `root/<class>/<file>` (torchvision's `ImageFolder` layout). Throws a
 * `DataFileError` naming the path when the root does not exist or holds no class folders, or
 * when a class folder holds no images.
 */
export function listImageFolder(
  op: string,
  root: string,
  extensionList: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp'],
): ImageFolderListing {
  const extensions = new Set(extensionList.map((e) => e.toLowerCase()));
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
  const files: string[] = [];
  const labels: number[] = [];
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
    for (const f of images) {
      files.push(join(dir, f));
      labels.push(label);
    }
  });
  return { classNames, files, labels };
}

/**
 * Decode one image file into a float32 `[C, H, W]` tensor in [0, 1] of the given format; an
 * `ImageFileError` names the file and its problem when it does not decode.
 */
export async function readFolderImage(op: string, file: string, format: FolderImageFormat): Promise<Tensor> {
  const raw = await decodeImage(op, await readImageBytes(op, file), file, {
    size: [format.height, format.width],
    channels: 3,
    fit: format.fit,
  });
  return imageToTensor(raw, { channels: format.channels });
}
