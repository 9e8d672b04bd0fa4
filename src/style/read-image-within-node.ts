// Node-only: st.readImage with the longer side limited (the aspect ratio kept), for style transfer and faces.
import { readImage } from '../image/read-image-node.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Read an RGB image (`[3, H, W]` in [0, 1]) with `st.readImage`; when `maxSide` is given and the
 * image is larger, it is decoded again resized (by sharp, with anti-aliasing) so that its longer
 * side is `maxSide`, keeping the aspect ratio.
 */
export async function readImageWithin(path: string, maxSide?: number): Promise<Tensor> {
  const full = await readImage(path);
  const [, h, w] = full.shape as [number, number, number];
  if (maxSide === undefined || Math.max(h, w) <= maxSide) return full;
  const scale = maxSide / Math.max(h, w);
  return readImage(path, { size: [Math.max(1, Math.round(h * scale)), Math.max(1, Math.round(w * scale))] });
}
