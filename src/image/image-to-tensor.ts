import { Tensor } from '../tensor/tensor.js';
import { checkChannels, convertPlanes } from './image-channels.js';
import { rawImageChannels, type RawImage } from './raw-image.js';

/** Options of {@link imageToTensor}. */
export interface ImageToTensorOptions {
  /** Output channels: 1 (gray, ITU-R 601 luma), 3 (RGB) or 4 (RGBA). Default: the image's own (gray + alpha gives 1). */
  channels?: number;
}

/**
 * A decoded image (HWC bytes, e.g. from sharp or a canvas `ImageData`) as a float32 tensor
 * `[C, H, W]` in [0, 1], the layout Stride's models and augmentations take. Gray becomes colour by
 * replication, colour becomes gray by its luma (0.299 R + 0.587 G + 0.114 B), alpha is dropped or
 * added as opaque.
 */
export function imageToTensor(image: RawImage, opts: ImageToTensorOptions = {}): Tensor {
  const op = 'imageToTensor';
  const inC = rawImageChannels(op, image);
  const outC = checkChannels(op, opts.channels ?? (inC === 2 ? 1 : inC));
  const plane = image.width * image.height;
  const planes = new Float32Array(inC * plane);
  const src = image.data;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < inC; c++) planes[c * plane + p] = src[p * inC + c]! / 255;
  }
  const data = inC === outC ? planes : convertPlanes(planes, inC, outC, plane, 1);
  return new Tensor(data, [outC, image.height, image.width]);
}
