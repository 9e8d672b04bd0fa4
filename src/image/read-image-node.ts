// Node-only: decodes image files and bytes with `sharp`.
import { readFile } from 'node:fs/promises';
import type { Tensor } from '../tensor/tensor.js';
import { ImageFileError } from './image-file-error.js';
import { IMAGE_FILE_PROBLEMS, isJpeg, jpegLacksEnd } from './image-file-problems.js';
import { imageToTensor } from './image-to-tensor.js';
import type { RawImage } from './raw-image.js';
import {
  resolveReadImageOptions,
  type ReadImageOptions,
  type ResolvedReadImage,
} from './read-image-options.js';
import { loadSharp } from './sharp-loader-node.js';

/** Read a file's bytes, or an `ImageFileError` naming it when it is missing or unreadable. */
export async function readImageBytes(op: string, path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImageFileError(op, path, IMAGE_FILE_PROBLEMS.missing, 'check the path');
    if (code === 'EISDIR') throw new ImageFileError(op, path, 'is a folder, not an image file');
    throw new ImageFileError(op, path, `cannot be read (${(e as Error).message})`);
  }
}

/** The stable reason a decode failed, from the bytes and sharp's message. */
function decodeProblem(bytes: Uint8Array, message: string): string {
  if (bytes.length === 0) return IMAGE_FILE_PROBLEMS.empty;
  if (isJpeg(bytes) && (jpegLacksEnd(bytes) || /premature end|truncated/i.test(message)))
    return IMAGE_FILE_PROBLEMS.truncatedJpeg;
  if (/unsupported image format/i.test(message)) return IMAGE_FILE_PROBLEMS.notAnImage;
  return `${IMAGE_FILE_PROBLEMS.corrupt} (${message.split('\n')[0]})`;
}

/**
 * Decode image bytes into sRGB bytes (3 channels, or 4 with alpha when `channels` is 4), resized to
 * `size` when given. Throws an `ImageFileError` naming `source` with a stable reason from
 * {@link IMAGE_FILE_PROBLEMS} when the bytes are not a readable image.
 */
export async function decodeImage(
  op: string,
  bytes: Uint8Array,
  source: string,
  opts: ResolvedReadImage,
): Promise<RawImage> {
  const sharp = await loadSharp(op);
  const fix = 'remove or replace the file; JPEG, PNG and WebP are read';
  if (bytes.length === 0) throw new ImageFileError(op, source, IMAGE_FILE_PROBLEMS.empty, fix);
  if (isJpeg(bytes) && jpegLacksEnd(bytes))
    throw new ImageFileError(op, source, IMAGE_FILE_PROBLEMS.truncatedJpeg, fix);
  try {
    let pipeline = sharp(bytes, { failOn: 'error' }).toColourspace('srgb');
    pipeline = opts.channels === 4 ? pipeline.ensureAlpha() : pipeline.removeAlpha();
    if (opts.size) {
      const [height, width] = opts.size;
      pipeline = pipeline.resize({
        width,
        height,
        fit: opts.fit,
        background: { r: 0, g: 0, b: 0, alpha: 1 },
      });
    }
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (e) {
    throw new ImageFileError(op, source, decodeProblem(bytes, (e as Error).message), fix);
  }
}

/**
 * Read an image file (or its bytes) into a float32 tensor `[C, H, W]` in [0, 1]: JPEG, PNG, WebP
 * (and the other formats sharp reads), converted to sRGB, resized to `size` when given (`fit`
 * says how), with 3 channels by default (`channels: 1` gives the ITU-R 601 luma, 4 keeps alpha).
 * A missing file, bytes that are not an image, or a truncated JPEG give an `ImageFileError` naming
 * the file with a stable reason (see `IMAGE_FILE_PROBLEMS`).
 */
export async function readImage(input: string | Uint8Array, opts: ReadImageOptions = {}): Promise<Tensor> {
  const op = 'readImage';
  const o = resolveReadImageOptions(op, opts);
  const source = typeof input === 'string' ? input : (opts.name ?? 'image bytes');
  const bytes = typeof input === 'string' ? await readImageBytes(op, input) : input;
  const raw = await decodeImage(op, bytes, source, o);
  return imageToTensor(raw, { channels: o.channels });
}
