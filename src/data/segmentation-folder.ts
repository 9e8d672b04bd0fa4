// Node-only: reads image and mask files with `sharp`.
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { ValueError } from '../errors.js';
import { SegmentationDataset } from '../segmentation/segmentation-dataset.js';
import { Tensor } from '../tensor/tensor.js';
import { resizeImage, resizeLabelsNearest, sizePair, type ImageSize } from './augment/resize.js';
import { DataFileError } from './data-file-error.js';

/** Options of {@link loadSegmentationFolder}. */
export interface SegmentationFolderOptions {
  /** Classes, the background included; every mask label must be below it (or be `ignoreIndex`). */
  numClasses: number;
  /**
   * Images are resized to this size bilinearly (PyTorch's `F.interpolate(mode='bilinear',
   * align_corners=False)`, no anti-aliasing) and masks by nearest neighbour (labels are copied,
   * never blended).
   */
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

/** Decode an image file to RGB bytes (HWC, alpha dropped) at its own size. */
async function decodeRgb(
  sharp: typeof import('sharp').default,
  op: string,
  file: string,
): Promise<{ raw: Buffer; w: number; h: number }> {
  try {
    const { data, info } = await sharp(await readFile(file), { failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after conversion to sRGB`);
    return { raw: data, w: info.width, h: info.height };
  } catch (e) {
    throw new DataFileError(
      op,
      file,
      `does not decode (${(e as Error).message})`,
      'replace the file; PNG and JPEG are supported',
    );
  }
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
 * undecodable file, a mask whose size differs from its image's, or a label outside the classes
 * (checked at the mask's own size, before resizing).
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
  const plane = height * width;
  for (const [k, p] of pairs.entries()) {
    const img = await decodeRgb(sharp, op, p.image);
    const msk = await decodeRgb(sharp, op, p.mask);
    if (img.w !== msk.w || img.h !== msk.h) {
      throw new DataFileError(
        op,
        p.mask,
        `is ${msk.w}x${msk.h} but its image is ${img.w}x${img.h}`,
        'give every mask its image’s size',
      );
    }
    // The image, at its own size as CHW in [0, 1], resized bilinearly.
    const n = img.w * img.h;
    const chw = new Float32Array(c * n);
    for (let i = 0; i < n; i++) {
      const r = img.raw[i * 3]!;
      const g = img.raw[i * 3 + 1]!;
      const b = img.raw[i * 3 + 2]!;
      if (gray) chw[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
      else {
        chw[i] = r / 255;
        chw[n + i] = g / 255;
        chw[2 * n + i] = b / 255;
      }
    }
    data.set(resizeImage(new Tensor(chw, [c, img.h, img.w]), [height, width]).data, k * c * plane);
    // The labels, read and checked at the mask's own size, then resized by nearest neighbour.
    const own = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const where = `pixel (row ${Math.floor(i / msk.w)}, column ${i % msk.w})`;
      let label: number;
      if (palette) {
        const rgb = (msk.raw[i * 3]! << 16) | (msk.raw[i * 3 + 1]! << 8) | msk.raw[i * 3 + 2]!;
        label = palette.indexOf(rgb);
        if (label < 0) {
          if (rgb === ignoreColor && opts.ignoreIndex !== undefined) label = opts.ignoreIndex;
          else {
            throw new DataFileError(
              op,
              p.mask,
              `${where} has colour #${rgb.toString(16).padStart(6, '0')}, which is no class of the palette`,
              'add the colour to palette, or set ignoreColor and ignoreIndex',
            );
          }
        }
      } else label = msk.raw[i * 3]!;
      if (label >= opts.numClasses && label !== opts.ignoreIndex) {
        throw new DataFileError(
          op,
          p.mask,
          `has label ${label} at row ${Math.floor(i / msk.w)}, column ${i % msk.w}, outside the classes [0, ${opts.numClasses})` +
            (opts.ignoreIndex !== undefined ? ` and not the ignore index ${opts.ignoreIndex}` : ''),
          'check numClasses, or set ignoreIndex for unlabelled pixels',
        );
      }
      own[i] = label;
    }
    labels.set(resizeLabelsNearest(own, msk.h, msk.w, height, width), k * plane);
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
