import { ValueError } from '../errors.js';
import type { ImageSize } from '../data/augment/resize.js';
import { sizePair } from '../data/augment/resize.js';
import type { ImageFit } from '../nn/model-card.js';
import { checkChannels } from './image-channels.js';

/** Options of `st.readImage`. */
export interface ReadImageOptions {
  /** Resize to `[height, width]` (or a square); default: the image's own size. */
  size?: ImageSize;
  /** 1 (gray, ITU-R 601 luma), 3 (RGB, the default) or 4 (RGBA). */
  channels?: number;
  /** How the image meets `size`: `fill` stretches (default), `cover` crops the overflow around the centre, `contain` letterboxes with black. */
  fit?: ImageFit;
  /** A name for the bytes in messages when reading a buffer (default `'image bytes'`). */
  name?: string;
}

/** Resolved {@link ReadImageOptions}. */
export interface ResolvedReadImage {
  size: [number, number] | undefined;
  channels: number;
  fit: ImageFit;
}

const KNOWN = new Set(['size', 'channels', 'fit', 'name']);

/** Check {@link ReadImageOptions} once (unknown option names included) and fill in the defaults. */
export function resolveReadImageOptions(op: string, opts: ReadImageOptions): ResolvedReadImage {
  for (const k of Object.keys(opts)) {
    if (!KNOWN.has(k))
      throw new ValueError(op, `unknown option '${k}'; known options: ${[...KNOWN].join(', ')}`);
  }
  const fit = opts.fit ?? 'fill';
  if (fit !== 'fill' && fit !== 'cover' && fit !== 'contain')
    throw new ValueError(op, `fit must be 'fill', 'cover' or 'contain', got '${String(fit)}'`);
  return {
    size: opts.size === undefined ? undefined : sizePair(op, opts.size),
    channels: checkChannels(op, opts.channels ?? 3),
    fit,
  };
}
