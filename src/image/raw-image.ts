import { ValueError } from '../errors.js';

/**
 * A decoded image as bytes: `height * width * channels` 0..255 values, row by row, channels
 * interleaved (HWC; 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA). The same layout as the
 * browser's `ImageData` (which has 4 channels) and sharp's raw output, so it passes between them
 * without copying.
 */
export interface RawImage {
  /** The pixel bytes, HWC. */
  readonly data: Uint8Array | Uint8ClampedArray;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Channels per pixel, 1 to 4. */
  readonly channels: number;
}

/** True for an object shaped like a {@link RawImage} (or a browser `ImageData`, which has 4 channels). */
export function isRawImage(v: unknown): v is RawImage {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    (o.data instanceof Uint8Array || o.data instanceof Uint8ClampedArray) &&
    typeof o.width === 'number' &&
    typeof o.height === 'number'
  );
}

/** The channel count of a raw image (an `ImageData` has none and 4 bytes per pixel), checked against its bytes. */
export function rawImageChannels(op: string, img: RawImage): number {
  const channels = (img as { channels?: number }).channels ?? 4;
  if (!Number.isInteger(img.width) || img.width < 1 || !Number.isInteger(img.height) || img.height < 1)
    throw new ValueError(op, `image size must be positive integers, got ${img.width}x${img.height}`);
  if (![1, 2, 3, 4].includes(channels))
    throw new ValueError(
      op,
      `unsupported channel count ${channels}: expected 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA)`,
    );
  const expected = img.width * img.height * channels;
  if (img.data.length !== expected)
    throw new ValueError(
      op,
      `a ${img.width}x${img.height} image with ${channels} channels holds ${expected} bytes, got ${img.data.length}`,
    );
  return channels;
}
