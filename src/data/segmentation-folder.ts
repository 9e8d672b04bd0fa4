// Node-only: reads image and mask files with `sharp`.
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { ValueError } from '../errors.js';
import { SegmentationDataset } from '../segmentation/segmentation-dataset.js';
import { sizePair, type ImageSize } from './augment/resize.js';
import { DataFileError } from './data-file-error.js';

/** Options of {@link loadSegmentationFolder}. */
export interface SegmentationFolderOptions {
  /** Classes, the background included; every mask label must be below it (or be `ignoreIndex`). */
  numClasses: number;
  /** Images are resized (bilinear) and masks resized (nearest: labels stay whole) to this size. */
  size: ImageSize;
  /** `rgb` (default) or `gray` images. */
  channels?: 'rgb' | 'gray';
  /** A mask value that belongs to no class (e.g. 255, VOC's border label). */
  ignoreIndex?: number;
  /**
   * Colour masks: the [r, g, b] of each class in order; a mask pixel of another colour is an
   * error unless `ignoreColor` matches it. Without a palette the mask's first channel is the label.
   */
  palette?: readonly (readonly [number, number, number])[];
  /** With a palette: the colour of ignored pixels (mapped to `ignoreIndex`). */
  ignoreColor?: readonly [number, number, number];
  /** Class names, one per class. */
  classNames?: readonly string[];
}

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

function stem(f: string): string {
  return basename(f, extname(f));
}

/**
 * A segmentation dataset from `root/images/<name>.{png,jpg}` and `root/masks/<name>.png` pairs
 * (matched by file name without extension). Masks hold one label per pixel: the grey value (first
 * channel) of a label PNG, or, with `palette`, the class whose colour the pixel has. Images are
 * stored as float32 CHW in [0, 1]. Throws a DataFileError naming the file for a missing pair, an
 * undecodable file, a mask whose size differs from its image's, or a label outside the classes.
 */
export async function loadSegmentationFolder(
  root: string,
  opts: SegmentationFolderOptions,
): Promise<SegmentationDataset> {
  const op = 'loadSegmentationFolder';
  const [height, width] = sizePair(op, opts.size);
  const gray = (opts.channels ?? 'rgb') === 'gray';
  const imgDir = join(root, 'images');
  const maskDir = join(root, 'masks');
  for (const d of [imgDir, maskDir]) {
    let ok = false;
    try {
      ok = statSync(d).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok)
      throw new DataFileError(
        op,
        d,
        'folder not found',
        'put images in root/images and label PNGs of the same names in root/masks',
      );
  }
  const images = readdirSync(imgDir)
    .filter((f) => !f.startsWith('.') && IMAGE_EXT.has(extname(f).toLowerCase()))
    .sort();
  const masks = new Map(
    readdirSync(maskDir)
      .filter((f) => extname(f).toLowerCase() === '.png')
      .map((f) => [stem(f), f]),
  );
  if (images.length === 0) throw new DataFileError(op, imgDir, 'holds no PNG or JPEG images');
  const pairs = images.map((f) => {
    const m = masks.get(stem(f));
    if (!m)
      throw new DataFileError(
        op,
        join(imgDir, f),
        `has no mask ${stem(f)}.png in ${maskDir}`,
        'add the mask or remove the image',
      );
    return { image: join(imgDir, f), mask: join(maskDir, m) };
  });
  let sharp: typeof import('sharp').default;
  try {
    sharp = (await import('sharp')).default;
  } catch (e) {
    throw new ValueError(
      op,
      `the image decoder sharp could not be loaded (${(e as Error).message}). Fix: run \`npm install sharp\``,
    );
  }
  const c = gray ? 1 : 3;
  const data = new Float32Array(pairs.length * c * height * width);
  const labels = new Uint8Array(pairs.length * height * width);
  const palette = opts.palette?.map(([r, g, b]) => (r << 16) | (g << 8) | b);
  const ignoreColor = opts.ignoreColor
    ? (opts.ignoreColor[0] << 16) | (opts.ignoreColor[1] << 8) | opts.ignoreColor[2]
    : null;
  for (const [k, p] of pairs.entries()) {
    const decode = async (file: string, nearest: boolean) => {
      try {
        const meta = await sharp(await readFile(file)).metadata();
        const { data: raw, info } = await sharp(await readFile(file), { failOn: 'error' })
          .removeAlpha()
          .toColourspace('srgb')
          .resize({ width, height, fit: 'fill', kernel: nearest ? 'nearest' : 'lanczos3' })
          .raw()
          .toBuffer({ resolveWithObject: true });
        return { raw, channels: info.channels, w: meta.width ?? 0, h: meta.height ?? 0 };
      } catch (e) {
        throw new DataFileError(
          op,
          file,
          `does not decode (${(e as Error).message})`,
          'replace the file; PNG and JPEG are supported',
        );
      }
    };
    const img = await decode(p.image, false);
    const msk = await decode(p.mask, true);
    if (img.w !== msk.w || img.h !== msk.h) {
      throw new DataFileError(
        op,
        p.mask,
        `is ${msk.w}x${msk.h} but its image is ${img.w}x${img.h}`,
        'give every mask its image’s size',
      );
    }
    const plane = height * width;
    for (let i = 0; i < plane; i++) {
      const r = img.raw[i * img.channels]!;
      const g = img.raw[i * img.channels + 1]!;
      const b = img.raw[i * img.channels + 2]!;
      if (gray) data[k * plane + i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
      else {
        data[(k * 3 + 0) * plane + i] = r / 255;
        data[(k * 3 + 1) * plane + i] = g / 255;
        data[(k * 3 + 2) * plane + i] = b / 255;
      }
      let label: number;
      if (palette) {
        const rgb =
          (msk.raw[i * msk.channels]! << 16) |
          (msk.raw[i * msk.channels + 1]! << 8) |
          msk.raw[i * msk.channels + 2]!;
        label = palette.indexOf(rgb);
        if (label < 0) {
          if (rgb === ignoreColor && opts.ignoreIndex !== undefined) label = opts.ignoreIndex;
          else {
            throw new DataFileError(
              op,
              p.mask,
              `pixel (row ${Math.floor(i / width)}, column ${i % width}) has colour #${rgb.toString(16).padStart(6, '0')}, which is no class of the palette`,
              'add the colour to palette, or set ignoreColor and ignoreIndex',
            );
          }
        }
      } else label = msk.raw[i * msk.channels]!;
      if (label >= opts.numClasses && label !== opts.ignoreIndex) {
        throw new DataFileError(
          op,
          p.mask,
          `has label ${label} at row ${Math.floor(i / width)}, column ${i % width} (after resizing), outside the classes [0, ${opts.numClasses})`,
          'check numClasses, or set ignoreIndex for unlabelled pixels',
        );
      }
      labels[k * plane + i] = label;
    }
  }
  return new SegmentationDataset({
    images: data,
    masks: labels,
    imageShape: [c, height, width],
    numClasses: opts.numClasses,
    ...(opts.classNames ? { classNames: opts.classNames } : {}),
    ...(opts.ignoreIndex !== undefined ? { ignoreIndex: opts.ignoreIndex } : {}),
    source: root,
  });
}
