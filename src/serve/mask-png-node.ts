import { loadSharp } from '../image/sharp-loader-node.js';
import type { LabelMask } from '../segmentation/label-mask.js';

/** A class mask as an 8-bit greyscale PNG whose pixel values are the class indices. */
export async function maskPng(mask: LabelMask): Promise<Buffer> {
  const sharp = await loadSharp('serve');
  return sharp(mask.labels, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}
