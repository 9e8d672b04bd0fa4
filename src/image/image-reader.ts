import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ReadImageOptions } from './read-image-options.js';

/** Decodes an image file or its bytes into a `[C, H, W]` tensor in [0, 1] (`st.readImage` in Node). */
export type ImageReader = (input: string | Uint8Array, opts?: ReadImageOptions) => Promise<Tensor>;

let reader: ImageReader | undefined;

/**
 * Install the function that decodes image files and bytes for `st.preprocess`. The Node entry
 * installs `readImage` (sharp); in a browser, decode with a canvas and pass tensors or `ImageData`.
 */
export function setImageReader(r: ImageReader | undefined): void {
  reader = r;
}

/** The installed image reader, or an error saying how to get one. */
export function imageReader(op: string): ImageReader {
  if (!reader) {
    throw new ValueError(
      op,
      "no image decoder is installed, so file paths and encoded bytes cannot be read here. Fix: import 'stride' under Node (sharp decodes them), or pass a tensor or ImageData decoded with a canvas",
    );
  }
  return reader;
}
