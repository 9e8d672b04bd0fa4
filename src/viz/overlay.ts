import { ShapeError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { colormap, type ColormapName } from './colormap.js';

/** Options of {@link overlayHeatmap}. */
export interface OverlayOptions {
  /** Weight of the heat map's colour (default 0.5; the image gets 1 - alpha). */
  alpha?: number;
  /** Colour map of the heat (default 'jet', the usual Grad-CAM look). */
  colormap?: ColormapName;
}

/**
 * Blend a heat map [N, 1, H, W] with values in [0, 1] over images [N, C, H, W] (C = 1 or 3, any
 * value range: each image is min-max scaled to [0, 1] first): [N, 3, H, W] in [0, 1].
 */
export function overlayHeatmap(image: Tensor, heat: Tensor, opts: OverlayOptions = {}): Tensor {
  const op = 'overlayHeatmap';
  if (image.ndim !== 4 || (image.shape[1] !== 1 && image.shape[1] !== 3)) {
    throw new ShapeError(
      op,
      'the image must be a batch [N, C, H, W] with C = 1 or 3',
      '[N, 1|3, H, W]',
      image.shape,
    );
  }
  const [n, c, h, w] = image.shape as [number, number, number, number];
  if (
    heat.ndim !== 4 ||
    heat.shape[0] !== n ||
    heat.shape[1] !== 1 ||
    heat.shape[2] !== h ||
    heat.shape[3] !== w
  ) {
    throw new ShapeError(
      op,
      "the heat map must be one channel at the image's size",
      [n, 1, h, w],
      heat.shape,
      'Grad-CAM and saliency maps already are',
    );
  }
  const alpha = opts.alpha ?? 0.5;
  const colours = colormap(heat, opts.colormap ?? 'jet');
  const hw = h * w;
  const out = new Float32Array(n * 3 * hw);
  for (let i = 0; i < n; i++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = i * c * hw; k < (i + 1) * c * hw; k++) {
      lo = Math.min(lo, image.data[k]!);
      hi = Math.max(hi, image.data[k]!);
    }
    const range = hi > lo ? hi - lo : 1;
    for (let ch = 0; ch < 3; ch++)
      for (let p = 0; p < hw; p++) {
        const v = (image.data[(i * c + (c === 3 ? ch : 0)) * hw + p]! - lo) / range;
        const o = (i * 3 + ch) * hw + p;
        out[o] = (1 - alpha) * v + alpha * colours.data[o]!;
      }
  }
  return new Tensor(out, [n, 3, h, w]);
}
